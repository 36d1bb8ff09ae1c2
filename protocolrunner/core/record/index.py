"""A derived search index over a record's sessions (SQLite with FTS5).

The TOML files stay the source of truth. The index lives in the user's cache folder, never in
the shared record, and can be deleted at any time: it is rebuilt when missing or corrupt, and
refreshed incrementally by comparing each file's modification time and size.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, ParamSpec, TypeVar

from ..base import paths
from ..base.problems import FileProblems, Problem, read_toml
from .scan import scan_sessions

if TYPE_CHECKING:
    # Type names only: browsing an up-to-date index never needs the pydantic models, and
    # the record browser paints its first frame before they are imported.
    from .folder import Record
    from .models import FollowThroughEvent, SessionRecord

_P = ParamSpec("_P")
_T = TypeVar("_T")

INDEX_SCHEMA = 6
BUSY_TIMEOUT = 120.0
"""Seconds to wait while another process writes the same index: the first build of a record
of ten thousand sessions takes about 15 s on a small laptop."""
CACHE_KIB = -32768
"""SQLite's page cache for each connection (negative: in KiB), 16 times its default: a search of
a large record's full-text index then finds its pages in memory after the first (a rare word's
count at 30,000 sessions took 1.28 ms with the default, 0.44 ms with a larger cache)."""
MARK_START, MARK_END = "\x02", "\x03"
"""Bracket search matches in snippets; control characters, so no note text can fake them."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns INTEGER, size INTEGER, problem TEXT);
CREATE TABLE sessions (
    rowid INTEGER PRIMARY KEY,
    path TEXT UNIQUE NOT NULL, name TEXT,
    id TEXT, started TEXT, day TEXT,
    protocol_id TEXT, protocol_title TEXT,
    presenters TEXT, focus TEXT,
    planned INTEGER, actual INTEGER, status TEXT, attendees INTEGER
);
CREATE INDEX sessions_started ON sessions(started);
CREATE INDEX sessions_protocol ON sessions(protocol_id, started);
CREATE TABLE people (session INTEGER, name TEXT, name_key TEXT, role_id TEXT, role_name TEXT);
CREATE INDEX people_name ON people(name_key, role_id);
CREATE INDEX people_session ON people(session);
CREATE TABLE steps (
    session INTEGER, position INTEGER, step_id TEXT, title TEXT,
    planned INTEGER, actual INTEGER, extended INTEGER, skipped INTEGER
);
CREATE INDEX steps_session ON steps(session);
CREATE TABLE actions (
    session INTEGER, position INTEGER, text TEXT, owner TEXT,
    done INTEGER, status TEXT, reviewed TEXT
);
CREATE INDEX actions_session ON actions(session);
CREATE TABLE events (
    path TEXT PRIMARY KEY, session_id TEXT, item INTEGER, state TEXT, at_utc TEXT, id TEXT,
    day TEXT
);
CREATE INDEX events_item ON events(session_id, item, at_utc, id);
CREATE VIRTUAL TABLE fts USING fts5(
    setup, notes, actions, reflection, people,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""


class SessionRow(NamedTuple):
    """One session as the index knows it: enough for a table row and a search hit.

    The path and the start are the text the index stores (``path_text``, ``started_text``);
    ``path`` and ``started`` make a ``Path`` and a ``datetime`` of them when asked, so a listing
    that only prints them (``record list``, ``record search``) never pays for either.
    """

    path_text: str
    id: str
    started_text: str
    """The start as ISO 8601 text (``datetime.isoformat``)."""
    protocol_id: str
    protocol_title: str
    presenters: str
    focus: str
    planned: int
    actual: int
    status: str
    attendees: int
    snippet: str = ""

    @property
    def path(self) -> Path:
        return Path(self.path_text)

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_text)

    @property
    def day(self) -> str:
        """The day of the start, ``YYYY-MM-DD``."""
        text = self.started_text
        # ISO text starts with the date, but pads a year before 1000 where strftime does not.
        return text[:10] if text[:1] != "0" else f"{self.started:%Y-%m-%d}"


