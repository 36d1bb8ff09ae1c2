"""Editing ``community.toml`` from the app: parse the form, validate it, merge it safely.

A community revisits its purpose and agreements where it meets, perhaps on two laptops at
once. Saving applies only what this person changed to the freshest copy on disk (under the
record's lock, through ``Record.update_community``), so nobody's edit is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..protocol.validation import error_message
from .folder import Record
from .index import name_key
from .models import Community, Member

BULLETS = ("- ", "* ", "• ", "– ")

LABELS = {
    "name": "Name",
    "purpose": "Purpose",
    "goals": "Goals",
    "norms": "Norms",
    "cadence": "When we meet",
    "members": "Members",
}


def parse_lines(text: str) -> list[str]:
    """One entry per non-empty line; a leading bullet ('- ', '• ') is not part of it."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        for bullet in BULLETS:
            if line.startswith(bullet):
                line = line[len(bullet) :].strip()
                break
        if line:
            entries.append(line)
    return entries


def lines_text(entries: Iterable[str]) -> str:
    return "\n".join(entries)


def _where(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    if not loc:
        return "Community"
    label = LABELS.get(str(loc[0]), str(loc[0]))
    if len(loc) >= 2 and isinstance(loc[1], int):
        if loc[0] == "members":
            members = data.get("members") or []
            name = members[loc[1]].get("name", "") if loc[1] < len(members) else ""
            return f"{label}, #{loc[1] + 1}" + (f" ({name})" if name.strip() else "")
        return f"{label}, line {loc[1] + 1}"
    return label


def validate_community(data: dict[str, Any]) -> tuple[Community | None, list[str]]:
    """The community the form describes, or every problem as a sentence for people."""
    collected: list[tuple[tuple[Any, ...], str]] = []
    try:
        community = Community.model_validate(data, context={"problems": collected})
    except ValidationError as exc:
        problems = [
            f"{_where(tuple(e['loc']), data)}: {error_message(dict(e), Community)}"
            for e in exc.errors()
        ]
        return None, problems
    if collected:
        return None, [f"{_where(loc, data)}: {message}" for loc, message in collected]
    return community, []


def merge(original: Community, edited: Community, current: Community) -> Community:
    """``current`` (the file now) with the changes from ``original`` to ``edited`` applied.

    A field this person did not touch keeps whatever is on disk now. Members are merged one by
    one: those removed here go, those added here join, notes changed here are updated.
    """
    update: dict[str, Any] = {}
    for key in ("name", "purpose", "cadence", "goals", "norms"):
        if getattr(edited, key) != getattr(original, key):
            update[key] = getattr(edited, key)
    before = {m.name: m for m in original.members}
    after = {m.name: m for m in edited.members}
    members: list[Member] = []
    for member in current.members:
        if member.name in before and member.name not in after:
            continue  # removed here
        mine = after.get(member.name)
        if mine is not None and member.name in before and mine.note != before[member.name].note:
            member = member.model_copy(update={"note": mine.note})
        members.append(member)
    present = {m.name for m in members}
    members += [m for m in edited.members if m.name not in before and m.name not in present]
    if members != current.members:
        update["members"] = members
    return current.model_copy(update=update)


def save_community(record: Record, original: Community, edited: Community) -> Community:
    """Write this person's changes to ``community.toml`` (locked, validated, atomic)."""
    return record.update_community(lambda current: merge(original, edited, current))


def add_members(record: Record, names: Iterable[str]) -> tuple[Community, list[str]]:
    """Add the people in ``names`` who are not members yet to ``community.toml``.

    Returns the community as written and the names that were new. Names are compared as the
    record compares them (case and spacing aside), so "ana  souza" does not add a second Ana.
    """
    added: list[str] = []

    def change(current: Community) -> Community:
        known = {name_key(name) for name in current.member_names}
        added.clear()
        for name in names:
            name = " ".join(name.split())
            if name and name_key(name) not in known:
                known.add(name_key(name))
                added.append(name)
        members = [*current.members, *(Member(name=name) for name in added)]
        return current.model_copy(update={"members": members})

    names = list(names)
    return record.update_community(change), added
