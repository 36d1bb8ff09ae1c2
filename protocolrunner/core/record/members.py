"""Each member's history in the community: sessions, roles, presenting, and the rotation.

Built on the same role history and the same ordering (``roles.fair_order``) that setup uses
to propose roles, so "next in rotation" here is who setup will propose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..session.roles import PastSession, fair_order
from .folder import Record
from .index import SessionIndex
from .models import Member

PRESENTER = "presenter"


@dataclass
class MemberHistory:
    name: str
    note: str = ""
    listed: bool = True
    """Listed in community.toml (False: a guest or a former member seen in the record)."""
    sessions: int = 0
    roles: dict[str, int] = field(default_factory=dict)
    """Role id -> how many times."""
    last_session: date | None = None
    last_presented: date | None = None
    rotation: dict[str, int] = field(default_factory=dict)
    """Role id -> place in the fair rotation among the listed members (1 = next)."""


def member_histories(
    members: Sequence[Member],
    history: Sequence[PastSession],
    rotating: Sequence[str] = (PRESENTER,),
    *,
    others: bool = False,
) -> list[MemberHistory]:
    """One history per listed member, in the community's order (then, with ``others``, every
    other name the record knows, alphabetically)."""
    by_name: dict[str, MemberHistory] = {m.name: MemberHistory(m.name, m.note) for m in members}
    for past in history:
        present: set[str] = set()
        for role_id, names in past.roles.items():
            for name in names:
                entry = by_name.get(name)
                if entry is None:
                    if not others:
                        continue
                    entry = by_name[name] = MemberHistory(name, listed=False)
                entry.roles[role_id] = entry.roles.get(role_id, 0) + 1
                if role_id == PRESENTER and (
                    entry.last_presented is None or past.when > entry.last_presented
                ):
                    entry.last_presented = past.when
                present.add(name)
        for name in present:
            entry = by_name[name]
            entry.sessions += 1
            if entry.last_session is None or past.when > entry.last_session:
                entry.last_session = past.when
    listed = [m.name for m in members]
    for role_id in rotating:
        for place, name in enumerate(fair_order(role_id, listed, history), 1):
            by_name[name].rotation[role_id] = place
    return _in_order(members, by_name)


def _in_order(members: Sequence[Member], by_name: dict[str, MemberHistory]) -> list[MemberHistory]:
    ordered = [by_name[name] for name in dict.fromkeys(m.name for m in members)]
    ordered += sorted((h for h in by_name.values() if not h.listed), key=lambda h: h.name)
    return ordered


def _later(a: date | None, b: date | None) -> date | None:
    return b if a is None or (b is not None and b > a) else a


def add_histories(
    members: Sequence[Member], parts: Iterable[Iterable[MemberHistory]]
) -> list[MemberHistory]:
    """Histories counted apart (a year of sessions at a time, say, each by
    ``member_histories(..., others=True)``) added up: what ``member_histories`` of all those
    sessions with ``others`` gives, in its order, but without the rotation (which needs the
    whole history)."""
    by_name: dict[str, MemberHistory] = {m.name: MemberHistory(m.name, m.note) for m in members}
    for part in parts:
        for seen in part:
            entry = by_name.get(seen.name)
            if entry is None:
                entry = by_name[seen.name] = MemberHistory(seen.name, listed=False)
            entry.sessions += seen.sessions
            for role_id, times in seen.roles.items():
                entry.roles[role_id] = entry.roles.get(role_id, 0) + times
            entry.last_session = _later(entry.last_session, seen.last_session)
            entry.last_presented = _later(entry.last_presented, seen.last_presented)
    return _in_order(members, by_name)


def history_from_rows(rows: Iterable[tuple[str, date, str, str]]) -> list[PastSession]:
    """PastSessions from (session key, day, role id, name) rows, oldest first."""
    sessions: dict[str, tuple[date, dict[str, list[str]]]] = {}
    for key, day, role_id, name in rows:
        _, roles = sessions.setdefault(key, (day, {}))
        roles.setdefault(role_id, []).append(name)
    return [PastSession(day, roles) for day, roles in sessions.values()]


def load_history(record: Record, index_path: Path | None = None) -> list[PastSession]:
    """The record's role history through the search index: the same sessions as
    ``Record.history()``, without reading every file (0.2 s instead of ~25 s at 10,000)."""
    with SessionIndex(record, index_path) as index:
        index.refresh()
        return history_from_rows(index.iter_roles())