_STORED_AS = {"path_text": "path", "started_text": "started"}
"""The columns of ``sessions`` named otherwise than the ``SessionRow`` fields they fill."""
_ROW_COLUMNS = ", ".join(
    f"s.{_STORED_AS.get(name, name)}" for name in SessionRow._fields if name != "snippet"
)
"""What a query selects for a ``SessionRow``, field by field; the snippet follows."""


_INDEXES = [
    " ".join(statement.split())
    for statement in _SCHEMA.split(";")
    if statement.strip().startswith("CREATE INDEX")
]


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step of one past session: its plan and what really happened."""

    session_id: str
    position: int
    step_id: str
    title: str
    planned: int
    actual: int
    extended: int
    skipped: bool


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An action item, the state the group last gave it, and the session it came from."""

    path: Path
    session_id: str
    started: datetime
    protocol_id: str
    protocol_title: str
    position: int
    text: str
    owner: str
    status: str | None
    reviewed: date | None
    latest: bool
    """Whether the session is the newest of its protocol."""
    done: bool = False

    @property
    def state(self) -> str:
        """open, carried, done or dropped."""
        return "done" if self.done else (self.status or "open")

    @property
    def ref(self) -> str:
        """How a person names the item on the command line: '<session id>-<place>'."""
        return f"{self.session_id}-{self.position}"


@dataclass(frozen=True, slots=True)
class Facets:
    """What the indexed sessions mention: ``(id, title)`` of protocols, people's names and
    ``(id, name)`` of roles, each sorted for a menu."""

    protocols: list[tuple[str, str]]
    people: list[str]
    roles: list[tuple[str, str]]


@dataclass
class RefreshStats:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warning: str | None = None
    """Why the index works in memory only (``SessionIndex.degraded``), to tell the user once."""


Progress = Callable[[int, int], object]
PROGRESS_EVERY = 200
LONG_REFRESH = 500
"""From this many files to read, a refresh takes seconds and is worth telling the user about."""


class IndexBusy(RuntimeError):
    """Another process held the index for longer than ``BUSY_TIMEOUT``."""


