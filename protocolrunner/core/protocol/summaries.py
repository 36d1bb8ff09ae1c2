"""What was learnt from files read and validated before, so that showing them again needs no
validation, and so no pydantic: the protocol list (home, ``protocolrunner list``) and the
community's name.

A summary is kept under the file's path, with its size, modification time and the SHA-256 of its
bytes; a file whose bytes changed in any way (even within one tick of the file system's clock) is
read and validated again. The cache lives in the user's cache folder and is only derived data: a
missing, unreadable or damaged cache, or one written by another version, is started afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from ..base import paths
from ..base.problems import Problem

CACHE_FORMAT = 1
"""Raised whenever what a summary holds changes shape."""
MAX_ENTRIES = 1000
"""Summaries kept at most: the files seen last are kept, the others read again when needed."""


def default_cache_path() -> Path:
    return paths.cache_dir() / "summaries.json"


def _stamp() -> str:
    from ... import __version__

    return f"{CACHE_FORMAT}:{__version__}"


class SummaryCache:
    """Summaries (JSON values) by file, loaded once and written back when they changed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._files: dict[str, list[Any]] | None = None
        self._changed = False
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[Any]]:
        if self._files is None:
            self._files = {}
            try:
                data = json.loads(self.path.read_bytes())
            except (OSError, ValueError):
                return self._files  # none yet, or damaged: built again as files are read
            if isinstance(data, dict) and data.get("stamp") == _stamp():
                files = data.get("files")
                if isinstance(files, dict):
                    self._files = files
        return self._files

    @staticmethod
    def key(raw: bytes, info: os.stat_result) -> list[Any]:
        """What must be the same for a summary to hold: size, modification time and content."""
        return [len(raw), info.st_mtime_ns, hashlib.sha256(raw).hexdigest()]

    def get(self, name: str, key: list[Any]) -> Any | None:
        """The summary kept for the file ``name`` read as ``key``, or None."""
        with self._lock:
            found = self._load().get(name)
        if isinstance(found, list) and len(found) == 2 and found[0] == key:
            return found[1]
        return None

    def put(self, name: str, key: list[Any], summary: Any) -> None:
        with self._lock:
            files = self._load()
            files.pop(name, None)  # re-inserted last: the most recently seen are kept
            files[name] = [key, summary]
            self._changed = True

    def save(self) -> None:
        """Write the summaries back if they changed. A cache that cannot be written costs the
        next start its speed, nothing else."""
        with self._lock:
            if not self._changed or self._files is None:
                return
            files = self._files
            if len(files) > MAX_ENTRIES:
                files = dict(list(files.items())[-MAX_ENTRIES:])
            text = json.dumps({"stamp": _stamp(), "files": files}, ensure_ascii=False)
            from ..base.atomic import write_atomic

            with contextlib.suppress(OSError):
                write_atomic(self.path, text, durable=False)
            self._changed = False


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "message": p.message, "line": p.line, "col": p.col, "key": p.key}
        for p in problems
    ]


def problems_from_json(items: Any) -> list[Problem]:
    """The problems kept in a summary; ``ValueError`` if they are not what was written."""
    if not isinstance(items, list) or not items:
        raise ValueError("no problems kept")
    problems = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("not a problem")
        try:
            problem = Problem(**item)
        except TypeError as exc:
            raise ValueError("not a problem") from exc
        ok = (
            isinstance(problem.file, str)
            and isinstance(problem.message, str)
            and isinstance(problem.key, str)
            and type(problem.line) is int
            and type(problem.col) is int
        )
        if not ok:
            raise ValueError("not a problem")
        problems.append(problem)
    return problems
