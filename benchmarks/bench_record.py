"""How fast the community record and its search index are with a large record.

Run from the repository: ``.venv/bin/python benchmarks/bench_record.py``, with ``--sessions N``
and ``--keep DIR`` as wanted.

Builds a demo record of ``--sessions`` sessions (10,000 by default) with ``write_demo`` in a
temporary folder, or in ``--keep DIR`` so later runs reuse it, and prints once how long writing
it took. Every user folder (XDG data, config, state, cache) points inside that folder first, so
nothing touches the real record, journal or index. Then, each the median of several runs:

(a) building the search index from scratch (a new database file each run);
(b) refreshing it when nothing changed, on a new connection (what each ``protocolrunner record``
    command does) and on an open one; and, for comparison, a refresh that picks up one new file;
(c) full-text and filtered queries on an open, refreshed index (warm: after one unmeasured run);
(d) saving one realistic session (a bundled protocol run through the engine on a fake clock)
    with ``Record.save_session``, fsyncs included; the saved files are removed afterwards;
(e) loading every session with ``Record.load_sessions``, which is what the index saves us from.

Then the figures people wait for, each beside its floor measured in the same run, with the
ratio (median of several runs, after one warm-up):

(f) ``protocolrunner record list --limit 20`` and ``record search WORD`` (a word about 490
    sessions mention, at 10,000 sessions) as whole processes, with the index up to date, beside
    ``python -c`` connecting to the same index file and running the same query (sqlite3 alone:
    no protocolrunner);
(g) the first build of the index (``--builds`` times, from no index file), helpers reading the
    files on every core, beside the same build read in this one process; and the CPU time of
    both (this process, and its helpers);
(h) counting the sessions that mention a rare word (about 1 in 100) on an open index, beside
    the same query on a connection with a far larger page cache (256 MiB);
(i) the filter menus' lists (``facets()``) as the browser reads them (stored by the refresh)
    beside working them out (what a refresh that changed anything does, off the UI thread).

Targets are printed beside the figures with whether each is met. It prints numbers only;
nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sized
from datetime import datetime
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import compile_sources, median_seconds  # noqa: E402

BUILD_RUNS = 5
REFRESH_RUNS = 11
QUERY_RUNS = 21
SAVE_RUNS = 11
LOAD_RUNS = 5

QUERY_TARGET = 0.020
REFRESH_TARGET = 0.300
SAVE_TARGET = 0.030

MEMBER = "Ana Souza"

Row = tuple[str, float | None, float | None, str]
"""(what, seconds or None for a heading, target seconds or None, note)."""


def isolate(home: Path) -> None:
    """Point every user folder inside ``home``; done before protocolrunner is imported."""
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.pop("PROTOCOLRUNNER_RECORD", None)


def open_or_write_demo(root: Path, library, sessions: int):
    from protocolrunner.core.record.demo import write_demo
    from protocolrunner.core.record.folder import Record

    if (root / "community.toml").is_file():
        record = Record.open(root, create=False)
        found = len(record.session_files())
        print(f"reusing the record in {root}: {found} sessions")
        if found != sessions:
            print(f"  (not the {sessions} asked for: give --keep a new folder to write them)")
        return record
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} is not empty and not a record")
    start = time.perf_counter()
    record = write_demo(root, library, sessions=sessions, seed=1)
    seconds = time.perf_counter() - start
    print(f"wrote a {sessions}-session demo record in {seconds:.2f} s (once) to {root}")
    return record


def realistic_session(library, started: datetime):
    """A finished Consultancy with notes in every box, an action and a reflection."""
    from protocolrunner.core.record.demo import ACTIONS, MEMBERS, NOTES
    from protocolrunner.core.record.folder import session_record
    from protocolrunner.core.session.clock import FakeClock
    from protocolrunner.core.session.engine import Session, new_session_id
    from protocolrunner.core.session.roles import propose_fair

    entry = library.resolve("consultancy")
    protocol = entry.protocol
    attendees = [name for name, _ in MEMBERS[:6]]
    proposal = propose_fair(protocol, attendees, [])
    clock = FakeClock(started)
    setup = {
        q.id: (
            "How might I get quiet students to speak in whole-class discussion?"
            if q.id in ("focus", "question")
            else "Three of my Grade 7 classes go silent when I ask the whole room a question; "
            "in small groups the same students talk freely. I have tried cold-calling and "
            "think-pair-share, with mixed results."
        )
        for q in protocol.setup
    }
    session = Session(
        protocol,
        attendees=attendees,
        roles=proposal.roles,
        setup=setup,
        clock=clock,
        session_id=new_session_id(),
        community="Riverside Teaching Circle",
    )
    session.start()
    bank = [line for lines in NOTES.values() for line in lines]
    for index, run in enumerate(session.runs):
        if index:
            session.next()
        clock.advance(run.budget * 1.05)
        for n, field in enumerate(run.step.capture):
            lines = bank[(index + n) % 7 :: 5]
            session.set_note(index, field.id, "\n".join(f"- {line}" for line in lines))
    presenter = proposal.roles["presenter"][0]
    for template in ACTIONS[:2]:
        session.add_action(template.format(name=presenter.split()[0]), presenter)
    session.set_reflection("A useful session; we kept to time and the probing questions helped.")
    session.end(completed=True)
    return session_record(session, entry.sha256)


def bench_index(record, library, work: Path) -> list[Row]:
    from protocolrunner.core.record.index import SessionIndex

    count = len(record.session_files())
    rows: list[Row] = [("index", None, None, f"{count} session files")]

    builds = iter(range(BUILD_RUNS))
    added: list[int] = []

    def build() -> None:
        with SessionIndex(record, db_path=work / f"build-{next(builds)}.sqlite3") as index:
            added.append(index.refresh().added)

    seconds = median_seconds(build, BUILD_RUNS)
    rows.append(("(a) build from scratch", seconds, None, f"median of {BUILD_RUNS}"))
    rows.append(("    per session", seconds / max(count, 1), None, ""))
    if set(added) != {count}:
        print(f"warning: builds indexed {sorted(set(added))} sessions, expected {count}")

    db_path = work / f"build-{BUILD_RUNS - 1}.sqlite3"

    def refresh_new_connection() -> None:
        with SessionIndex(record, db_path=db_path) as index:
            stats = index.refresh()
        if stats.added or stats.updated or stats.removed:
            raise SystemExit(f"the record changed during the benchmark: {stats}")

    seconds = median_seconds(refresh_new_connection, REFRESH_RUNS, warm_up=1)
    rows.append(
        ("(b) refresh, nothing changed", seconds, REFRESH_TARGET, f"new connection; {REFRESH_RUNS}")
    )
    with SessionIndex(record, db_path=db_path) as index:
        index.refresh()
        seconds = median_seconds(index.refresh, REFRESH_RUNS, warm_up=1)
        rows.append(
            ("    same, connection open", seconds, REFRESH_TARGET, f"median of {REFRESH_RUNS}")
        )
        rows += bench_one_new_file(record, library, index)
        rows += bench_queries(index)
    return rows


def bench_one_new_file(record, library, index) -> list[Row]:
    """A refresh right after saving one session: the app's path after the summary screen."""
    started = datetime(2026, 11, 24, 15, 30).astimezone()
    saved: list[Path] = []
    times = []
    try:
        for _ in range(REFRESH_RUNS):
            saved.append(record.save_session(realistic_session(library, started)))
            start = time.perf_counter()
            stats = index.refresh()
            times.append(time.perf_counter() - start)
            if stats.added != 1:
                raise SystemExit(f"expected one new session, the refresh found {stats}")
    finally:
        for path in saved:
            path.unlink(missing_ok=True)
        index.refresh()
    return [("    refresh, 1 new session", statistics.median(times), None, "open connection")]


