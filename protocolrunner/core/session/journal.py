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

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..base import paths
from ..base.atomic import write_atomic
from ..base.problems import FileProblems, Problem, read_regular
from .clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    # Imported where a journal is read or written: finding no interrupted session needs no
    # models (nor pydantic).
    from .engine import Session
    from .snapshot import JournalFile

JOURNAL_FORMAT = 1
"""The journal file's own format (``snapshot.JournalFile``); the session inside has its own
(``snapshot.SNAPSHOT_FORMAT``)."""
MAX_JOURNAL_BYTES = 16 * 1024 * 1024
"""The largest journal file read: a day of notes is far less, and a bound keeps a file that
is not a journal from filling the memory."""
SAVE_INTERVAL = 1.0
"""Seconds between writes while notes or state change; with a 1 s caller, loss stays under 2 s."""
TIME_INTERVAL = 0.5
"""Seconds between writes when only the clock runs: under the run screen's 1 s tick, so every tick
writes and a crash loses less than 2 s of timing."""


class JournalUnreadable(ValueError):
    """A journal that cannot be resumed, whatever the reason: the one error reading one gives.

    Its message is one line; ``key`` names the place in the file where there is one.
    """

    def __init__(self, reason: str, key: str = "") -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.reason = reason
        self.key = key


@dataclass(frozen=True)
class JournalEntry:
    """An interrupted session found on disk, read and checked."""

    path: Path
    saved: JournalFile

    @property
    def session_id(self) -> str:
        return self.saved.session.id

    @property
    def protocol_title(self) -> str:
        return self.saved.session.protocol.title

    @property
    def saved_at(self) -> datetime:
        return self.saved.session.saved_at

    @property
    def record(self) -> str:
        return self.saved.record

    @property
    def protocol_sha256(self) -> str:
        return self.saved.protocol_sha256

    def restore(self, clock: Clock = SYSTEM_CLOCK) -> Session:
        from .engine import Session

        return Session.from_snapshot(self.saved.session, clock)


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
        from .snapshot import JournalFile

        # Built without validation: what the engine holds is written as it is, whatever it
        # holds; the checks are for reading a file back.
        saved = JournalFile.model_construct(
            record=str(record), protocol_sha256=protocol_sha256, session=session.snapshot()
        )
        text = saved.model_dump_json(indent=1)
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
        for path in files:
            try:
                entries.append(read_entry(path))
            except JournalUnreadable as exc:
                problems.append(
                    Problem(str(path), f"unreadable journal: {exc.reason}", key=exc.key)
                )
        entries.sort(key=lambda e: e.saved_at, reverse=True)
        return entries, problems


def read_entry(path: Path) -> JournalEntry:
    """The journal file at ``path``, checked whole, so a bad file is reported here and not on
    Resume; any problem is a ``JournalUnreadable``."""
    try:
        raw = read_regular(path, str(path), MAX_JOURNAL_BYTES, file_type="journal")
    except FileProblems as exc:
        raise JournalUnreadable(exc.problems[0].message) from None
    from .snapshot import JournalFile, parse

    return JournalEntry(path, parse(JournalFile, raw))