def _busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` means another connection holds a lock, not that the file is damaged."""
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def default_index_path(record_root: Path) -> Path:
    key = hashlib.sha256(str(record_root.resolve()).encode()).hexdigest()[:16]
    return paths.cache_dir() / "index" / f"{key}.sqlite3"


def name_key(name: str) -> str:
    """How names are compared: case-insensitively in any script ("Élodie" = "élodie")."""
    return " ".join(name.casefold().split())


MAX_QUERY_WORDS = 64
"""The most words one full-text query holds (``core.record.browse.MAX_TERMS`` says so to people)."""


def fts_query(text: str) -> str:
    """Turn what a person typed into a safe FTS5 query: every word must match, the last as a
    prefix (so results follow typing). Quotes keep FTS5 syntax (AND, NEAR, *, :) literal."""
    # NUL ends a C string inside SQLite: drop it rather than send a broken query. Each word
    # once, and no more than MAX_QUERY_WORDS of them: SQLite's work grows fast with the terms.
    typed = text.replace("\x00", " ").split()
    if not typed:
        return ""
    # The last word stays last: it is the one being typed, matched as a prefix.
    last = typed[-1]
    earlier = [word for word in dict.fromkeys(typed[:-1]) if word != last]
    words = [*earlier[: MAX_QUERY_WORDS - 1], last]
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def search_words(text: str) -> list[str]:
    """The words of a search as the index splits them (at white space; NUL is a space)."""
    return text.replace("\x00", " ").split()


def search_text(words: list[str]) -> str:
    """``words`` as a search with each word once: the same sessions match, for less work.

    Every word must match, the last one as a prefix (``fts_query``); so the last word is kept
    last, and an earlier copy of it stays as the whole word it was.
    """
    if not words:
        return ""
    return " ".join([*dict.fromkeys(words[:-1]), words[-1]])


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Which sessions to list: those matching every filter given (an empty one asks nothing).

    ``text`` is a full-text search of the first ``MAX_QUERY_WORDS`` words typed; ``member`` a
    whole name, in any case; ``since`` and ``until`` days, both included; ``ref`` the start of a
    session id or file name (``SessionIndex.find``).
    """

    text: str = ""
    protocol: str | None = None
    member: str | None = None
    role: str | None = None
    since: date | None = None
    until: date | None = None
    ref: str = ""

    @property
    def words(self) -> list[str]:
        """The words searched: the first ``MAX_QUERY_WORDS`` of ``text``."""
        return search_words(self.text)[:MAX_QUERY_WORDS]

    @property
    def too_many_words(self) -> bool:
        """Whether ``text`` has more words than are searched."""
        return len(search_words(self.text)) > MAX_QUERY_WORDS

    @property
    def search(self) -> str:
        """The full-text search the index runs: ``words``, each once (``search_text``)."""
        return search_text(self.words)

    @property
    def is_empty(self) -> bool:
        return not (
            self.words
            or self.protocol
            or self.member
            or self.role
            or self.since
            or self.until
            or self.ref
        )


EVERY_SESSION = SessionFilter()


@contextlib.contextmanager
def _writing(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, begun at once: a second writer waits here, not halfway."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK
        # would fail and hide the error that matters.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _use_wal(db: sqlite3.Connection, pause: float = 0.02) -> None:
    """Switch to write-ahead logging, so that readers never wait for a writer.

    The switch needs the file to itself and SQLite does not wait for that, so while another
    process sets up the same new index, try again for up to ``BUSY_TIMEOUT``."""
    for _ in range(int(BUSY_TIMEOUT / pause)):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        time.sleep(pause)
    db.execute("PRAGMA journal_mode=WAL")


def _create_schema(db: sqlite3.Connection) -> None:
    """Replace whatever the file holds with empty tables of this version's schema."""
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    # Virtual tables first: dropping one drops the tables that hold its data.
    tables.sort(key=lambda row: not (row[1] or "").upper().startswith("CREATE VIRTUAL"))
    for name, _ in tables:
        if not name.startswith("sqlite_"):
            db.execute(f'DROP TABLE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')
    # One statement at a time: executescript() would commit the transaction first.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(INDEX_SCHEMA),))


_LATEST_EVENTS = (
    "SELECT session_id, item, state, day FROM (SELECT session_id, item, state, day, "
    "row_number() OVER (PARTITION BY session_id, item ORDER BY at_utc DESC, id DESC) AS n "
    "FROM events) WHERE n = 1"
)
"""The follow-through event in force for each reviewed item (see ``core.record.events``)."""

_REFRESH_LOCKS: dict[str, threading.Lock] = {}
_REFRESH_LOCKS_GUARD = threading.Lock()


def _refresh_lock(db_path: Path) -> threading.Lock:
    with _REFRESH_LOCKS_GUARD:
        return _REFRESH_LOCKS.setdefault(str(db_path.absolute()), threading.Lock())


class SessionRows(NamedTuple):
    """What the index stores of one session, ready to insert (built where the file is read,
    in a pool's process when many are)."""

    path: str
    session: tuple[object, ...]
    people: list[tuple[object, ...]]
    steps: list[tuple[object, ...]]
    actions: list[tuple[object, ...]]
    text: tuple[str, ...]


POOL_FROM = 400
"""From this many session files to read, helper processes read them, one per core
(``core.base.readpool``): their start-up (each imports the models) costs less than they save."""


def read_sessions(paths: list[str]) -> Iterator[tuple[str, SessionRows | list[Problem]]]:
    """Each session file of ``paths`` read and validated, in order: its rows for the index,
    or the problems that keep it out. Many files are read on every core."""
    from ..base.readpool import cores, read_all

    helpers = cores()
    if len(paths) < POOL_FROM or helpers < 2:
        return ((path, read_session(path)) for path in paths)
    return read_all(paths, read_session, helpers)


def read_session(path: str) -> SessionRows | list[Problem]:
    """One session file as the index stores it, or the problems that keep it out."""
    from ..protocol.validation import validate_document
    from .models import SessionRecord

    try:
        data, text = read_toml(Path(path))
        session = validate_document(SessionRecord, data, text, path)
    except FileProblems as exc:
        return exc.problems
    try:
        return _session_rows(path, session)
    except (OverflowError, ValueError) as exc:
        return [Problem(path, f"cannot be added to the search index: {exc}")]


def _session_rows(path: str, s: SessionRecord) -> SessionRows:
    return SessionRows(
        path,
        (
            path,
            Path(path).name,
            s.id,
            s.started.isoformat(),
            s.started.date().isoformat(),
            s.protocol.id,
            s.protocol.title,
            ", ".join(s.presenters),
            s.focus,
            sum(step.planned_seconds for step in s.steps),
            s.actual_seconds,
            s.status,
            len(s.attendees),
        ),
        [(name, name_key(name), role.id, role.name) for role in s.roles for name in role.people],
        [
            (
                i,
                st.id,
                st.title,
                st.planned_seconds,
                st.actual_seconds,
                st.extended_seconds,
                int(st.skipped),
            )
            for i, st in enumerate(s.steps)
        ],
        [
            (
                i,
                a.text,
                a.owner,
                int(a.done),
                a.status,
                a.reviewed.isoformat() if a.reviewed else None,
            )
            for i, a in enumerate(s.actions)
        ],
        (
            "\n".join(a.answer for a in s.setup),
            "\n".join(n.text for step in s.steps for n in step.notes if n.text),
            "\n".join(f"{a.text} {a.owner}" for a in s.actions),
            s.reflection,
            " ".join(s.attendees),
        ),
    )


def _signature(files: dict[str, tuple[int, int]]) -> str:
    """One digest of every file's path, modification time and size, in the order they were
    found: equal to the one stored at the last refresh, it says nothing changed, without
    reading the index's list of files. (Found in another order, it only costs that refresh.)"""
    digest = hashlib.sha256("\0".join(files).encode("utf-8", "surrogateescape"))
    try:
        digest.update(array.array("q", itertools.chain.from_iterable(files.values())).tobytes())
    except OverflowError:  # a time past the year 2262: compare file by file
        return ""
    return digest.hexdigest()


def _stored_signature(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'files'").fetchone()
    return row[0] if row else None


def _work_out_facets(db: sqlite3.Connection) -> Facets:
    # SQLite takes bare columns from the row with the max(): the latest title.
    protocols = db.execute(
        "SELECT protocol_id, protocol_title, max(started) FROM sessions GROUP BY protocol_id"
    ).fetchall()
    people: dict[str, str] = {}
    for (name,) in db.execute("SELECT DISTINCT name FROM people ORDER BY name"):
        people.setdefault(name_key(name), name)
    roles = db.execute(
        "SELECT role_id, role_name, max(rowid) FROM people GROUP BY role_id"
    ).fetchall()
    return Facets(
        protocols=sorted(((p, t) for p, t, _ in protocols), key=lambda x: x[1].casefold()),
        people=[people[key] for key in sorted(people)],
        roles=sorted(((r, n) for r, n, _ in roles), key=lambda x: x[1].casefold()),
    )


def _facets_from_json(text: str) -> Facets:
    data = json.loads(text)
    facets = Facets(
        protocols=[(str(p), str(t)) for p, t in data["protocols"]],
        people=[str(name) for name in data["people"]],
        roles=[(str(r), str(n)) for r, n in data["roles"]],
    )
    return facets


def _store_facets(db: sqlite3.Connection) -> None:
    """Work out the filter menus' entries once, when the sessions changed: the browser then
    reads them in one row, not in three scans of the tables."""
    facets = _work_out_facets(db)
    text = json.dumps(
        {"protocols": facets.protocols, "people": facets.people, "roles": facets.roles},
        ensure_ascii=False,
    )
    db.execute("INSERT OR REPLACE INTO meta VALUES ('facets', ?)", (text,))


class _Where(NamedTuple):
    sql: str
    """`` WHERE ...`` over the table ``sessions s``, or nothing for every session."""
    params: list[object]
    match: str
    """The full-text query (``fts_query``) the filter's search makes; empty without one."""


def _where(filter: SessionFilter) -> _Where:
    """The SQL that picks the sessions ``filter`` asks for."""
    clauses: list[str] = []
    params: list[object] = []
    if filter.ref:
        escaped = filter.ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(s.id LIKE ? ESCAPE '\\' OR s.name LIKE ? ESCAPE '\\')")
        params += [escaped, escaped]
    match = fts_query(filter.search)
    if match:
        clauses.append("s.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
        params.append(match)
    if filter.protocol:
        clauses.append("s.protocol_id = ?")
        params.append(filter.protocol)
    if filter.member or filter.role:
        sub = "SELECT 1 FROM people p WHERE p.session = s.rowid"
        if filter.member:
            sub += " AND p.name_key = ?"
            params.append(name_key(filter.member))
        if filter.role:
            sub += " AND p.role_id = ?"
            params.append(filter.role)
        clauses.append(f"EXISTS ({sub})")
    if filter.since:
        clauses.append("s.day >= ?")
        params.append(filter.since.isoformat())
    if filter.until:
        clauses.append("s.day <= ?")
        params.append(filter.until.isoformat())
    return _Where(" WHERE " + " AND ".join(clauses) if clauses else "", params, match)


class SessionIndex:
    """Search and filter a record's sessions quickly, whatever its size."""

    def __init__(self, record: Record, db_path: Path | None = None) -> None:
        self.record = record
        self.db_path = db_path or default_index_path(record.root)
        self._db: sqlite3.Connection | None = None
        self.degraded: str | None = None
        """Why the index is kept in memory only, when its file cannot be used."""

    # -- connection --------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                db = self._open()
            except sqlite3.DatabaseError as exc:
                self._after_error(exc)
                db = self._open()
        except (OSError, sqlite3.DatabaseError) as exc:
            db = self._open_in_memory(exc)
        self._db = db
        return db

    def _open_in_memory(self, exc: BaseException) -> sqlite3.Connection:
        """An index that lives in this process alone, for when the cache folder is full,
        read-only or broken: the record still opens, only more slowly."""
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        self.degraded = (
            f"the search index cannot be kept in {self.db_path.parent} ({reason}); "
            "the record is read without it, more slowly"
        )
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        with _writing(db):
            _create_schema(db)
            # Filled at once: a query must not find an empty index where a file one is stale.
            self._update(db, None)
        return db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, isolation_level=None, timeout=BUSY_TIMEOUT)
        try:
            _use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA cache_size={CACHE_KIB}")
            if self._schema_version(db) != str(INDEX_SCHEMA):
                # Checked again inside a write transaction: another process may be creating
                # the same index right now, and must not have its tables dropped half-made.
                with _writing(db):
                    if self._schema_version(db) != str(INDEX_SCHEMA):
                        _create_schema(db)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> str | None:
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise
            return None  # no meta table: a new file, or not our index
        return row[0] if row else None

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)

    def was_refreshed(self) -> bool:
        """Whether the index file holds a finished refresh, so that what it lists can be shown
        while a new refresh looks for changes. A missing file is not created."""
        if self._db is None and not self.db_path.is_file():
            return False
        return _stored_signature(self._connect()) is not None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> SessionIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- refresh -------------------------------------------------------------------------------
    def refresh(self, progress: Progress | None = None) -> RefreshStats:
        """Bring the index up to date with the files; only changed files are read.

        ``progress(done, total)`` hears how many of the changed files have been read, before
        the first and then every ``PROGRESS_EVERY`` files: the first build of a large record
        takes a while.

        Refreshes of one index file in this process take turns (screens refresh in threads):
        the second finds the work done, and neither mistakes the other's write lock for a
        damaged index.
        """
        with _refresh_lock(self.db_path):
            try:
                return self._refresh(progress)
            except sqlite3.DatabaseError as exc:
                if self.degraded:
                    raise
                try:
                    self._after_error(exc)
                    return self._refresh(progress)
                except (OSError, sqlite3.DatabaseError) as again:
                    # Rebuilt and failed again: the file cannot be written (a full disk).
                    self.close()
                    self._db = self._open_in_memory(again)
                    return self._refresh(progress)

    def _after_error(self, exc: sqlite3.DatabaseError) -> None:
        """Start again from an empty index if ``exc`` says the file is damaged (the index is
        only derived data); if another process holds it, say so and leave it alone."""
        self.close()
        if _busy(exc):
            raise IndexBusy(
                f"the search index {self.db_path} has been busy for {BUSY_TIMEOUT:.0f} s: "
                "is another protocolrunner still reading a large record? Try again."
            ) from exc
        self._remove_files()

    def _refresh(self, progress: Progress | None = None) -> RefreshStats:
        db = self._connect()
        # The write lock is taken before the index is compared with the files: a process that
        # waited for another's refresh then finds the work done, instead of doing it again.
        with _writing(db):
            return self._update(db, progress)

    def _update(self, db: sqlite3.Connection, progress: Progress | None) -> RefreshStats:
        scan = scan_sessions(self.record.sessions_dir)
        events = scan_sessions(self.record.followthrough_dir)
        stats = RefreshStats(problems=scan.problems + events.problems, warning=self.degraded)
        on_disk = scan.files | events.files
        signature = _signature(on_disk)
        if _stored_signature(db) == signature:
            # Not a file added, removed or changed since the last refresh: only the problems
            # kept with the files that could not be read are told again.
            stats.unchanged = len(on_disk)
            for (problem,) in db.execute("SELECT problem FROM files WHERE problem IS NOT NULL"):
                stats.problems.extend(Problem(**item) for item in json.loads(problem))
            return stats
        known = {
            path: (mtime, size, problem)
            for path, mtime, size, problem in db.execute(
                "SELECT path, mtime_ns, size, problem FROM files"
            )
        }
        changed = [p for p, sig in on_disk.items() if known.get(p, (None, None))[:2] != sig]
        removed = [p for p in known if p not in on_disk]
        stats.unchanged = len(on_disk) - len(changed)
        for path, (_, _, problem) in known.items():
            if problem and path in on_disk and path not in changed:
                stats.problems.extend(Problem(**item) for item in json.loads(problem))
        for path in removed:
            self._forget(db, path)
            stats.removed += 1
        # Session files are read (and validated) by a pool of processes when there are many,
        # as at the first open of a large record; events are few and read here.
        sessions = [p for p in changed if p not in events.files]
        done = 0
        # A first build fills empty tables: their indexes are quicker made once at the end.
        bulk = not known and len(sessions) >= POOL_FROM
        if bulk:
            for statement in _INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")

        def counted() -> None:
            nonlocal done
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, len(changed))
            done += 1

        for path, read in read_sessions(sessions):
            counted()
            mtime, size = on_disk[path]
            if path in known:
                self._forget(db, path)
            if isinstance(read, list):
                self._file(db, path, mtime, size, read, stats)
                continue
            problem = self._insert_one(db, read)
            self._file(db, path, mtime, size, [problem] if problem else [], stats)
            if problem is None:
                self._count(stats, path in known)
        for path in changed:
            if path not in events.files:
                continue
            counted()
            mtime, size = on_disk[path]
            if path in known:
                self._forget(db, path)
            try:
                self._insert_event(db, path, self.record.load_event(Path(path)))
            except FileProblems as exc:
                self._file(db, path, mtime, size, exc.problems, stats)
                continue
            self._file(db, path, mtime, size, [], stats)
            self._count(stats, path in known)
        if bulk:
            for statement in _INDEXES:
                db.execute(statement)
        stored = db.execute("SELECT 1 FROM meta WHERE key = 'facets'").fetchone()
        if changed or removed or stored is None:
            _store_facets(db)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('files', ?)", (signature,))
        return stats

    @staticmethod
    def _file(
        db: sqlite3.Connection,
        path: str,
        mtime: int,
        size: int,
        problems: list[Problem],
        stats: RefreshStats,
    ) -> None:
        """Remember a file as read, with the problems that kept it out of the index."""
        stats.problems.extend(problems)
        kept = json.dumps([asdict(p) for p in problems]) if problems else None
        db.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (path, mtime, size, kept))

    @staticmethod
    def _count(stats: RefreshStats, known: bool) -> None:
        if known:
            stats.updated += 1
        else:
            stats.added += 1

    @staticmethod
    def _forget(db: sqlite3.Connection, path: str) -> None:
        row = db.execute("SELECT rowid FROM sessions WHERE path = ?", (path,)).fetchone()
        if row:
            db.execute("DELETE FROM fts WHERE rowid = ?", row)
            db.execute("DELETE FROM people WHERE session = ?", row)
            db.execute("DELETE FROM steps WHERE session = ?", row)
            db.execute("DELETE FROM actions WHERE session = ?", row)
            db.execute("DELETE FROM sessions WHERE rowid = ?", row)
        db.execute("DELETE FROM events WHERE path = ?", (path,))
        db.execute("DELETE FROM files WHERE path = ?", (path,))

    @staticmethod
    def _insert_event(db: sqlite3.Connection, path: str, event: FollowThroughEvent) -> None:
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                path,
                event.session,
                event.item,
                event.state,
                # One time zone, so that the text sorts as the instants do.
                event.at.astimezone(UTC).isoformat(),
                event.id,
                event.at.date().isoformat(),
            ),
        )

    @classmethod
    def _insert_one(cls, db: sqlite3.Connection, rows: SessionRows) -> Problem | None:
        """Add one session, or leave the index as it was and say why the session cannot be
        stored: a value SQLite refuses makes that one file a problem, never a failed refresh."""
        db.execute("SAVEPOINT one_session")
        try:
            cls._insert(db, rows)
        except (OverflowError, ValueError, sqlite3.InterfaceError, sqlite3.IntegrityError) as exc:
            db.execute("ROLLBACK TO one_session")
            db.execute("RELEASE one_session")
            return Problem(rows.path, f"cannot be added to the search index: {exc}")
        db.execute("RELEASE one_session")
        return None

    @staticmethod
    def _insert(db: sqlite3.Connection, rows: SessionRows) -> None:
        rowid = db.execute(
            "INSERT INTO sessions (path, name, id, started, day, protocol_id, protocol_title, "
            "presenters, focus, planned, actual, status, attendees) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows.session,
        ).lastrowid
        db.executemany(
            "INSERT INTO people VALUES (?, ?, ?, ?, ?)", [(rowid, *row) for row in rows.people]
        )
        db.executemany(
            "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowid, *row) for row in rows.steps],
        )
        db.executemany(
            "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(rowid, *row) for row in rows.actions],
        )
        db.execute(
            "INSERT INTO fts (rowid, setup, notes, actions, reflection, people) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (rowid, *rows.text),
        )

    # -- queries -----------------------------------------------------------------------------
    def query(
        self,
        filter: SessionFilter = EVERY_SESSION,
        *,
        limit: int | None = None,
        offset: int = 0,
        snippets: bool = True,
    ) -> list[SessionRow]:
        """Sessions matching ``filter``, newest first. ``snippets=False`` leaves ``snippet``
        empty: a snippet costs a search per row, which adds up for short prefixes."""
        return self._retrying(self._query, filter, limit, offset, snippets)

    def _retrying(self, method: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        # A damaged index is only derived data: rebuild it from the files and ask again.
        try:
            return method(*args, **kwargs)
        except sqlite3.DatabaseError as exc:
            self._after_error(exc)
            self.refresh()
            return method(*args, **kwargs)

    def _query(
        self, filter: SessionFilter, limit: int | None, offset: int, snippets: bool
    ) -> list[SessionRow]:
        db = self._connect()
        where = _where(filter)
        params = where.params
        order = " ORDER BY started DESC, id"
        inner = f"SELECT s.rowid AS rid, {_ROW_COLUMNS} FROM sessions s{where.sql}{order}"
        if limit is not None:
            inner += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        if snippets and where.match:
            # One full-text search for the snippets of every row the limit keeps (every row
            # already matches it), rather than a search per row.
            sql = (
                f"SELECT {_ROW_COLUMNS}, "
                "coalesce(snippet(fts, -1, char(2), char(3), '…', 12), '') "
                f"FROM ({inner}) s JOIN fts ON fts.rowid = s.rid WHERE fts MATCH ?{order}"
            )
            params.append(where.match)
        else:
            sql = f"SELECT {_ROW_COLUMNS}, '' FROM ({inner}) s{order}"
        return list(map(SessionRow._make, db.execute(sql, params)))

    def count(self, filter: SessionFilter = EVERY_SESSION) -> int:
        """How many sessions match ``filter``."""

        def count() -> int:
            where = _where(filter)
            sql = f"SELECT count(*) FROM sessions s{where.sql}"
            return int(self._connect().execute(sql, where.params).fetchone()[0])

        return self._retrying(count)

    def find(self, ref: str) -> list[SessionRow]:
        """Sessions whose id or file name starts with ``ref``."""
        return self.query(SessionFilter(ref=ref))

    def facets(self) -> Facets:
        """The protocols, people and roles the sessions mention, for filter menus: as the last
        refresh that changed anything stored them (one row to read), or worked out now."""

        def facets() -> Facets:
            db = self._connect()
            row = db.execute("SELECT value FROM meta WHERE key = 'facets'").fetchone()
            if row is not None:
                with contextlib.suppress(ValueError, TypeError):
                    return _facets_from_json(row[0])
            return _work_out_facets(db)

        return self._retrying(facets)

    def iter_steps(self, protocol_id: str) -> Iterator[StepRow]:
        """Every recorded step of every session of one protocol, oldest session first."""

        def rows() -> list[StepRow]:
            db = self._connect()
            return [
                StepRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
                for r in db.execute(
                    "SELECT s.id, t.position, t.step_id, t.title, t.planned, t.actual, "
                    "t.extended, t.skipped FROM steps t JOIN sessions s ON s.rowid = t.session "
                    "WHERE s.protocol_id = ? ORDER BY s.started, s.id, t.position",
                    (protocol_id,),
                )
            ]

        yield from self._retrying(rows)

    def iter_actions(
        self, since: date | None = None, *, closed: bool = False
    ) -> Iterator[ActionRow]:
        """Action items still open (not done, not dropped), newest session first; with
        ``since``, only those from sessions on or after that day or reviewed since then; with
        ``closed``, the done and dropped ones too."""

        def rows() -> list[ActionRow]:
            db = self._connect()
            # The state in force: the item's latest follow-through event, else its own file's.
            done = "CASE WHEN e.state IS NULL THEN a.done = 1 ELSE e.state = 'done' END"
            sql = (
                "SELECT s.path, s.id AS session_id, s.started, s.protocol_id, s.protocol_title, "
                "a.position, a.text, a.owner, "
                "CASE WHEN e.state IS NULL THEN a.status "
                "WHEN e.state IN ('carried', 'dropped') THEN e.state END AS now_status, "
                "coalesce(e.day, a.reviewed) AS now_reviewed, "
                "s.started = (SELECT max(o.started) FROM sessions o "
                f"WHERE o.protocol_id = s.protocol_id) AS latest, {done} AS now_done "
                "FROM actions a JOIN sessions s ON s.rowid = a.session "
                f"LEFT JOIN ({_LATEST_EVENTS}) e ON e.session_id = s.id AND e.item = a.position "
                "WHERE 1"
            )
            if not closed:
                sql += " AND NOT now_done AND (now_status IS NULL OR now_status != 'dropped')"
            params: list[object] = []
            if since is not None:
                sql += " AND (s.day >= ? OR now_reviewed >= ?)"
                params += [since.isoformat(), since.isoformat()]
            sql += " ORDER BY s.started DESC, s.id, a.position"
            found = db.execute(sql, params)
            found.row_factory = sqlite3.Row  # by column name, as ActionRow names them
            return [
                ActionRow(
                    path=Path(r["path"]),
                    session_id=r["session_id"],
                    started=datetime.fromisoformat(r["started"]),
                    protocol_id=r["protocol_id"],
                    protocol_title=r["protocol_title"],
                    position=r["position"],
                    text=r["text"],
                    owner=r["owner"],
                    status=r["now_status"],
                    reviewed=date.fromisoformat(r["now_reviewed"]) if r["now_reviewed"] else None,
                    latest=bool(r["latest"]),
                    done=bool(r["now_done"]),
                )
                for r in found
            ]

        yield from self._retrying(rows)

    def iter_roles(self) -> Iterator[tuple[str, date, str, str]]:
        """(session id, day, role id, name) for every role held, oldest session first."""

        def rows() -> list[tuple[str, date, str, str]]:
            db = self._connect()
            return [
                (r[0], date.fromisoformat(r[1]), r[2], r[3])
                for r in db.execute(
                    "SELECT s.id || ':' || s.rowid, s.day, p.role_id, p.name FROM people p "
                    "JOIN sessions s ON s.rowid = p.session ORDER BY s.started, s.rowid, p.rowid"
                )
            ]

        yield from self._retrying(rows)
