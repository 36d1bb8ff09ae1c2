"""How long ``record publish`` takes, and how fast the published site's search answers.

Run from the repository: ``.venv/bin/python benchmarks/bench_publish.py [--sessions N]``
(10,000 by default; writing the demo record first takes about half a minute).

Timed, against floors measured in the same run:
(a) the first publish into an empty folder, beside reading every session file the plain way
    (``Record.load_sessions``, one process) and beside reading them on every core the way
    publish does (``core.base.readpool``, nothing drawn or written): target 30 s at 10,000 sessions;
(b) publishing again with nothing changed, after one session's note changed, and after a new
    session was added, beside listing and stat-ing every session file (``scan_sessions``, as
    publish does): target 2 s;
(c) the index page opening from ``file://`` and search in it, in headless Chromium (skipped,
    saying so, where it is not installed): each query the median of 7 runs, measured in the
    page (``performance.now()`` around the search, its rendering and a forced layout), beside a
    bare loop that looks once at every session's row (what a filter alone must do): target
    50 ms.

It prints numbers only; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from protocolrunner.core.base.readpool import cores, read_all  # noqa: E402
from protocolrunner.core.export.site import publish  # noqa: E402
from protocolrunner.core.protocol.library import default_sources, load_library  # noqa: E402
from protocolrunner.core.record.demo import write_demo  # noqa: E402
from protocolrunner.core.record.folder import Record, session_toml  # noqa: E402
from protocolrunner.core.record.scan import scan_sessions  # noqa: E402

QUERIES = [
    ("a rare word", "quokkaphilia"),
    ("a common word", "students"),
    ("two words", "quiet students"),
    ("a prefix as typed", "stud"),
    ("no match", "zzzzzz"),
]
SEARCH = """
const [text, protocol] = arguments;
document.getElementById("q").value = text;
document.getElementById("protocol").value = protocol;
const started = performance.now();
window.PROTOCOLRUNNER_SEARCH();
document.body.offsetHeight;  // layout of the results, as the reader sees them
return performance.now() - started;
"""
FLOOR = """
const protocol = arguments[0];
const years = window.PROTOCOLRUNNER_DATA;
const started = performance.now();
let found = 0;
for (const year of years) {
  for (const row of year.sessions) { if (row[2] === protocol) { found++; } }
}
return performance.now() - started;
"""
LOADED = """
const t = performance.getEntriesByType("navigation")[0];
return [t.domContentLoadedEventEnd, t.loadEventEnd];
"""


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.1f}x" if floor > 0 else "n/a"


def change_one(record: Record, word: str, place: int) -> None:
    """Write ``word`` into the first note of the session at ``place`` (newest first)."""
    path, session = record.load_sessions().sessions[place]
    steps = list(session.steps)
    i = next(n for n, s in enumerate(steps) if s.notes)
    note = steps[i].notes[0].model_copy(update={"text": f"A {word} came to the lesson."})
    steps[i] = steps[i].model_copy(update={"notes": [note, *steps[i].notes[1:]]})
    path.write_text(session_toml(session.model_copy(update={"steps": steps})), "utf-8")


def add_one(record: Record, place: int) -> None:
    """A copy of the session at ``place`` under a new id, as the app saves a new meeting."""
    path, session = record.load_sessions().sessions[place]
    copy = session.model_copy(update={"id": "b0b0b0b0"})
    (path.parent / path.name.replace(session.id, copy.id)).write_text(session_toml(copy), "utf-8")


def read_on_every_core(record: Record) -> None:
    paths = sorted(scan_sessions(record.sessions_dir).files)
    for _ in read_all(paths, record.load_session, cores()):
        pass


def search_in_browser(out: Path) -> None:
    try:
        from browser import chrome
    except ImportError:
        print("(c) search in the page: skipped (selenium is not installed)")
        return
    import pytest

    try:
        with chrome() as browser:
            browser.get((out / "index.html").as_uri())
            ready, loaded = browser.execute_script(LOADED)
            data = sum(p.stat().st_size for p in (out / "assets").glob("search-*.js"))
            print(
                f"(c) index.html opened from file://: ready in {ready:.0f} ms, loaded in "
                f"{loaded:.0f} ms (index.html {(out / 'index.html').stat().st_size / 1e3:.0f} kB, "
                f"search data {data / 1e6:.1f} MB)"
            )
            floor = statistics.median(
                browser.execute_script(FLOOR, "consultancy") for _ in range(7)
            )
            print(f"    floor: a loop looking once at every session's row: {floor:.2f} ms")
            for name, text in QUERIES:
                for protocol in ("", "consultancy"):
                    runs = [browser.execute_script(SEARCH, text, protocol) for _ in range(7)]
                    shown = browser.find_element("id", "count").text
                    label = f"{name} '{text}'" + (" + protocol filter" if protocol else "")
                    median = statistics.median(runs)
                    print(
                        f"    {label:<48} {median:6.1f} ms  ({ratio(median, floor)} the floor; "
                        f"target 50 ms)  {shown}"
                    )
    except pytest.skip.Exception as exc:
        print(f"(c) search in the page: skipped ({exc.msg})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as folder:
        base = Path(folder)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(base / var.lower())
        print(f"{os.cpu_count()} cores; {args.sessions:,} sessions")
        took = timed(
            lambda: write_demo(
                base / "record", load_library(default_sources()), sessions=args.sessions
            )
        )
        record = Record(base / "record")
        change_one(record, "quokkaphilia", args.sessions // 2)
        print(f"(demo record written in {took:.1f} s)")

        floor = timed(lambda: record.load_sessions())
        pool_floor = timed(lambda: read_on_every_core(record))
        out = base / "site"
        first = timed(lambda: publish(record, out))
        print(
            f"(a) first publish: {first:.1f} s  (target 30 s)\n"
            f"    floor, reading every file in one process: {floor:.1f} s "
            f"({ratio(first, floor)})\n"
            f"    floor, reading every file on {cores()} cores (readpool): {pool_floor:.1f} s "
            f"({ratio(first, pool_floor)})"
        )
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"    site: {size / 1e6:.0f} MB in {sum(1 for _ in out.rglob('*.html')):,} pages")

        stat_floor = statistics.median(
            timed(lambda: scan_sessions(record.sessions_dir)) for _ in range(3)
        )
        again = statistics.median(timed(lambda: publish(record, out)) for _ in range(3))
        change_one(record, "wombat", 1)
        one = timed(lambda: publish(record, out))
        add_one(record, 0)
        new = timed(lambda: publish(record, out))
        print(
            f"(b) publish again (target 2 s; floor, stat every session file: {stat_floor:.2f} s)\n"
            f"    nothing changed: {again:.2f} s ({ratio(again, stat_floor)})\n"
            f"    one session's note changed: {one:.2f} s ({ratio(one, stat_floor)})\n"
            f"    one session added: {new:.2f} s ({ratio(new, stat_floor)})"
        )
        search_in_browser(out)
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
