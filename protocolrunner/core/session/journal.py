"""The journal: a session in progress, saved often enough that a crash loses nothing.

Snapshots live in the user's state folder, never in the shared record: a half-finished meeting
is private to the machine that ran it until it is saved. Each write is atomic, so a ``kill -9``
leaves either the previous snapshot or the new one.

A running countdown is saved as its deadline, and a snapshot says when it was taken: a restore
counts the time up to that moment. So the journal is written on every change of state (the
caller forces it) and, while the clock runs, at every tick of the run screen, which keeps what a
``kill -9`` can lose of the timing under 2 s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base import paths
from ..base.atomic import write_atomic
from ..base.problems import Problem
from .clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    # Imported where a session is restored: finding no interrupted session needs no models.
    from .engine import Session

JOURNAL_FORMAT = 1
SAVE_INTERVAL = 1.0
"""Seconds between writes while notes or state change; with a 1 s caller, loss stays under 2 s."""
TIME_INTERVAL = 0.5
"""Seconds between writes when only the clock runs: under the run screen's 1 s tick, so every tick
writes and a crash loses less than 2 s of timing."""


@dataclass(frozen=True)
class JournalEntry:
    """An interrupted session found on disk."""

    path: Path
    session_id: str
    protocol_title: str
    saved_at: datetime
    record: str
    protocol_sha256: str
    data: dict[str, Any]

    def restore(self, clock: Clock = SYSTEM_CLOCK) -> Session:
        from .engine import Session

        return Session.from_snapshot(self.data["session"], clock)


class Journal:
    """Keeps one snapshot file per session in progress."""

    def __init__(
        self,
        folder: Path | None = None,
        clock: Clock = SYSTEM_CLOCK,
        interval: float = SAVE_INTERVAL,
        time_interval: float = TIME_INTERVAL,
    ) -> None:
        self.folder = folder or paths.state_dir() / "journal"
        self.clock = clock
        self.interval = interval
        self.time_interval = time_interval
        self._saved_revision: dict[str, int] = {}
        self._saved_at: dict[str, float] = {}

    def path_for(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.json"

    def save(
        self,
        session: Session,
        *,
        record: Path | str = "",
        protocol_sha256: str = "",
        force: bool = False,
    ) -> bool:
        """Write a snapshot if something changed and its interval has passed.

        A change to the notes or the state is written within ``interval``; time running with
        nothing else changing, within ``time_interval`` (that write only moves the snapshot's
        ``saved_at``: the last moment the session is known to have run). ``force`` writes now,
        e.g. at a step change or a pause. Returns whether it wrote.
        """
        now = self.clock.monotonic()
        since = now - self._saved_at.get(session.id, float("-inf"))
        if session.revision != self._saved_revision.get(session.id):
            due = since >= self.interval
        else:
            due = session.running and since >= self.time_interval
        if not force and not due:
            return False
        payload = {
            "format": JOURNAL_FORMAT,
            "record": str(record),
            "protocol_sha256": protocol_sha256,
            "session": session.snapshot(),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        # The journal holds a meeting's notes before anyone chose to save them: only this user
        # may read it, whatever the umask (its folder 0700, its files 0600).
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self.path_for(session.id), text, private=True)
        self._saved_revision[session.id] = session.revision
        self._saved_at[session.id] = now
        return True

    def discard(self, session_id: str) -> None:
        """Forget a session once it is safely in the record (or thrown away on purpose)."""
        self.path_for(session_id).unlink(missing_ok=True)
        self._saved_revision.pop(session_id, None)
        self._saved_at.pop(session_id, None)

    def pending(self) -> tuple[list[JournalEntry], list[Problem]]:
        """Interrupted sessions, newest first, and journal files that could not be read."""
        entries: list[JournalEntry] = []
        problems: list[Problem] = []
        if not self.folder.is_dir():
            return entries, problems
        files = sorted(self.folder.glob("*.json"))
        if not files:
            return entries, problems
        from .engine import SessionError

        for path in files:
            try:
                entries.append(read_entry(path))
            except (OSError, ValueError, KeyError, TypeError, AttributeError, SessionError) as exc:
                problems.append(Problem(str(path), f"unreadable journal: {exc}"))
        entries.sort(key=lambda e: e.saved_at, reverse=True)
        return entries, problems


def read_entry(path: Path) -> JournalEntry:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != JOURNAL_FORMAT:
        raise ValueError(f"unknown journal format {data.get('format')!r}")
    snap = data["session"]
    from .engine import Session

    # Restoring once checks the whole snapshot, so a bad file is reported here, not on Resume.
    Session.from_snapshot(snap)
    return JournalEntry(
        path=path,
        session_id=str(snap["id"]),
        protocol_title=str(snap["protocol"]["title"]),
        saved_at=datetime.fromisoformat(snap["saved_at"]),
        record=str(data.get("record", "")),
        protocol_sha256=str(data.get("protocol_sha256", "")),
        data=data,
    )
