"""One-line problem reports for files people write by hand, and reading those files safely."""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tomllib


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a file, as ``FILE:LINE:COL: key.path: message``."""

    file: str
    message: str
    line: int = 1
    col: int = 1
    key: str = ""

    def __str__(self) -> str:
        key = f" {self.key}:" if self.key else ""
        return f"{self.file}:{self.line}:{self.col}:{key} {self.message}"


class FileProblems(Exception):
    """A file could not be used; ``problems`` says every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")

MAX_FILE_BYTES = 1024 * 1024
"""The largest TOML file read. A protocol or a session of a day's work is a few kilobytes."""
MAX_DEPTH = 32
"""How deeply arrays and inline tables may sit inside each other."""
MAX_KEY_PARTS = 16
"""How many parts one dotted key (``a.b.c``) may have: the parser's work grows with the square
of it."""
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""The whole numbers a file may hold: what SQLite, and so the search index, can store."""

# Strings and comments as whole tokens, so that a bracket or a dot inside them is never counted.
# Possessive quantifiers (*+, ++): an unclosed string fails at once, never backtracks.
_QUOTED = (
    r'''"""(?:[^"\\]++|\\.|"(?!""))*+"{3,5}'''
    r"""|'''(?:[^']++|'(?!''))*+'{3,5}"""
    r'''|"(?:[^"\\\n]++|\\.)*+"'''
    r"""|'[^'\n]*+'"""
    r"|#[^\n]*+"
)
_STRINGS_AND_COMMENTS = re.compile(_QUOTED, re.DOTALL)
_TOKEN = re.compile(_QUOTED + r"|[\[\]{}=,.\n]", re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
# More than MAX_KEY_PARTS parts joined by dots. A number holds one dot at most, and numbers are
# kept apart by commas, brackets or line breaks, so only a dotted key can match.
_LONG_KEY = re.compile(rf"(?:\.[^\n=,\[\]{{}}.]*+){{{MAX_KEY_PARTS}}}")
_LONG_NUMBER = re.compile(r"[0-9][0-9_]{19,}")


def read_toml(
    path: Path, display: str | None = None, *, max_bytes: int = MAX_FILE_BYTES
) -> tuple[dict[str, Any], str]:
    """Read a TOML file, returning its data and text, or raise ``FileProblems`` with one line.

    This is the one gate every TOML file passes. Anything but a regular file (a FIFO, a device,
    a link to nothing or a link that loops), oversized, empty, binary and non-UTF-8 files, nesting
    or dotted keys deep enough to make the parser recurse or crawl, and whole numbers SQLite cannot
    hold all get the same one-line treatment as syntax errors, which keep tomllib's line and
    column. No input makes it raise anything but ``FileProblems``.
    """
    name = display or str(path)
    text = decode_toml(read_regular(path, name, max_bytes), name)
    return parse_toml(text, name), text


def decode_toml(raw: bytes, name: str) -> str:
    """The text of a TOML file's bytes (a leading byte-order mark dropped), or ``FileProblems``
    for binary, non-UTF-8 or empty content: the part of the gate between reading and parsing,
    apart so that a cache can key on the bytes read."""
    if b"\x00" in raw:
        raise FileProblems([Problem(name, "is a binary file, not TOML text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        raise FileProblems(
            [Problem(name, "is not UTF-8 text; save it as UTF-8", line, col)]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FileProblems([Problem(name, "is empty")])
    return text


def parse_toml(text: str, name: str) -> dict[str, Any]:
    """Parse TOML ``text`` from the file ``name`` safely, or raise ``FileProblems``.

    A file in the shape protocolrunner writes (sessions, follow-through, the community) is read by
    ``core.base.tomlfast``, which returns what ``tomllib`` would; anything else, and every mistake,
    is read by ``tomllib``, which names the line and column. The fast reader's shape nests too
    little for the structure check to find anything, and holds no number SQLite cannot.
    """
    from .tomlfast import loads

    data = loads(text)
    if data is not None:
        return data
    import tomllib  # here: a command that reads no TOML (a cached listing) does not load it

    problem = structure_problem(text, name)
    if problem is not None:
        raise FileProblems([problem])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileProblems([toml_syntax_problem(name, text, exc)]) from None
    except ValueError:
        # Python refuses to convert an integer of more than 4,300 digits.
        raise FileProblems([_number_problem(name, text)]) from None
    except RecursionError:  # pragma: no cover - structure_problem stops this first
        raise FileProblems([Problem(name, "is nested too deeply to read")]) from None
    if _has_huge_int(data):
        raise FileProblems([_number_problem(name, text)])
    return data


def read_regular(
    path: Path, name: str, max_bytes: int = MAX_FILE_BYTES, *, file_type: str = "TOML"
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``; ``file_type``
    names what it should be when it is too large.

    Opened without blocking, so a FIFO cannot hang the reader, and read no further than the
    cap, so a link to ``/dev/zero`` cannot fill the memory.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileProblems([Problem(name, _open_failure(path, exc))]) from None
    try:
        info = os.fstat(fd)
        kind = stat.S_IFMT(info.st_mode)
        if kind == stat.S_IFDIR:
            raise FileProblems([Problem(name, "is a folder, not a file")])
        if kind != stat.S_IFREG:
            what = _KINDS.get(kind, "special file")
            raise FileProblems([Problem(name, f"is a {what}, not a regular file")])
        chunks, size = [], 0
        while size <= max_bytes:
            # One read of the size the file says it has (and one more to see the end).
            chunk = os.read(fd, min(max(info.st_size + 1, 4096), max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise FileProblems([Problem(name, f"cannot read: {exc.strerror or exc}")]) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise FileProblems(
            [Problem(name, f"is too large for a {file_type} file (more than {_size(max_bytes)})")]
        )
    return b"".join(chunks)


_KINDS = {
    stat.S_IFIFO: "named pipe (FIFO)",
    stat.S_IFCHR: "device",
    stat.S_IFBLK: "device",
    stat.S_IFSOCK: "socket",
}


def _open_failure(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a link that loops"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"is a link to nothing ({os.readlink(path)})"
    if exc.errno == errno.ENOENT:
        return "does not exist"
    return f"cannot read: {exc.strerror or exc}"


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count % (1024 * 1024) == 0 else f"{count:,} bytes"


def _position(raw: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` (columns count bytes in bytes, characters in
    text)."""
    if isinstance(raw, bytes):
        newlines, last = raw.count(b"\n", 0, offset), raw.rfind(b"\n", 0, offset)
    else:
        newlines, last = raw.count("\n", 0, offset), raw.rfind("\n", 0, offset)
    return newlines + 1, offset - last


def structure_problem(text: str, name: str) -> Problem | None:
    """A problem if arrays and inline tables nest deeper than ``MAX_DEPTH``, or a dotted key has
    more than ``MAX_KEY_PARTS`` parts, found before the parser can recurse or crawl.

    The scan is lax: on a malformed document it only has to stay bounded, since the parser then
    reports the real mistake.
    """
    if text.count(".") < MAX_KEY_PARTS and text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # cannot exceed either limit
    skeleton = _STRINGS_AND_COMMENTS.sub("", text)
    if _LONG_KEY.search(skeleton) is None and _depth(skeleton) <= MAX_DEPTH:
        return None
    # Found: scan again, token by token, for the line and column.
    depth = dots = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            dots = 0
            if depth > MAX_DEPTH:
                line, col = _position(text, match.start())
                return Problem(
                    name, f"nests arrays or tables more than {MAX_DEPTH} deep", line, col
                )
        elif token in "]}":
            depth = max(depth - 1, 0)
            dots = 0
        elif token == ".":
            # A number holds one dot at most, so more dots since the last '=', ',', bracket or
            # line break belong to one dotted key.
            dots += 1
            if dots >= MAX_KEY_PARTS:
                line, col = _position(text, match.start())
                return Problem(
                    name, f"has a dotted key of more than {MAX_KEY_PARTS} parts", line, col
                )
        elif token in "=,\n":
            dots = 0
        elif "\n" in token:
            dots = 0  # a multi-line string
    return None


def _depth(skeleton: str) -> int:
    """How deeply brackets nest in ``skeleton``, counting unclosed ones (the parser recurses
    into those too)."""
    depth = deepest = 0
    for bracket in _NOT_BRACKET.sub("", skeleton):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        else:
            depth = max(depth - 1, 0)
    return deepest


def _has_huge_int(value: Any) -> bool:
    # The structure check bounds the depth, so this recursion is bounded too.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INT_MIN <= value <= INT_MAX
    if isinstance(value, dict):
        return any(_has_huge_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_huge_int(v) for v in value)
    return False


def _number_problem(name: str, text: str) -> Problem:
    message = f"has a whole number outside {INT_MIN:,} to {INT_MAX:,}"
    for match in _LONG_NUMBER.finditer(text):
        if not INT_MIN <= int(match.group().replace("_", "")[:40]) <= INT_MAX:
            line, col = _position(text, match.start())
            return Problem(name, message, line, col)
    return Problem(name, message)


def toml_syntax_problem(name: str, text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = _TOML_WHERE.search(message)
    if match:
        line, col = int(match.group(1)), int(match.group(2))
        message = _TOML_WHERE.sub("", message)
    else:
        line = text.count("\n") + 1
        col = 1
        message = message.replace(" (at end of document)", " at the end of the file")
    return Problem(name, f"TOML syntax: {message[:1].lower()}{message[1:]}", line, col)
