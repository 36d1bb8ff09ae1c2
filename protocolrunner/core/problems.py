"""One-line problem reports for files people write by hand, and reading those files safely."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
MAX_FILE_BYTES = 4 * 1024 * 1024


def read_toml(path: Path, display: str | None = None) -> tuple[dict[str, Any], str]:
    """Read a TOML file, returning its data and text, or raise ``FileProblems`` with one line.

    Empty, binary, oversized, non-UTF-8 and unreadable files get the same one-line treatment as
    syntax errors, which keep tomllib's line and column.
    """
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise FileProblems([Problem(name, "is a folder, not a file")]) from None
    except OSError as exc:
        raise FileProblems([Problem(name, f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise FileProblems([Problem(name, f"too large ({len(raw)} bytes) for a TOML file")])
    if b"\x00" in raw:
        raise FileProblems([Problem(name, "is a binary file, not TOML text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileProblems(
            [Problem(name, "is not UTF-8 text; save it as UTF-8", line, col)]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FileProblems([Problem(name, "is empty")])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileProblems([toml_syntax_problem(name, text, exc)]) from None
    return data, text


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
