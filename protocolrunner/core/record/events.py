"""Follow-through as events: a saved session's file is never written again.

When a community reviews an earlier meeting's action items, each decision (done, carried
forward, dropped, open again) is a small file of its own under ``followthrough/``. Two schools
that review the same item write two files, which git merges without a conflict; the item's
state is that of its latest event, by time and then, for two at the same instant, by the
greater event id (a fixed, if arbitrary, order that every copy of the record agrees on).

Session files of earlier versions hold the state inside (``done``, ``status``, ``reviewed``);
it is read as the state before any event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from .models import FollowThroughEvent, RecordedAction, SessionRecord

ItemKey = tuple[str, int]
"""(session id, the item's place in that session's actions)."""


def event_order(event: FollowThroughEvent) -> tuple[datetime, str]:
    """How events of one item are ordered: the last is the one in force."""
    return event.at, event.id


def latest_by_item(events: Iterable[FollowThroughEvent]) -> dict[ItemKey, FollowThroughEvent]:
    """The event in force for each item that has any."""
    latest: dict[ItemKey, FollowThroughEvent] = {}
    for event in events:
        key = (event.session, event.item)
        if key not in latest or event_order(event) > event_order(latest[key]):
            latest[key] = event
    return latest


def apply_event(action: RecordedAction, event: FollowThroughEvent) -> RecordedAction:
    """``action`` as the group left it with ``event``."""
    return action.model_copy(
        update={
            "done": event.state == "done",
            "status": event.state if event.state in ("carried", "dropped") else None,
            "reviewed": event.at.date(),
        }
    )


def apply_events(
    record: SessionRecord, latest: Mapping[ItemKey, FollowThroughEvent]
) -> SessionRecord:
    """``record`` with each action item in the state its latest event says."""
    if not latest:
        return record
    actions = [
        apply_event(action, latest[(record.id, i)]) if (record.id, i) in latest else action
        for i, action in enumerate(record.actions)
    ]
    if actions == record.actions:
        return record
    return record.model_copy(update={"actions": actions})


def event_file_name(event: FollowThroughEvent) -> str:
    # Built only from validated pieces (hex ids, a number, a date), never from free text.
    return f"{event.at:%Y-%m-%d}-{event.session}-{event.item}-{event.id}.toml"
