"""The community record: a folder of human-readable TOML files a CoP keeps together.

    community.toml                      who we are, what we agreed
    protocols/                          the community's own protocol files
    sessions/YYYY/<date>-<protocol>-<id>.toml   one file per meeting, written once
    followthrough/YYYY/<date>-<session>-<item>-<id>.toml   one review of one action item

Every write is atomic. New session and follow-through files are created exclusively (two people
saving at once each get their own file), and neither is written again, so copies of the record
merge without conflicts; changes to ``community.toml`` are serialised by a lock file and re-read
before writing, so nobody's edit is lost.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base import paths
from ..base.atomic import write_atomic
from ..base.problems import FileProblems, Problem, decode_toml, parse_toml, read_regular, read_toml
from ..protocol.summaries import SummaryCache, problems_from_json, problems_json
from ..session.clock import SYSTEM_CLOCK, Clock
from .scan import SESSION_SUFFIX, scan_sessions

if TYPE_CHECKING:
    # Imported where used: opening a record, and reading what the search index or the summary
    # cache already holds, needs neither pydantic nor the models.
    from ..session.engine import Session
    from ..session.roles import PastSession
    from .events import ItemKey
    from .models import Community, FollowThroughEvent, SessionRecord

COMMUNITY_FILE = "community.toml"
SESSIONS_DIR = "sessions"
PROTOCOLS_DIR = "protocols"
FOLLOWTHROUGH_DIR = "followthrough"
LOCK_FILE = ".protocolrunner.lock"
DEFAULT_COMMUNITY = "Our community"
"""The name of the community a record made on first use starts with."""
SMALL_RECORD = 300
"""Up to this many session files, bringing the search index up to date takes a few
milliseconds: a screen may read such a record while it draws its first frame."""


class RecordError(RuntimeError):
    """The record cannot be used as asked (missing, locked, not a record)."""


class SessionExistsError(RecordError, FileExistsError):
    """Another session's file already has the name a new session would be saved under.

    Also a ``FileExistsError``, so code that catches ``OSError`` around a save still does.
    """


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for people to read and diff: notes with line breaks stay multi-line strings."""
    import tomli_w

    return tomli_w.dumps(_drop_none(data), multiline_strings=True)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


UNWRITTEN_LOCK_GRACE = 2.0
"""Seconds an empty or unreadable lock file is left alone: its writer may be filling it in."""


@contextlib.contextmanager
def file_lock(
    path: Path, timeout: float = 10.0, stale: float = 120.0, clock: Clock = SYSTEM_CLOCK
) -> Iterator[None]:
    """Hold an exclusive lock file. Works on shared drives, where ``flock`` often does not.

    The file says who holds it: ``host pid``. Someone else's lock is waited for, up to
    ``timeout`` seconds, unless it is stale, when it is taken over at once:

    - its holder ran on this host and that process is gone (killed, crashed);
    - it is empty or unreadable and older than ``UNWRITTEN_LOCK_GRACE`` (its writer died before
      writing, or the disk was full);
    - it is older than ``stale`` seconds, whoever holds it. For a lock from another computer
      this is the only rule, as its process cannot be asked.
    """
    owner = f"{socket.gethostname()} {os.getpid()}\n".encode()
    deadline = clock.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _remove_stale_lock(path, stale, clock):
                continue
            if clock.monotonic() > deadline:
                raise RecordError(
                    f"{path} is locked by another protocolrunner; try again"
                ) from None
            time.sleep(0.02)
            continue
        _write_lock(fd, path, owner)
        break
    try:
        yield
    finally:
        _release_lock(path, owner)


def _write_lock(fd: int, path: Path, owner: bytes) -> None:
    # A lock file without its owner would be waited for by everyone, so it must not stay.
    try:
        try:
            written = os.write(fd, owner)
        finally:
            os.close(fd)  # a shared drive may report a failed write only here
        if written != len(owner):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink()
        raise RecordError(
            f"could not write the lock file {path}: {exc.strerror or exc}; nothing was changed"
        ) from exc