def bench_queries(index) -> list[Row]:
    from protocolrunner.core.record.index import SessionFilter

    wait_time = SessionFilter(text="wait time")
    both = SessionFilter(text="wait time", member=MEMBER)
    actions: list[tuple[str, Callable[[], int | Sized]]] = [
        ('query("wait time")', partial(index.query, wait_time)),
        ('query("rubric")', partial(index.query, SessionFilter(text="rubric"))),
        (f'query(member="{MEMBER}")', partial(index.query, SessionFilter(member=MEMBER))),
        (f'query("wait time", member="{MEMBER[:3]}..")', partial(index.query, both)),
        ('query("wait time", limit=50)', partial(index.query, wait_time, limit=50)),
        (f'count("wait time", member="{MEMBER[:3]}..")', partial(index.count, both)),
    ]
    rows: list[Row] = []
    for label, action in actions:
        found = action()
        hits = found if isinstance(found, int) else len(found)
        seconds = median_seconds(action, QUERY_RUNS, warm_up=1)
        note = f"{hits} hits; median of {QUERY_RUNS}"
        rows.append((f"(c) {label}", seconds, QUERY_TARGET, note))
    return rows


def bench_save(record, library) -> list[Row]:
    started = datetime(2026, 11, 24, 15, 30).astimezone()
    saved: list[Path] = []
    times = []
    try:
        for _ in range(SAVE_RUNS):
            session = realistic_session(library, started)
            start = time.perf_counter()
            saved.append(record.save_session(session))
            times.append(time.perf_counter() - start)
        size = saved[0].stat().st_size
    finally:
        for path in saved:
            path.unlink(missing_ok=True)
    return [
        (
            "(d) save_session, with fsync",
            statistics.median(times),
            SAVE_TARGET,
            f"{size / 1024:.1f} KiB file; median of {SAVE_RUNS}",
        )
    ]


