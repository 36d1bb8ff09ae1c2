"""Follow-through: the action items earlier sessions left open, and marking them at a later one.

A community reviews last time's action items when it meets again: each is done, carried
forward (still open, looked at again next time) or dropped, and may be opened again. Each answer
is a follow-through event of its own (``core.record.events``): the session file the item came
from is never written again, so two schools reviewing the same item never make a merge conflict.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..base.problems import Problem
from ..base.text import visible
from .folder import Record, RecordError
from .index import ActionRow, SessionIndex, name_key

if TYPE_CHECKING:
    # Imported where an item is marked: listing open items from the index needs no models.
    from .models import FollowThroughEvent

OpenItem = ActionRow
"""An open action item with the session it came from (the index's row type, so the fast path
through the search index and the slow path through the files give the very same items)."""

State = Literal["open", "carried", "done", "dropped"]

DEFAULT_MAX_AGE_DAYS = 120
"""Items from sessions older than this (and not carried forward since) leave the list."""


class FollowThroughError(RecordError):
    """The action item is no longer in its session file as it was shown."""


def _since(today: date, max_age_days: int | None) -> date | None:
    return None if max_age_days is None else today - timedelta(days=max_age_days)


def _owned_by(items: Iterable[OpenItem], owners: Collection[str] | None) -> list[OpenItem]:
    if owners is None:
        return list(items)
    keys = {name_key(name) for name in owners}
    # Items nobody took on belong to everyone present.
    return [item for item in items if not item.owner.strip() or name_key(item.owner) in keys]


def open_items_indexed(
    index: SessionIndex,
    *,
    today: date,
    max_age_days: int | None = DEFAULT_MAX_AGE_DAYS,
    owners: Collection[str] | None = None,
) -> list[OpenItem]:
    """Open action items (not done, not dropped) from a refreshed search index, newest session
    first: only items from the last ``max_age_days`` days, or carried forward within them
    (``None`` keeps all); with ``owners``, only theirs and items without an owner."""
    return _owned_by(index.iter_actions(_since(today, max_age_days)), owners)


def _day(day: date, today: date | None) -> str:
    text = f"{day.day} {day:%b}"
    return text if today is not None and day.year == today.year else f"{text} {day:%Y}"


def source_label(item: OpenItem, today: date | None = None) -> str:
    """Where an item comes from: 'from last Consultancy (12 Sep)' (for showing: control
    characters in the title come out as escapes)."""
    last = "last " if item.latest else ""
    return f"from {last}{visible(item.protocol_title)} ({_day(item.started.date(), today)})"


def carried_note(item: OpenItem, today: date | None = None) -> str:
    """'carried forward 26 Sep' for an item carried forward, else ''."""
    if item.status == "carried" and item.reviewed is not None:
        return f"carried forward {_day(item.reviewed, today)}"
    return ""


def mark(
    record: Record,
    item: OpenItem,
    state: State,
    when: datetime | date,
    *,
    by: str = "",
) -> FollowThroughEvent:
    """Record the group's review of one item as a new follow-through event.

    ``when`` is the moment of the review (a day alone is taken as noon of that day, local
    time); an event is always later than the one it supersedes. The item must still be in its
    session file as it was shown.
    """
    from .models import FollowThroughEvent

    session = record.load_session(item.path, followthrough=False)
    position = item.position
    actions = session.actions
    if position >= len(actions) or actions[position].text != item.text:
        raise FollowThroughError(
            f"'{visible(item.text)}' is no longer in {visible(item.path.name)}; "
            "it was changed by someone else"
        )
    if not isinstance(when, datetime):
        when = datetime.combine(when, time(12))
    if when.tzinfo is None:
        when = when.astimezone()
    # What the reviewer saw is superseded, even if their clock is behind the one that made it.
    seen = record.followthrough().get((session.id, position))
    if seen is not None and seen.at >= when:
        when = seen.at + timedelta(milliseconds=1)
    event = FollowThroughEvent(
        id=secrets.token_hex(4),
        session=session.id,
        item=position,
        state=state,
        at=when,
        by=by,
        text=item.text,
    )
    record.save_event(event)
    return event


def load_items(
    record: Record, *, closed: bool = False, index_path: Path | None = None
) -> list[OpenItem]:
    """Every action item of the record (only the open ones unless ``closed``), newest first,
    each in the state the group last gave it."""
    with SessionIndex(record, index_path) as index:
        index.refresh()
        return list(index.iter_actions(closed=closed))


def find_item(items: Iterable[OpenItem], ref: str) -> OpenItem:
    """The item whose reference (``<session id>-<place>``, as ``record actions`` shows it)
    starts with ``ref``; a ``FollowThroughError`` when none or several do."""
    ref = ref.strip()
    found = [item for item in items if ref and item.ref.startswith(ref.lower())]
    if len(found) == 1:
        return found[0]
    if not found:
        raise FollowThroughError(f"no action item is '{visible(ref)}': see 'record actions'")
    shown = ", ".join(item.ref for item in found[:5])
    raise FollowThroughError(
        f"'{visible(ref)}' names {len(found)} action items ({shown}…): type more of it"
    )


def load_open_items(
    record: Record,
    *,
    today: date,
    max_age_days: int | None = DEFAULT_MAX_AGE_DAYS,
    owners: Collection[str] | None = None,
    index_path: Path | None = None,
    problems: list[Problem] | None = None,
) -> list[OpenItem]:
    """Open items through the search index (refreshed first: only changed files are read).
    The files the index could not read are added to ``problems``."""
    with SessionIndex(record, index_path) as index:
        stats = index.refresh()
        if problems is not None:
            problems.extend(stats.problems)
        return open_items_indexed(index, today=today, max_age_days=max_age_days, owners=owners)