def _release_lock(path: Path, owner: bytes) -> None:
    # Only our own lock is removed: had we held it past ``stale``, another computer may have
    # taken it over, and its lock must stay.
    try:
        ours = path.read_bytes() == owner
    except FileNotFoundError:
        return
    except OSError:
        ours = True
    if ours:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_stale_lock(path: Path, stale: float, clock: Clock) -> bool:
    """Remove the lock at ``path`` if it is stale; whether to try to take it again at once."""
    content: bytes | None
    try:
        seen = os.stat(path)
        try:
            content = path.read_bytes()
        except PermissionError:
            content = None  # another user's lock we may not read: only its age tells
    except FileNotFoundError:
        return True  # released meanwhile
    except OSError:
        return False
    if not _is_stale(content, clock.now().timestamp() - seen.st_mtime, stale):
        return False
    # Two processes may find the same stale lock, and the first may have taken it over before
    # the second removes it. So removing is itself done under a lock of its own: its holder
    # judges the lock again, and only then removes it.
    takeover = path.with_name(path.name + ".takeover")
    try:
        fd = os.open(takeover, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        with contextlib.suppress(OSError):
            # Left by a process that died in these few lines: harmless to remove.
            if clock.now().timestamp() - takeover.stat().st_mtime > UNWRITTEN_LOCK_GRACE:
                takeover.unlink()
        return False
    except OSError:
        return False
    os.close(fd)
    try:
        now = os.stat(path)
        current = None if content is None else path.read_bytes()
        changed = _identity(now) != _identity(seen) or current != content
        if changed and not _is_stale(current, clock.now().timestamp() - now.st_mtime, stale):
            return True  # taken over meanwhile: that lock stays
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            takeover.unlink()
    return True


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_size


def _is_stale(content: bytes | None, age: float, stale: float) -> bool:
    if age > stale:
        return True
    if content is None:
        return False
    holder = _lock_holder(content)
    if holder is None:
        return age > UNWRITTEN_LOCK_GRACE
    host, pid = holder
    return host == socket.gethostname() and not _process_alive(pid)


def _lock_holder(content: bytes) -> tuple[str | None, int] | None:
    """``(host, pid)`` from a lock file; host ``None`` for a lock that holds only a pid (written
    by an older protocolrunner); ``None`` for an empty or garbled file."""
    try:
        fields = content.decode("utf-8").split()
    except UnicodeDecodeError:
        return None
    if len(fields) == 1:
        host, pid = None, fields[0]
    elif len(fields) == 2:
        host, pid = fields
    else:
        return None
    if not (pid.isascii() and pid.isdigit()) or int(pid) <= 0:
        return None
    return host, int(pid)


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill() would end the process there; the age rule still applies
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    return True


def session_record(session: Session, protocol_sha256: str = "") -> SessionRecord:
    """The record of a finished (or finishing) session."""
    from ..session.outcome import Outcome
    from .models import (
        RecordedAction,
        RecordedProtocol,
        RecordedStep,
        RecordedTurn,
        RoleHolders,
        SessionRecord,
        SessionStatus,
        SetupAnswer,
        StepNotes,
    )

    p = session.protocol
    started = session.started_at or session.clock.now()
    ended = session.ended_at or session.clock.now()
    status: SessionStatus = "ended-early" if session.outcome is Outcome.ENDED_EARLY else "completed"
    timing = session.timing().steps
    return SessionRecord(
        id=session.id,
        community=session.community,
        status=status,
        started=started,
        ended=ended,
        attendees=list(session.attendees),
        reflection=session.reflection,
        protocol=RecordedProtocol(
            id=p.id, title=p.title, version=p.version, sha256=protocol_sha256
        ),
        setup=[SetupAnswer(id=q.id, label=q.label, answer=session.setup[q.id]) for q in p.setup],
        roles=[RoleHolders(id=r.id, name=r.name, people=session.roles[r.id]) for r in p.roles],
        steps=[
            RecordedStep(
                id=run.step.id,
                title=run.step.title,
                planned_seconds=run.planned,
                actual_seconds=timing[i].actual,
                extended_seconds=run.extension,
                skipped=timing[i].skipped,
                speakers=list(run.step.speakers),
                silent=list(run.step.silent),
                notes=[
                    StepNotes(id=f.id, label=f.label, text=run.notes.get(f.id, ""))
                    for f in run.step.capture
                ],
                turns=[
                    RecordedTurn(
                        person=turn.name,
                        label=turn.label,
                        round=turn.round + 1,
                        planned_seconds=turn.planned,
                        actual_seconds=round(session.turn_elapsed(i, k)),
                        extended_seconds=turn.extension,
                        note=turn.note,
                    )
                    for k, turn in enumerate(run.turns)
                ],
            )
            for i, run in enumerate(session.runs)
        ],
        actions=[RecordedAction(text=a.text, owner=a.owner, done=a.done) for a in session.actions],
    )


def session_file_name(record: SessionRecord) -> str:
    # Built only from validated pieces (a slug and a hex id), never from free text.
    return f"{record.started:%Y-%m-%d}-{record.protocol.id}-{record.id}.toml"


@dataclass(frozen=True, slots=True)
class CommunityInfo:
    """The community as home and the browser show it: its name, purpose and members' names."""

    name: str
    purpose: str
    member_names: tuple[str, ...]

    @classmethod
    def of(cls, community: Community) -> CommunityInfo:
        return cls(community.name, community.purpose, tuple(community.member_names))

    def to_summary(self) -> dict[str, Any]:
        return {"name": self.name, "purpose": self.purpose, "members": list(self.member_names)}

    @classmethod
    def from_summary(cls, kept: Any) -> CommunityInfo:
        """The info ``to_summary`` kept, ``FileProblems`` if the file was kept as broken,
        ``ValueError`` for anything else (a damaged cache)."""
        if not isinstance(kept, dict):
            raise ValueError("not a community summary")
        if "problems" in kept:
            raise FileProblems(problems_from_json(kept["problems"]))
        name, purpose, members = kept.get("name"), kept.get("purpose"), kept.get("members")
        if not (isinstance(name, str) and isinstance(purpose, str) and isinstance(members, list)):
            raise ValueError("not a community summary")
        if not all(isinstance(member, str) for member in members):
            raise ValueError("not a community summary")
        return cls(name, purpose, tuple(members))


@dataclass
class Loaded:
    """Sessions read from a record, and the files that were skipped, each with a reason."""

    sessions: list[tuple[Path, SessionRecord]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Record:
    """A community record folder."""

    read_only = False
    """Whether its writing methods refuse (``core.record.readonly.ReadOnlyRecord``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._followthrough: (
            tuple[object, dict[ItemKey, FollowThroughEvent], list[Problem]] | None
        ) = None

    @property
    def community_path(self) -> Path:
        return self.root / COMMUNITY_FILE

    @property
    def sessions_dir(self) -> Path:
        return self.root / SESSIONS_DIR

    @property
    def protocols_dir(self) -> Path:
        return self.root / PROTOCOLS_DIR

    @property
    def followthrough_dir(self) -> Path:
        return self.root / FOLLOWTHROUGH_DIR

    def exists(self) -> bool:
        return self.community_path.is_file()

    # -- creation --------------------------------------------------------------------------
    @classmethod
    def init(cls, root: Path, community: Community) -> Record:
        """Create a record; refuses to overwrite an existing ``community.toml``."""
        record = cls(root)
        if record.exists():
            raise RecordError(f"{record.community_path} already exists")
        record.sessions_dir.mkdir(parents=True, exist_ok=True)
        record.protocols_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(record.community_path, community_toml(community), exclusive=True)
        return record

    @classmethod
    def open(cls, root: Path, create: bool = True) -> Record:
        """Open a record, creating a working one on first use."""
        record = cls(root)
        if not record.exists():
            if not create:
                raise RecordError(f"{root} is not a community record (no {COMMUNITY_FILE})")
            from .models import Community

            try:
                cls.init(root, Community(name=DEFAULT_COMMUNITY))
            except (FileExistsError, RecordError):
                if not record.exists():  # not another process making it at the same moment
                    raise
        return record

    # -- community ---------------------------------------------------------------------------
    def load_community(self) -> Community:
        """``community.toml``; a copy of each version read whole is kept on this computer, so
        that a file broken later (a bad merge, an editor's crash) still shows its last good
        content (``last_good_community``)."""
        name = str(self.community_path)
        return self._community_from(read_regular(self.community_path, name), name)

    def _community_from(self, raw: bytes, name: str) -> Community:
        from ..protocol.validation import validate_document
        from .models import Community

        text = decode_toml(raw, name)
        community = validate_document(Community, parse_toml(text, name), text, name)
        self._keep_good_copy(text)
        return community

    def community_info(self, cache: SummaryCache | None = None) -> CommunityInfo:
        """What home and the browser show of ``community.toml``: from ``cache`` while the file is
        as it was when last read whole (no models needed), else read now (``load_community``)
        and kept there. Raises ``FileProblems`` as ``load_community`` does."""
        name = str(self.community_path)
        raw = read_regular(self.community_path, name)
        try:
            key = SummaryCache.key(raw, os.stat(self.community_path))
        except OSError:
            key = None
        if cache is not None and key is not None:
            kept = cache.get(name, key)
            if kept is not None:
                with contextlib.suppress(ValueError):
                    return CommunityInfo.from_summary(kept)
        try:
            info = CommunityInfo.of(self._community_from(raw, name))
        except FileProblems as exc:
            if cache is not None and key is not None:
                cache.put(name, key, {"problems": problems_json(exc.problems)})
            raise
        if cache is not None and key is not None:
            cache.put(name, key, info.to_summary())
        return info

    def last_good_community(self) -> Community | None:
        """The last ``community.toml`` this computer read whole, or None."""
        from ..protocol.validation import validate_document
        from .models import Community

        path = self._good_copy_path()
        try:
            data, text = read_toml(path)
            return validate_document(Community, data, text, str(path))
        except FileProblems:
            return None

    def _good_copy_path(self) -> Path:
        key = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:16]
        return paths.cache_dir() / "community" / f"{key}.toml"

    def _keep_good_copy(self, text: str) -> None:
        path = self._good_copy_path()
        # Only a copy: a cache that cannot be written costs the fallback, nothing else.
        with contextlib.suppress(OSError):
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                write_atomic(path, text, durable=False)

    def update_community(self, change: Callable[[Community], Community]) -> Community:
        """Apply ``change`` to the freshest copy on disk, under the lock, and write it back."""
        from .models import Community

        with file_lock(self.root / LOCK_FILE):
            updated = change(self.load_community())
            updated = Community.model_validate(updated.model_dump())
            write_atomic(self.community_path, community_toml(updated))
            return updated

    # -- sessions ----------------------------------------------------------------------------
    def session_files(self) -> list[Path]:
        return sorted(Path(p) for p in scan_sessions(self.sessions_dir).files)

    def is_small(self, limit: int = SMALL_RECORD) -> bool:
        """Whether the record has at most ``limit`` session files, counted by name in the
        year folders without reading or even looking at them (a folder that cannot be listed
        counts as empty: reading it costs nothing either)."""
        count = 0
        for year in _listing(self.sessions_dir):
            if not year.name.startswith("."):
                count += sum(1 for entry in _listing(year) if entry.name.endswith(SESSION_SUFFIX))
                if count > limit:
                    return False
        return True

    def load_session(self, path: Path, *, followthrough: bool = True) -> SessionRecord:
        """The session in ``path``, its action items in the state the group last gave them
        (``followthrough=False``: as the file says, which the search index keeps)."""
        from ..protocol.validation import validate_document
        from .events import apply_events
        from .models import SessionRecord

        data, text = read_toml(path)
        record = validate_document(SessionRecord, data, text, str(path))
        return apply_events(record, self.followthrough()) if followthrough else record

    def load_sessions(self) -> Loaded:
        """Every session that can be read, and a problem for each file or folder that cannot."""
        from .events import apply_events

        scan = scan_sessions(self.sessions_dir)
        loaded = Loaded(problems=list(scan.problems))
        latest = self.followthrough(loaded.problems)
        for name in sorted(scan.files):
            path = Path(name)
            try:
                session = self.load_session(path, followthrough=False)
            except FileProblems as exc:
                loaded.problems.extend(exc.problems)
                continue
            loaded.sessions.append((path, apply_events(session, latest)))
        loaded.sessions.sort(key=lambda item: item[1].started, reverse=True)
        return loaded

    # -- follow-through ----------------------------------------------------------------------
    def load_event(self, path: Path) -> FollowThroughEvent:
        from ..protocol.validation import validate_document
        from .models import FollowThroughEvent

        data, text = read_toml(path)
        return validate_document(FollowThroughEvent, data, text, str(path))

    def load_events(self, problems: list[Problem] | None = None) -> list[FollowThroughEvent]:
        """Every follow-through event; files that cannot be read go to ``problems``."""
        scan = scan_sessions(self.followthrough_dir)
        if problems is not None:
            problems.extend(scan.problems)
        events = []
        for name in sorted(scan.files):
            try:
                events.append(self.load_event(Path(name)))
            except FileProblems as exc:
                if problems is not None:
                    problems.extend(exc.problems)
        return events

    def followthrough(
        self, problems: list[Problem] | None = None
    ) -> dict[ItemKey, FollowThroughEvent]:
        """The event in force for each reviewed item, read again only when the files change.

        Event files are only ever added or removed, never rewritten, and either changes the
        modification time of their folder: the folders' times are the signature, so showing
        ten thousand sessions does not stat every event file ten thousand times.
        """
        from .events import latest_by_item

        signature = _folder_times(self.followthrough_dir)
        if self._followthrough is None or self._followthrough[0] != signature:
            found: list[Problem] = []
            self._followthrough = (signature, latest_by_item(self.load_events(found)), found)
        _, latest, found = self._followthrough
        if problems is not None:
            problems.extend(found)  # from the cache too: a broken event file is always named
        return latest

    def save_event(self, event: FollowThroughEvent) -> Path:
        """Write a new follow-through event; never replaces another file."""
        from .events import event_file_name

        path = self.followthrough_dir / f"{event.at:%Y}" / event_file_name(event)
        self._inside(path)
        self._followthrough = None
        write_atomic(path, to_toml(event.model_dump(mode="python")), exclusive=True)
        return path

    def save_session(self, record: SessionRecord) -> Path:
        """Write a new session file; never replaces another session's file.

        Saving the same session twice is not an error: if the file is already there with the
        very same content (say a crash came after the save but before the journal was
        discarded, and the resumed session is saved again), its path is returned. A different
        file under that name raises ``SessionExistsError`` and is left as it is.
        """
        path = self.sessions_dir / f"{record.started:%Y}" / session_file_name(record)
        self._inside(path)
        text = session_toml(record)
        try:
            write_atomic(path, text, exclusive=True)
        except FileExistsError:
            try:
                same = path.is_file() and path.read_bytes() == text.encode("utf-8")
            except OSError:
                same = False
            if same:
                return path
            raise SessionExistsError(
                f"a different session with the same id is already saved at {path}; "
                "it was left as it is, and this session was not saved"
            ) from None
        return path

    def history(self) -> list[PastSession]:
        """Who held which role when, for fair rotation."""
        from ..session.roles import PastSession

        return [
            PastSession(rec.started.date(), {r.id: r.people for r in rec.roles})
            for _, rec in self.load_sessions().sessions
        ]

    def _inside(self, path: Path) -> None:
        root = self.root.resolve()
        if root != path.resolve() and root not in path.resolve().parents:
            raise RecordError(f"{path} is outside the record {self.root}")


def _listing(folder: Path | os.DirEntry[str]) -> list[os.DirEntry[str]]:
    """What ``folder`` holds; nothing when it is not a folder or cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _folder_times(folder: Path) -> tuple[tuple[str, int], ...]:
    """(path, mtime_ns) of ``folder`` and the folders directly in it; empty if it is missing.

    A file added in this process resets the cache itself (``save_event``); another process's
    file changes a folder's time, unless it lands within the same tick of the file system's
    clock as the last read (a few milliseconds), which no meeting will notice.
    """
    times = []
    try:
        times.append((str(folder), folder.stat().st_mtime_ns))
        with os.scandir(folder) as entries:
            times += [(e.path, e.stat().st_mtime_ns) for e in entries if e.is_dir()]
    except OSError:
        pass
    return tuple(sorted(times))


def community_toml(community: Community) -> str:
    return to_toml(community.model_dump(mode="python"))


def session_toml(record: SessionRecord) -> str:
    return to_toml(record.model_dump(mode="python"))