def bench_load(record) -> list[Row]:
    found: list[int] = []

    def load() -> None:
        loaded = record.load_sessions()
        found.append(len(loaded.sessions))

    seconds = median_seconds(load, LOAD_RUNS)
    return [
        ("(e) load_sessions, all", seconds, None, f"{found[-1]} sessions; median of {LOAD_RUNS}")
    ]


# -- the figures people wait for, beside their floors -----------------------------------------

Figure = tuple[str, str, float, float, float | None]
"""(what, floor, floor seconds, seconds, target ratio or None)."""

LIST_SQL = (
    "SELECT s.path, s.id, s.started, s.protocol_id, s.protocol_title, s.presenters, s.focus, "
    "s.planned, s.actual, s.status, s.attendees FROM sessions s "
    "ORDER BY started DESC, id LIMIT 20"
)
SEARCH_SQL = (
    "SELECT s.path, s.id, s.started, s.protocol_id, s.protocol_title, s.presenters, s.focus, "
    "s.planned, s.actual, s.status, s.attendees, snippet(fts, -1, char(2), char(3), '…', 12) "
    "FROM (SELECT rowid AS rid, * FROM sessions WHERE rowid IN "
    "(SELECT rowid FROM fts WHERE fts MATCH ?) ORDER BY started DESC, id) s "
    "JOIN fts ON fts.rowid = s.rid WHERE fts MATCH ? ORDER BY started DESC, id"
)
COUNT_SQL = (
    "SELECT count(*) FROM sessions s WHERE s.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
)
PROCESS_RUNS = 11
LIST_TARGET = 3.0
BUILD_TARGET = 4.0
COUNT_TARGET = 1.2


def word_mentioned_by(db_path: Path, share: float) -> tuple[str, int]:
    """A word of the index's vocabulary that about ``share`` of the sessions mention."""
    import sqlite3

    db = sqlite3.connect(db_path)
    try:
        total = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'fts', 'row')")
        rows = db.execute(
            "SELECT term, doc FROM temp.vocab WHERE length(term) > 3 AND term GLOB '[a-z]*'"
        ).fetchall()
    finally:
        db.close()
    term, docs = min(rows, key=lambda row: (abs(row[1] - share * total), row[0]))
    return term, docs


def process_seconds(argv: list[str], env: dict[str, str]) -> float:
    import subprocess

    def run() -> None:
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    return median_seconds(run, PROCESS_RUNS, warm_up=1)


