"""Where each key of a TOML document stands, so errors can name a line and column.

``tomllib`` returns plain data with no positions. This scanner reads a document that
``tomllib`` has already accepted and maps every key path (as pydantic reports them:
``("steps", 2, "capture", 0, "id")``) to the 1-based line and column where it is written: the
key itself, the ``[[table]]`` header for a table, or the element for an array item. It is lax on
purpose: it never judges validity, only finds places, and stops quietly on anything it does not
understand, keeping what it found.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Sequence

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Stop(Exception):
    pass


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.col = 1
        self.positions: dict[Path, Position] = {}
        # Array-of-tables paths (concrete, with indexes) -> number of elements so far.
        self.table_arrays: dict[Path, int] = {}

    # -- low-level reading -------------------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.text[j] if j < len(self.text) else ""

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i >= len(self.text):
                raise _Stop
            if self.text[self.i] == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            self.i += 1

    def here(self) -> Position:
        return self.line, self.col

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces, comments and (if asked) newlines."""
        while self.i < len(self.text):
            c = self.peek()
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif c == "#":
                while self.i < len(self.text) and self.peek() != "\n":
                    self.advance()
            else:
                return

    # -- keys -------------------------------------------------------------------------------
    def key_part(self) -> str:
        c = self.peek()
        if c in "\"'":
            start = self.i
            self.string()
            raw = self.text[start : self.i]
            try:
                # Let tomllib decode escapes such as \u0065, exactly as it did for the data.
                return str(tomllib.loads(f"k = {raw}")["k"])
            except tomllib.TOMLDecodeError:
                return raw[1:-1]
        start = self.i
        while self.peek() in _BARE and self.peek():
            self.advance()
        if self.i == start:
            raise _Stop
        return self.text[start : self.i]

    def dotted_key(self) -> list[tuple[str, Position]]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            pos = self.here()
            parts.append((self.key_part(), pos))
            self.skip_blank(newlines=False)
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    # -- values -----------------------------------------------------------------------------
    def string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.i):
            self.advance(3)
            end = self._closing(quote)
            # A closing delimiter may be followed by up to two more quotes that belong to the value.
            while self.text.startswith(quote, end + 3):
                end += 1
            value = self.text[self.i : end]
            self.advance(end + 3 - self.i)
            return value
        self.advance()
        out: list[str] = []
        while True:
            c = self.peek()
            if not c or c == "\n":
                raise _Stop
            if c == quote:
                self.advance()
                return "".join(out)
            if c == "\\" and quote == '"':
                out.append(self.text[self.i : self.i + 2])
                self.advance(2)
                continue
            out.append(c)
            self.advance()

    def _closing(self, quote: str) -> int:
        """Index of the delimiter that ends a multi-line string starting at ``self.i``."""
        j = self.i
        while True:
            end = self.text.find(quote * 3, j)
            if end < 0:
                raise _Stop
            if quote == '"':
                # A quote preceded by an odd number of backslashes is escaped.
                slashes = 0
                k = end - 1
                while k >= self.i and self.text[k] == "\\":
                    slashes += 1
                    k -= 1
                if slashes % 2:
                    j = end + 1
                    continue
            return end

    def value(self, path: Path) -> None:
        c = self.peek()
        if c in "\"'":
            self.string()
        elif c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        else:
            while self.peek() and self.peek() not in ",]}\n#":
                self.advance()

    def array(self, path: Path) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.advance()
                return
            start = self.i
            self.positions.setdefault((*path, index), self.here())
            self.value((*path, index))
            if self.i == start:
                raise _Stop  # nothing understood: never loop in place
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()

    def inline_table(self, path: Path) -> None:
        self.advance()  # {
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.advance()
                return
            start = self.i
            self.key_value(path)
            if self.i == start:
                raise _Stop
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()

    def key_value(self, table: Path) -> None:
        parts = self.dotted_key()
        path = table
        for name, pos in parts:
            path = (*path, name)
            self.positions.setdefault(path, pos)
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise _Stop
        self.advance()
        self.skip_blank(newlines=False)
        self.value(path)

    # -- tables -----------------------------------------------------------------------------
    def concrete(self, names: Sequence[str], pos: Position) -> Path:
        """Resolve a header's names, entering the latest element of each array of tables.

        Tables that exist only as part of a header (``a`` in ``[a.b]``) are placed at the first
        header that names them.
        """
        path: Path = ()
        for name in names:
            path = (*path, name)
            self.positions.setdefault(path, pos)
            if path in self.table_arrays:
                path = (*path, self.table_arrays[path] - 1)
        return path

    def header(self) -> Path:
        pos = self.here()
        is_array = self.text.startswith("[[", self.i)
        self.advance(2 if is_array else 1)
        names = [name for name, _ in self.dotted_key()]
        self.advance(2 if is_array else 1)
        if is_array:
            parent = self.concrete(names[:-1], pos)
            base = (*parent, names[-1])
            index = self.table_arrays.get(base, 0)
            self.table_arrays[base] = index + 1
            path: Path = (*base, index)
            self.positions.setdefault(base, pos)
        else:
            path = self.concrete(names, pos)
        self.positions[path] = pos
        return path

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.i >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)


def key_positions(text: str) -> dict[Path, Position]:
    """Map each key path in a (valid) TOML document to its 1-based (line, column)."""
    scanner = _Scanner(text)
    with contextlib.suppress(_Stop, IndexError, ValueError):
        scanner.document()
    return scanner.positions


def locate(positions: dict[Path, Position], path: Sequence[str | int]) -> Position:
    """The position of ``path``, or of its nearest written ancestor (a missing key's table)."""
    probe = tuple(path)
    while probe:
        if probe in positions:
            return positions[probe]
        probe = probe[:-1]
    return 1, 1
