"""A three-way merge of record TOML files that never leaves conflict markers in a file.

Schools share a community record through git. Two schools that both edit ``community.toml``
(each adds a member at the end of the list, say) or the same session file (each marks a
different action item done) would get a line conflict from git's own merge, and a file full of
``<<<<<<<`` lines that no reader can use. ``merge_record_file`` merges the *data* instead,
which suits a git merge driver: git passes the common ancestor (``%O``), our side (``%A``) and
their side (``%B``); the driver writes ``Merged.text`` over ``%A`` and shows
``Merged.conflicts`` to the person merging. The function is pure: no git, no files.

When both sides changed the same value in different ways, **theirs wins**: their side is what
the group has already shared, so keeping it never takes back something others have seen. Ours
is not lost silently: it comes back as a ``Conflict`` for the user to re-apply if it mattered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from ..base.problems import FileProblems, parse_toml
from .folder import community_toml, to_toml
from .models import Community


@dataclass
class Conflict:
    """One value both sides changed differently; ``kept`` was applied, ``other`` was not.

    ``key`` says where: ``"purpose"``, ``"members[Zoe Adams].note"``, ``"actions[1].done"``,
    or ``""`` for a whole file that could not be read. Strings are given as they are; other
    values as TOML text. ``""`` stands for a side that removed the value.
    """

    key: str
    kept: str
    other: str


@dataclass
class Merged:
    """The merged file's text (valid TOML whenever either side was) and what was not applied."""

    text: str
    conflicts: list[Conflict] = field(default_factory=list)