def bench_commands(record, db_path: Path) -> list[Figure]:
    """``record list`` and ``record search`` as whole processes, beside Python and sqlite3."""
    from protocolrunner.core.record.index import fts_query

    env = dict(os.environ, PYTHONPATH=str(REPO))
    cli = [sys.executable, "-m", "protocolrunner", "--record", str(record.root), "record"]
    word, hits = word_mentioned_by(db_path, 490 / 10_000)
    floor_list = (
        f"import sqlite3; db = sqlite3.connect({str(db_path)!r}); "
        f"db.execute({LIST_SQL!r}).fetchall()"
    )
    floor_search = (
        f"import sqlite3; db = sqlite3.connect({str(db_path)!r}); "
        f"db.execute({SEARCH_SQL!r}, ({fts_query(word)!r},) * 2).fetchall()"
    )
    # A listing up to date with the files must at least look at each file's time and size:
    # the same floors, with a stat of every session file first.
    stat_all = (
        f"import os; [e.stat() for d in os.scandir({str(record.sessions_dir)!r}) "
        "for e in os.scandir(d.path)]; "
    )
    listed = process_seconds([*cli, "list", "--limit", "20"], env)
    searched = process_seconds([*cli, "search", word], env)
    return [
        (
            "record list --limit 20",
            "python + sqlite3 query",
            process_seconds([sys.executable, "-c", floor_list], env),
            listed,
            LIST_TARGET,
        ),
        (
            "  same",
            "python + stat every file + query",
            process_seconds([sys.executable, "-c", stat_all + floor_list], env),
            listed,
            LIST_TARGET,
        ),
        (
            f"record search {word} ({hits} hits)",
            "python + FTS5 query",
            process_seconds([sys.executable, "-c", floor_search], env),
            searched,
            LIST_TARGET,
        ),
        (
            "  same",
            "python + stat every file + query",
            process_seconds([sys.executable, "-c", stat_all + floor_search], env),
            searched,
            LIST_TARGET,
        ),
    ]


def bench_first_build(record, work: Path, builds: int) -> tuple[list[Figure], list[str]]:
    """The first build, helpers on every core, beside the same build read in one process."""
    import resource

    from protocolrunner.core.record import index as index_module
    from protocolrunner.core.record.index import SessionIndex

    def build(name: str) -> tuple[float, float, float]:
        path = work / f"first-{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        before = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        start = time.perf_counter()
        with SessionIndex(record, db_path=path) as index:
            index.refresh()
        seconds = time.perf_counter() - start
        after = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        cpu = [
            a.ru_utime + a.ru_stime - (b.ru_utime + b.ru_stime)
            for a, b in zip(after, before, strict=True)
        ]
        return seconds, cpu[0], cpu[1]

    pooled = [build("pool") for _ in range(builds)]
    # (getattr: the same script times older versions, which read every file in one process.)
    threshold = getattr(index_module, "POOL_FROM", None)
    index_module.POOL_FROM = 10**9  # type: ignore[attr-defined]
    try:
        alone = build("alone")
    finally:
        index_module.POOL_FROM = threshold  # type: ignore[attr-defined]
    seconds = statistics.median(t for t, _, _ in pooled)
    count = len(record.session_files())
    notes = [
        f"first build, {count:,} sessions: median of {builds}; CPU of the last: this process "
        f"{pooled[-1][1]:.2f} s, helpers {pooled[-1][2]:.2f} s; read in one process: CPU "
        f"{alone[1]:.2f} s; {seconds / count * 1000:.2f} ms a session"
    ]
    return [
        (f"first index build, {count:,} sessions", "read in one process", alone[0], seconds, None)
    ], notes


def bench_rare_word(db_path: Path, record) -> list[Figure]:
    import sqlite3

    from protocolrunner.core.record.index import SessionFilter, SessionIndex, fts_query

    word, hits = word_mentioned_by(db_path, 0.01)
    floor = sqlite3.connect(db_path)
    floor.execute("PRAGMA cache_size=-262144")
    query = fts_query(word)
    floor_seconds = median_seconds(
        lambda: floor.execute(COUNT_SQL, (query,)).fetchone(), QUERY_RUNS, warm_up=1
    )
    floor.close()
    with SessionIndex(record, db_path=db_path) as index:
        index.refresh()
        wanted = SessionFilter(text=word)
        seconds = median_seconds(lambda: index.count(wanted), QUERY_RUNS, warm_up=1)
    count = len(record.session_files())
    return [
        (
            f"rare-word count ({word}: {hits} hits), {count:,}",
            "same, 256 MiB page cache",
            floor_seconds,
            seconds,
            COUNT_TARGET,
        )
    ]


