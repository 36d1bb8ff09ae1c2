"""Finding a record's session files, and saying which ones could not be looked at.

A shared folder holds surprises: a folder nobody may read, a link to a file that was moved, a
link that points back up the tree. None of them stops the scan, and none is passed over in
silence: each is a ``Problem`` in the same list as a broken file.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..base.problems import Problem

SESSION_SUFFIX = ".toml"


@dataclass
class Scan:
    """Session files by path with their ``(mtime_ns, size)``, and what could not be looked at."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def scan_sessions(folder: Path) -> Scan:
    """Every ``*.toml`` file below ``folder``, one ``scandir`` per folder.

    Hidden files and folders (editor backups, ``.trash``, ``.git``) are not sessions and are
    left out on purpose. Linked folders are followed once each; a link back into a folder being
    read is a loop and is reported. Whether a file is a regular file is for the reading gate to
    say (``read_toml``), so a FIFO is listed here and refused there, like any broken file.
    """
    scan = Scan()
    if not folder.is_dir():
        return scan
    seen: set[tuple[int, int]] = set()
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
            entries = os.scandir(current)
        except OSError as exc:
            scan.problems.append(_folder_problem(current, exc))
            continue
        if (st.st_dev, st.st_ino) in seen:
            scan.problems.append(
                Problem(current, "is a link to a folder already read (a loop?); skipped")
            )
            entries.close()
            continue
        seen.add((st.st_dev, st.st_ino))
        with entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir and entry.name.endswith(SESSION_SUFFIX):
                    scan.problems.append(Problem(entry.path, "is a folder, not a file"))
                elif is_dir:
                    stack.append(entry.path)
                elif entry.name.endswith(SESSION_SUFFIX):
                    try:
                        info = entry.stat()
                    except OSError as exc:
                        scan.problems.append(_file_problem(entry.path, exc))
                        continue
                    scan.files[entry.path] = (info.st_mtime_ns, info.st_size)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    # A link to nothing may have been a folder of sessions.
                    scan.problems.append(_file_problem(entry.path, None))
    return scan


def _folder_problem(path: str, exc: OSError) -> Problem:
    if exc.errno == errno.ELOOP:
        return Problem(path, "is a link that loops; the sessions inside are not shown")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return Problem(path, f"is a link to nothing ({os.readlink(path)})")
    reason = exc.strerror or str(exc)
    return Problem(path, f"cannot read this folder ({reason}); the sessions inside are not shown")


def _file_problem(path: str, exc: OSError | None) -> Problem:
    if exc is not None and exc.errno == errno.ELOOP:
        return Problem(path, "is a link that loops")
    if os.path.islink(path):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return Problem(path, f"is a link to nothing ({target})")
    reason = exc.strerror if exc is not None else "unknown"
    return Problem(path, f"cannot read: {reason}")