class _Missing:
    """A key or list element one version does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

TABLE_KEYS = ("id", "name")
"""Keys that identify a table in an array of tables, tried in this order: steps, roles and
setup answers have an ``id`` (roles also a ``name``), community members only a ``name``."""

_MARKER_LINE = re.compile(r"^(?:<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
"""A line git would take for a conflict marker."""


def merge_record_file(base: str | None, ours: str, theirs: str, name: str) -> Merged:
    """Merge three versions of the record file ``name``; never raises.

    - A side that does not parse is not merged: the side that does is kept whole, and the other
      reported as one ``Conflict`` with key ``""``. If neither parses, ours is kept unchanged.
      A ``base`` that is missing, empty or does not parse counts as an empty file.
    - If only one side changed the data, that side's text is kept byte for byte (comments and
      layout included).
    - Otherwise the data is merged (see ``_merge``) and written as protocolrunner writes it:
      ``community.toml`` through the ``Community`` model when the result is valid, anything
      else (or an invalid community) as plain TOML. A model problem left in the result (e.g. a
      member's name made empty on one side) is reported later by the normal loader.
    """
    ours_data = _parse(ours, name)
    theirs_data = _parse(theirs, name)
    if ours_data is None and theirs_data is None:
        return Merged(ours, [Conflict("", ours, theirs)])
    if ours_data is None:
        return Merged(theirs, [Conflict("", theirs, ours)])
    if theirs_data is None:
        return Merged(ours, [Conflict("", ours, theirs)])
    base_data = _parse(base, name) if base else None
    if base_data is None:
        base_data = {}
    if _same(ours_data, theirs_data) or _same(base_data, theirs_data):
        return Merged(ours)
    if _same(base_data, ours_data):
        return Merged(theirs)
    conflicts: list[Conflict] = []
    try:
        data = _merge_dict(base_data, ours_data, theirs_data, "", conflicts)
        if _is_community(name):
            _drop_duplicate_members(data, conflicts)
        text = _render(data, _is_community(name))
        parse_toml(text, name)  # what is written passes the reading gate, as both sides did
    except Exception:
        # A last guard, as a merge driver must not crash: say a merged table nested so deep
        # that its header would be a dotted key longer than the gate allows.
        return Merged(theirs, [Conflict("", theirs, ours)])
    return Merged(text, conflicts)


def _parse(text: str | None, name: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        return parse_toml(text, name)
    except FileProblems:
        return None


def _is_community(name: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1] == "community.toml"


def _render(data: dict[str, Any], community: bool) -> str:
    text = None
    if community:
        try:
            text = community_toml(Community.model_validate(data))
        except ValueError:  # pydantic's ValidationError is a ValueError
            text = None
    if text is None:
        text = to_toml(data)
    if _MARKER_LINE.search(text):
        # A multi-line note holds a line git would read as a conflict marker: write every
        # string on one line (``\n`` escapes), so no line of the file can start with it.
        text = tomli_w.dumps(parse_toml(text, "merged"), multiline_strings=False)
    return text


# -- the merge --------------------------------------------------------------------------------


def _merge(
    base: Any,
    ours: Any,
    theirs: Any,
    key: str,
    leaf: str,
    out: list[Conflict],
    element: bool = False,
) -> Any:
    """The three-way merge of one value (``MISSING`` where a version lacks it); ``element``
    for an element of the array ``leaf``.

    Unchanged on one side: the other side's version (a removal included). Changed on both:
    tables merge key by key, arrays as ``_merge_list`` says; removed on one side and changed on
    the other, the changed one is kept and reported; any other difference keeps theirs and
    reports ours.
    """
    if _same(ours, theirs):
        return ours
    if _same(base, ours):
        return theirs
    if _same(base, theirs):
        return ours
    if ours is MISSING or theirs is MISSING:
        kept = theirs if ours is MISSING else ours
        out.append(Conflict(key, _text(leaf, kept, element), ""))
        return kept
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _merge_dict(base if isinstance(base, dict) else {}, ours, theirs, key, out)
    if isinstance(ours, list) and isinstance(theirs, list):
        return _merge_list(base if isinstance(base, list) else None, ours, theirs, key, leaf, out)
    out.append(Conflict(key, _text(leaf, theirs, element), _text(leaf, ours, element)))
    return theirs


def _merge_dict(
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    key: str,
    out: list[Conflict],
) -> dict[str, Any]:
    """Key by key: ours' keys in ours' order, then keys only theirs has, in theirs' order."""
    merged = {}
    for k in [*ours, *(k for k in theirs if k not in ours)]:
        value = _merge(
            base.get(k, MISSING),
            ours.get(k, MISSING),
            theirs.get(k, MISSING),
            f"{key}.{k}" if key else k,
            k,
            out,
        )
        if value is not MISSING:
            merged[k] = value
    return merged


def _merge_list(
    base: list[Any] | None,
    ours: list[Any],
    theirs: list[Any],
    key: str,
    leaf: str,
    out: list[Conflict],
) -> list[Any]:
    """An array both sides changed.

    - Tables that all have an ``id`` (else all a ``name``), unique per side: merged table by
      table, matched by that key (see ``_merge_keyed``).
    - Scalars: as a set kept in order (see ``_merge_items``); never a conflict.
    - Anything else (action items, turns): element by element when base, ours and theirs have
      the same length; otherwise theirs, with ours reported as TOML text.
    """
    everything = [*(base or ()), *ours, *theirs]
    table_key = _table_key(everything)
    if table_key is not None:
        return _merge_keyed(base or [], ours, theirs, table_key, key, leaf, out)
    if all(not isinstance(v, dict | list) for v in everything):
        return _merge_items(base or [], ours, theirs)
    if base is not None and len(base) == len(ours) == len(theirs):
        return [
            _merge(b, o, t, f"{key}[{i}]", leaf, out, element=True)
            for i, (b, o, t) in enumerate(zip(base, ours, theirs, strict=True))
        ]
    out.append(Conflict(key, _text(leaf, theirs), _text(leaf, ours)))
    return theirs


def _table_key(values: list[Any]) -> str | None:
    if not values or not all(isinstance(v, dict) for v in values):
        return None
    for name in TABLE_KEYS:
        if all(_is_identity(v.get(name)) for v in values):
            return name
    return None


def _is_identity(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _merge_keyed(
    base: list[dict[str, Any]],
    ours: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    table_key: str,
    key: str,
    leaf: str,
    out: list[Conflict],
) -> list[dict[str, Any]]:
    """Tables matched by ``table_key``, each merged three-way.

    The order is ours' tables in ours' order, then the tables only theirs has, in theirs'
    order. A table removed on one side and unchanged on the other is removed; removed on one
    side and changed on the other, the changed one is kept and reported. A side that lists a
    key twice keeps its first table, and the later one is reported.
    """
    base_by = _by_key(base, table_key, None, key, leaf)
    ours_by = _by_key(ours, table_key, out, key, leaf)
    theirs_by = _by_key(theirs, table_key, out, key, leaf)
    merged = []
    for k in [*ours_by, *(k for k in theirs_by if k not in ours_by)]:
        value = _merge(
            base_by.get(k, MISSING),
            ours_by.get(k, MISSING),
            theirs_by.get(k, MISSING),
            f"{key}[{k}]",
            leaf,
            out,
            element=True,
        )
        if value is not MISSING:
            merged.append(value)
    return merged


def _by_key(
    tables: list[dict[str, Any]], table_key: str, out: list[Conflict] | None, key: str, leaf: str
) -> dict[Any, dict[str, Any]]:
    by: dict[Any, dict[str, Any]] = {}
    for table in tables:
        k = table[table_key]
        if k not in by:
            by[k] = table
        elif out is not None:
            out.append(Conflict(f"{key}[{k}]", _text(leaf, by[k], True), _text(leaf, table, True)))
    return by


def _merge_items(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Scalars as a sequence of unique items: ours, less what theirs removed from base, then
    what theirs added (in neither base nor ours), in theirs' order."""
    in_base = {_item(v) for v in base}
    in_theirs = {_item(v) for v in theirs}
    removed = in_base - in_theirs
    merged = [v for v in ours if _item(v) not in removed]
    seen = {_item(v) for v in merged} | in_base
    for v in theirs:
        if _item(v) not in seen:
            merged.append(v)
            seen.add(_item(v))
    return merged


def _item(value: Any) -> tuple[type, Any]:
    # The type keeps 1 and true apart; repr keeps nan equal to itself and 0.0 apart from -0.0.
    return (type(value), repr(value) if isinstance(value, float) else value)


def _drop_duplicate_members(data: dict[str, Any], out: list[Conflict]) -> None:
    """A name listed twice keeps its first member; the later one is reported."""
    members = data.get("members")
    if not isinstance(members, list):
        return
    kept: dict[Any, dict[str, Any]] = {}
    unique = []
    for member in members:
        name = member.get("name") if isinstance(member, dict) else None
        if not _is_identity(name):
            unique.append(member)
        elif name not in kept:
            kept[name] = member
            unique.append(member)
        else:
            out.append(
                Conflict(
                    f"members[{name}]",
                    _text("members", kept[name], True),
                    _text("members", member, True),
                )
            )
    data["members"] = unique


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (Python alone takes ``1 == True`` and ``1 == 1.0``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def _text(leaf: str, value: Any, element: bool = False) -> str:
    """How a value is shown in a ``Conflict``: a string as it is, anything else as TOML (an
    element of the array ``leaf`` as that array holding it alone, e.g. ``[[members]]``)."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    if element:
        value = [value]
    try:
        return to_toml({leaf or "value": value}).rstrip("\n")
    except Exception:  # pragma: no cover - every value read from TOML can be written
        return repr(value)
