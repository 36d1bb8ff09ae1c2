"""A fast reader for the TOML that protocolrunner writes itself.

Session, follow-through and community files are written by ``tomli_w`` in one regular shape:
``[table]`` and ``[[array.of.tables]]`` headers, ``key = value`` lines, one-line and ``\"\"\"``
strings, whole numbers, booleans, dates and times, arrays one item a line and short inline
tables. ``tomllib`` reads any TOML a character at a time; reading only that shape, line by line
with regular expressions, is several times quicker, which is most of the first build of a large
record's search index.

``loads`` returns exactly what ``tomllib.loads`` returns for the documents it understands, and
``None`` for anything else (a comment, a float, another layout, any mistake), which is then read
by ``tomllib``: so every error, with its line and column, still comes from ``tomllib``. Every
pattern is possessive and nothing nests deeper than an inline table in an array, so any input is
read in time linear in its length.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

# One-line string body: anything but a quote, a backslash or a control character (tab is
# allowed), and the escapes TOML knows.
_ESCAPE = r'\\[btnfr"\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}'
_STRING = rf'"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]++|{_ESCAPE})*+)"'
# A multi-line string as tomli_w writes it: a line break after the opening quotes (which TOML
# drops) and no quote inside (tomli_w escapes every one). Line breaks and tabs are allowed.
_MULTILINE = rf'"""\n((?:[^"\\\x00-\x08\x0b-\x1f\x7f]++|{_ESCAPE})*+)"""'
# As tomllib's RE_DATETIME reads dates and times (11 groups).
_DATETIME = (
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(?:[Tt ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]{1,6})[0-9]*+)?"
    r"(?:([Zz])|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))?)?"
)
# At most 18 digits: always within what SQLite holds, so the gate's check of every number is
# needed only for documents tomllib reads.
_INTEGER = r"(-?+(?:0|[1-9][0-9]{0,17}+))"
# A value on one line: group 1 a string, 2 a whole number, 3 a boolean, 4 an empty array,
# 5 an empty inline table, 6-16 a date or time. Dates come before numbers: 2026-... is a date.
_SCALAR = rf"(?:{_STRING}|{_DATETIME}|{_INTEGER}|(true|false)|(\[\])|(\{{\}}))"
_SCALAR_GROUPS = 16
# One line of a document: a key and a value (with a multi-line string or an array one item a
# line), a table header, or nothing.
_LINE = re.compile(
    rf"(?:([A-Za-z0-9_-]++) = (?:{_SCALAR}|{_MULTILINE}|\[\n((?:    [^\n]*+\n)*+)\])"
    r"|\[(\[?)([A-Za-z0-9_-]++)(?:\.([A-Za-z0-9_-]++))?\](\]?))?(?:\n|\Z)"
)
_KEY_GROUP, _MULTILINE_GROUP, _ARRAY_GROUP = 1, 2 + _SCALAR_GROUPS, 3 + _SCALAR_GROUPS
_ITEM = re.compile(rf"    (?:{_SCALAR}|(\{{ [^\n]* \}})),\n")
_PAIR = re.compile(rf"([A-Za-z0-9_-]++) = {_SCALAR}(, | \}}$)")
_UNESCAPE = re.compile(_ESCAPE)
_SIMPLE_ESCAPES = {
    "\\b": "\b",
    "\\t": "\t",
    "\\n": "\n",
    "\\f": "\f",
    "\\r": "\r",
    '\\"': '"',
    "\\\\": "\\",
}


class _Unread(Exception):
    """Not in the shape this reader knows: ``tomllib`` reads the document instead."""


def loads(text: str) -> dict[str, Any] | None:
    """The document ``text`` as ``tomllib.loads`` reads it, or ``None`` when it is not in the
    shape tomli_w writes (then only ``tomllib`` can say what it holds, or what is wrong)."""
    if "\r" in text:
        return None  # line ends of another system: tomllib's rules
    try:
        return _document(text)
    except (_Unread, ValueError):
        return None


def _document(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    table = root
    table_arrays: set[int] = set()  # lists made by [[...]] headers: only those grow by one
    pos, end = 0, len(text)
    match_line = _LINE.match
    while pos < end:
        line = match_line(text, pos)
        if line is None:
            raise _Unread
        pos = line.end()
        groups = line.groups()
        key = groups[0]
        if key is not None:
            if key in table:
                raise _Unread
            if groups[_MULTILINE_GROUP - 1] is not None:
                table[key] = _unescape(groups[_MULTILINE_GROUP - 1])
            elif groups[_ARRAY_GROUP - 1] is not None:
                table[key] = _items(groups[_ARRAY_GROUP - 1])
            else:
                table[key] = _scalar(groups, 1)
        elif groups[_ARRAY_GROUP + 1] is not None:
            table = _header(root, groups[_ARRAY_GROUP : _ARRAY_GROUP + 4], table_arrays)
        elif line.end() == line.start():
            raise _Unread  # nothing matched, before the end: not a line this reader knows
    return root


def _header(root: dict[str, Any], parts: tuple[Any, ...], table_arrays: set[int]) -> dict[str, Any]:
    opening, first, second, closing = parts

    if not opening and not closing and second is None:
        if first in root:
            raise _Unread
        table: dict[str, Any] = {}
        root[first] = table
        return table
    if not (opening and closing):
        raise _Unread
    parent = root
    if second is not None:
        # [[a.b]]: a new element of b in the latest element of the array of tables a.
        outer = root.get(first)
        if not isinstance(outer, list) or id(outer) not in table_arrays:
            raise _Unread
        parent, first = outer[-1], second
    array = parent.get(first)
    if array is None:
        array = parent[first] = []
        table_arrays.add(id(array))
    elif not isinstance(array, list) or id(array) not in table_arrays:
        raise _Unread
    element: dict[str, Any] = {}
    array.append(element)
    return element


def _scalar(groups: tuple[Any, ...], first: int) -> Any:
    """The value of a ``_SCALAR`` whose groups start at index ``first`` of ``groups``."""
    string = groups[first]
    if string is not None:
        return _unescape(string)
    if groups[first + 1] is not None:
        return _datetime(groups[first + 1 : first + 12])
    number = groups[first + 12]
    if number is not None:
        return int(number)
    boolean = groups[first + 13]
    if boolean is not None:
        return boolean == "true"
    if groups[first + 14] is not None:
        return []
    if groups[first + 15] is not None:
        return {}
    raise _Unread


def _items(block: str) -> list[Any]:
    """The items of an array written one a line (each line ends with a comma)."""
    items = []
    pos, end = 0, len(block)
    while pos < end:
        item = _ITEM.match(block, pos)
        if item is None:
            raise _Unread
        pos = item.end()
        groups = item.groups()
        inline = groups[_SCALAR_GROUPS]
        items.append(_inline_table(inline) if inline is not None else _scalar(groups, 0))
    return items


def _inline_table(text: str) -> dict[str, Any]:
    """``{ key = value, ... }`` as tomli_w writes a short table in an array."""
    table: dict[str, Any] = {}
    pos, end = 2, len(text)
    while pos < end:
        pair = _PAIR.match(text, pos)
        if pair is None or pair.group(1) in table:
            raise _Unread
        table[pair.group(1)] = _scalar(pair.groups(), 1)
        pos = pair.end()
    return table


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    return _UNESCAPE.sub(_escaped, body)


def _escaped(match: re.Match[str]) -> str:
    escape = match.group()
    if len(escape) == 2:
        return _SIMPLE_ESCAPES[escape]
    code = int(escape[2:], 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _Unread  # not a character: tomllib says so, with its position
    return chr(code)


_ZONES: dict[tuple[str, str, str], timezone] = {}


def _datetime(groups: tuple[Any, ...]) -> datetime | date:
    """As tomllib's ``match_to_datetime``: ``ValueError`` for a day or time that does not
    exist (then tomllib reports it)."""
    year, month, day, hour, minute, sec, micros, zulu, sign, off_hour, off_minute = groups
    if hour is None:
        return date(int(year), int(month), int(day))
    tz: timezone | None = None
    if sign:
        tz = _ZONES.get((sign, off_hour, off_minute))
        if tz is None:
            factor = 1 if sign == "+" else -1
            tz = timezone(timedelta(hours=factor * int(off_hour), minutes=factor * int(off_minute)))
            _ZONES[(sign, off_hour, off_minute)] = tz
    elif zulu:
        tz = UTC
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(sec),
        int(micros.ljust(6, "0")) if micros else 0,
        tzinfo=tz,
    )
