"""git's merge driver for record files.

``python -m protocolrunner.core.record.merge_driver O A B P``:

git calls it with the common ancestor (O), this side's version (A, where the result goes), the
other side's (B) and the file's path in the record (P). The merge itself is ``core.record.merge``;
what it could not apply is appended to a report in the git folder for ``record sync`` to show.
A failure exits 1, which makes git count the file as conflicted: ``record sync`` then aborts the
whole merge, so no half-merged file is ever left behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..base.atomic import write_atomic
from .merge import Conflict, merge_record_file
from .sync import REPORT_FILE


def _read(path: str) -> str | None:
    try:
        return Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: merge_driver BASE OURS THEIRS PATH", file=sys.stderr)
        return 2
    base_path, ours_path, theirs_path, name = argv
    ours, theirs = _read(ours_path), _read(theirs_path)
    if ours is None or theirs is None:
        return 1
    try:
        merged = merge_record_file(_read(base_path) or None, ours, theirs, name)
        write_atomic(Path(ours_path), merged.text)
    except Exception as exc:  # any failure must become git's "conflicted", never a traceback
        print(f"protocolrunner could not merge {name}: {exc}", file=sys.stderr)
        return 1
    if merged.conflicts:
        _report(name, merged.conflicts)
    return 0


def _report(name: str, conflicts: list[Conflict]) -> None:
    git_dir = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not git_dir:
        return
    with open(Path(git_dir) / REPORT_FILE, "a", encoding="utf-8") as report:
        for conflict in conflicts:
            entry = {"file": name, "key": conflict.key, "kept": conflict.kept}
            entry["other"] = conflict.other
            report.write(json.dumps(entry, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
