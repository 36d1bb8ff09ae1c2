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
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import median_seconds  # noqa: E402

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
    from protocolrunner.core.demo import write_demo
    from protocolrunner.core.record import Record

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
    from protocolrunner.core.clock import FakeClock
    from protocolrunner.core.demo import ACTIONS, MEMBERS, NOTES
    from protocolrunner.core.engine import Session, new_session_id
    from protocolrunner.core.record import session_record
    from protocolrunner.core.roles import propose_fair

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
    from protocolrunner.core.index import SessionIndex

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
    queries: list[tuple[str, dict]] = [
        ('query("wait time")', {"text": "wait time"}),
        ('query("rubric")', {"text": "rubric"}),
        (f'query(member="{MEMBER}")', {"member": MEMBER}),
        (f'query("wait time", member="{MEMBER[:3]}..")', {"text": "wait time", "member": MEMBER}),
        ('query("wait time", limit=50)', {"text": "wait time", "limit": 50}),
        (f'count("wait time", member="{MEMBER[:3]}..")', None),
    ]
    rows: list[Row] = []
    for label, kwargs in queries:
        if kwargs is None:

            def action() -> int:
                return index.count("wait time", member=MEMBER)

            found = action()
        else:

            def action(kwargs: dict = kwargs) -> list:
                return index.query(**kwargs)

            found = len(action())
        seconds = median_seconds(action, QUERY_RUNS, warm_up=1)
        note = f"{found} hits; median of {QUERY_RUNS}"
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


def run(work: Path, sessions: int) -> None:
    isolate(work / "home")
    from protocolrunner.core.library import default_sources, load_library

    library = load_library(default_sources())
    record = open_or_write_demo(work / "record", library, sessions)
    scratch = Path(tempfile.mkdtemp(prefix="indexes-", dir=work))
    try:
        rows = bench_index(record, library, scratch)
        rows += bench_save(record, library)
        rows += bench_load(record)
    finally:
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000, metavar="N", help="(10000)")
    parser.add_argument(
        "--keep", metavar="DIR", help="build the record in DIR and reuse it on later runs"
    )
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {sys.platform}; {os.cpu_count()} CPUs")
    if args.keep:
        work = Path(args.keep).expanduser().resolve()
        work.mkdir(parents=True, exist_ok=True)
        run(work, args.sessions)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
            run(Path(tmp), args.sessions)


if __name__ == "__main__":
    main()