def bench_facets(db_path: Path, record) -> list[Figure]:
    from protocolrunner.core.record import index as index_module
    from protocolrunner.core.record.index import SessionIndex

    with SessionIndex(record, db_path=db_path) as index:
        index.refresh()
        db = index._connect()
        work_out = getattr(index_module, "_work_out_facets", None)  # older versions: facets()
        worked_out = median_seconds(
            (lambda: work_out(db)) if work_out else index.facets, 5, warm_up=1
        )
        stored = median_seconds(index.facets, QUERY_RUNS, warm_up=1)
    return [("facets() as stored (refresh thread)", "worked out", worked_out, stored, None)]


def print_figures(figures: list[Figure], notes: list[str]) -> None:
    width = max(len(f[0]) for f in figures)
    floor_width = max(len(f[1]) for f in figures)
    print(
        f"{'what':<{width}}  {'floor':<{floor_width}}  {'floor time':>10}  {'time':>10}  "
        f"{'ratio':>6}  target"
    )
    print(f"{'-' * width}  {'-' * floor_width}  {'-' * 10}  {'-' * 10}  {'-' * 6}  {'-' * 12}")
    for label, floor_label, floor, seconds, target in figures:
        ratio = seconds / floor if floor else float("nan")
        goal = ""
        if target is not None:
            goal = f"≤ {target:g}x: {'met' if ratio <= target else 'NOT met'}"
        elif label.startswith("first index build"):
            met = "met" if seconds <= BUILD_TARGET else "NOT met"
            goal = f"≤ {BUILD_TARGET:g} s: {met}"
        print(
            f"{label:<{width}}  {floor_label:<{floor_width}}  {shown(floor):>10}  "
            f"{shown(seconds):>10}  {ratio:>5.2f}x  {goal}".rstrip()
        )
    for note in notes:
        print(note)
    print(
        "facets() on the UI thread: none (the browser reads them in its refresh thread; "
        "benchmarks/bench_app.py times every call by thread)"
    )


def shown(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1_000_000:.1f} µs"


def print_table(rows: list[Row]) -> None:
    width = max(len(label) for label, _, _, _ in rows)
    print(f"{'what':<{width}}  {'time':>10}  {'target':>9}  {'met':<3}  note")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 9}  {'-' * 3}  {'-' * 12}")
    for label, seconds, target, note in rows:
        if seconds is None:
            print(f"{label:<{width}}  {'':>10}  {'':>9}  {'':<3}  {note}".rstrip())
            continue
        goal = f"≤ {target * 1000:g} ms" if target is not None else ""
        met = "" if target is None else ("yes" if seconds <= target else "NO")
        print(f"{label:<{width}}  {shown(seconds):>10}  {goal:>9}  {met:<3}  {note}".rstrip())


def run(work: Path, sessions: int, builds: int, only_figures: bool) -> None:
    isolate(work / "home")
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.index import SessionIndex, default_index_path

    library = load_library(default_sources())
    record = open_or_write_demo(work / "record", library, sessions)
    scratch = Path(tempfile.mkdtemp(prefix="indexes-", dir=work))
    try:
        if not only_figures:
            rows = bench_index(record, library, scratch)
            rows += bench_save(record, library)
            rows += bench_load(record)
            print_table(rows)
            print()
        with SessionIndex(record) as index:  # the index the commands use, brought up to date
            index.refresh()
        db_path = default_index_path(record.root)
        figures = bench_commands(record, db_path)
        built, notes = bench_first_build(record, scratch, builds)
        figures += built
        figures += bench_rare_word(db_path, record)
        figures += bench_facets(db_path, record)
    finally:
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
    print_figures(figures, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000, metavar="N", help="(10000)")
    parser.add_argument(
        "--keep", metavar="DIR", help="build the record in DIR and reuse it on later runs"
    )
    parser.add_argument(
        "--builds", type=int, default=BUILD_RUNS, metavar="N", help=f"first builds ({BUILD_RUNS})"
    )
    parser.add_argument(
        "--figures", action="store_true", help="only (f) to (i): the figures beside their floors"
    )
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {sys.platform}; {os.cpu_count()} CPUs")
    compile_sources()
    if args.keep:
        work = Path(args.keep).expanduser().resolve()
        work.mkdir(parents=True, exist_ok=True)
        run(work, args.sessions, args.builds, args.figures)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
            run(Path(tmp), args.sessions, args.builds, args.figures)


if __name__ == "__main__":
    main()
