"""How fast the app shows what people wait for, and how much CPU a running countdown costs.

Run from the repository: ``.venv/bin/python benchmarks/bench_app.py [--runs N] [--seconds N]
[--sessions N] [--keep DIR] [--pty]``.

(a) Start-up, each app a fresh process, timed in this process from just before ``Popen`` until
    the child reports, through a pipe, that Textual painted what is timed (one warm-up run each,
    then the median of ``--runs``, the apps taking turns). The headline figures, each beside its
    floor measured in the same run:

    - first frame: protocolrunner's first frame (its loading screen), beside a bare Textual app
      with a Header and a Footer;
    - home shown: protocolrunner's home screen painted with its protocol list, beside a bare app
      with a Header, a Static and a Footer (a screen of about home's make-up, with no work);
    - browser rows shown: ``protocolrunner record browse`` on a record of ``--sessions``
      sessions (10,000), painted with its first rows of sessions (the search index up to date),
      beside the bare Header and Footer app's first frame.

    The protocolrunner children do what the command line does: import the CLI and the app, run
    it, and build the record, library and journal in a thread after the first frame. Also shown,
    for where the time goes: imports done, context built, settled (Textual's
    ``call_after_refresh`` after home), and the time the filter menus' lists (``facets()``)
    took on the UI thread and in other threads.
(b) CPU used over ``--seconds`` of real time (60) after a two-second settle, in a real
    pseudo-terminal of 80x24 drained here, one app at a time: protocolrunner's run screen with a
    Consultancy counting down on the real clock (journal writes included), beside its floor, a
    bare app whose clock (a Static) changes once a second; and protocolrunner's home screen, idle.
    Each child measures its own CPU time (``resource.getrusage``, all threads).

"Painted" is when Textual hands a screen update to its output (``App._display``, an internal of
Textual 8.2.8, wrapped on the instance). Start-up children run headless at 80x24 by default
(``--pty``: in a pseudo-terminal). Every user folder points at a temporary one; home uses a small
demo record (40 sessions), the browser a large one, written once (``--keep DIR`` reuses it).

It prints numbers only; nothing here asserts on timings.
"""

# A child is this same file run with --child: until it knows which app to start it imports
# nothing beyond these few modules, so every app pays the same small overhead.
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import _common  # noqa: E402  (shared with the other app benchmarks)
from _common import (  # noqa: E402
    ChildFailed,
    bare_app,
    isolate,
    marker,
    watch_first_frame,
    watch_frames,
)

SIZE = (80, 24)
RUNS = 15
WARM_UP_SECONDS = 2.0
FIRST_FRAME_TARGET = 1.3
HOME_TARGET = 1.3
ROWS_TARGET = 1.5
CPU_TARGET = 0.01
ATTENDEES = ["Ana Souza", "Ben Okafor", "Cleo Martin", "Dev Patel", "Eli Novak"]


# -- the child ---------------------------------------------------------------------------------


def bare_static_app():
    """The floor for home: a Header, a Static with a line of text, and a Footer."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class BareStaticApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("A line of text")
            yield Footer()

    return BareStaticApp()


def bare_clock_app(clock):
    """The floor for the countdown: a bare app whose Static shows the time, once a second."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class BareClockApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(id="clock")
            yield Footer()

        def on_mount(self) -> None:
            self.tick()
            self.set_interval(1.0, self.tick)

        def tick(self) -> None:
            self.query_one("#clock", Static).update(f"{clock():.0f}")

    return BareClockApp()


def watch_facets(mark) -> None:
    """Time every ``SessionIndex.facets()`` call, apart for the UI thread and the others."""
    from protocolrunner.core.record.index import SessionIndex

    original = SessionIndex.facets
    spent = {"ui": 0.0, "other": 0.0}
    main = threading.main_thread()

    def facets(self):
        start = time.perf_counter()
        try:
            return original(self)
        finally:
            where = "ui" if threading.current_thread() is main else "other"
            spent[where] += time.perf_counter() - start
            mark("FACETS", json.dumps(spent))

    SessionIndex.facets = facets  # type: ignore[method-assign]


def child(spec: dict) -> None:
    mark = marker(spec)

    from textual.screen import Screen

    kind = spec["app"]
    if kind in ("protocolrunner", "browser"):
        import protocolrunner.cli  # noqa: F401  (the entry point: part of what start-up costs)
        from protocolrunner.ui.app import ProtocolRunnerApp

        mark("IMPORTED")

        def load():  # as the command line does: in a thread, after the first frame
            from protocolrunner.ui.context import build_context

            context = build_context(Path(spec["record"]), create_record=False)
            mark("CONTEXT")
            return context

        browsing = kind == "browser"
        app = ProtocolRunnerApp(load=load, browse_record=browsing)
        ready: type | str = "RecordSessionsScreen" if browsing else "HomeScreen"
        if browsing:
            watch_facets(mark)
    elif kind == "bare-clock":
        app = bare_clock_app(time.monotonic)
        mark("IMPORTED")
        ready = Screen
    else:
        app = bare_static_app() if kind == "bare-static" else bare_app()
        mark("IMPORTED")
        ready = Screen

    def settled() -> None:
        mark("SETTLED")
        app.exit()

    def start_run_screen() -> None:
        from protocolrunner.core.session.engine import Session
        from protocolrunner.core.session.roles import propose_fair

        entry = app.context.library.resolve("consultancy")
        protocol = entry.protocol
        session = Session(
            protocol,
            attendees=ATTENDEES,
            roles=propose_fair(protocol, ATTENDEES, []).roles,
            setup={
                q.id: "How might I get quiet students to speak in whole-class discussion?"
                for q in protocol.setup
            },
            clock=app.context.clock,
            community=app.context.community.name,
        )
        app.start_session(session, entry.sha256)

    def begin_window() -> None:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        wall = time.perf_counter()

        def end_window() -> None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            used = usage.ru_utime + usage.ru_stime - cpu
            mark("CPU", f"{used} {time.perf_counter() - wall} {type(app.screen).__name__}")
            app.exit()

        app.set_timer(spec["seconds"], end_window)

    def home_ready() -> None:
        mark("HOME")
        if spec["task"] == "first-frame":
            app.call_after_refresh(settled)
            return
        if spec["task"] == "run-screen":
            app.call_later(start_run_screen)
        app.set_timer(WARM_UP_SECONDS, begin_window)

    def on_frame(screen) -> None:
        # The browser's rows: the first frame of the browser once its first page is shown.
        if getattr(screen, "pages", None) is not None and not rows_seen:
            rows_seen.append(True)
            mark("ROWS", str(screen.pages.total))
            # Long enough for the filter menus to be read and mounted: their time is told.
            app.set_timer(0.5, app.exit)

    rows_seen: list[bool] = []
    watch_first_frame(app, Screen, lambda: mark("FIRST_FRAME"))
    if kind == "browser":
        watch_frames(app, on_frame)
    else:
        watch_first_frame(app, ready, home_ready)
    app.run(headless=spec["headless"], size=tuple(spec["size"]) if spec["headless"] else None)


# -- the parent --------------------------------------------------------------------------------


def run_child(spec: dict, env: dict[str, str], pty: bool, timeout: float) -> dict[str, tuple]:
    """Start a child and return {mark: (seconds since just before Popen, detail)}."""
    return _common.run_child(Path(__file__), spec, env, pty, timeout, SIZE)


def bench_start_up(specs: dict[str, dict], env: dict[str, str], pty: bool, runs: int) -> dict:
    import statistics

    samples: dict[str, dict[str, list[float]]] = {app: {} for app in specs}
    details: dict[str, str] = {}
    for n in range(runs + 1):
        for app, spec in specs.items():
            marks = run_child(spec | {"app": app, "task": "first-frame"}, env, pty, timeout=600)
            if "FIRST_FRAME" not in marks:
                raise ChildFailed(f"{app} child never painted; marks: {marks}")
            if n == 0:
                continue  # warm-up: fills the OS file cache, .pyc files, caches and the index
            for name, (seconds, detail) in marks.items():
                samples[app].setdefault(name, []).append(seconds)
                details[f"{app}.{name}"] = detail
    timed = {
        app: {name: statistics.median(values) for name, values in found.items()}
        for app, found in samples.items()
    }
    timed["details"] = details  # type: ignore[assignment]
    return timed


def bench_cpu(spec: dict, env: dict[str, str], seconds: float) -> dict:
    cases = {
        "bare app, a clock changing once a second": spec | {"app": "bare-clock", "task": "idle"},
        "protocolrunner, run screen counting down": spec
        | {"app": "protocolrunner", "task": "run-screen"},
        "protocolrunner, home screen, idle": spec | {"app": "protocolrunner", "task": "idle"},
    }
    timeout = seconds + WARM_UP_SECONDS + 120
    results = {}
    for label, case in cases.items():  # one at a time: none takes CPU from another
        marks = run_child(case | {"seconds": seconds, "headless": False}, env, True, timeout)
        if "CPU" not in marks:
            raise ChildFailed(f"{label}: no CPU figure; marks: {marks}")
        cpu, wall, screen = marks["CPU"][1].split()
        results[label] = (float(cpu), float(wall), screen)
    return results


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def print_start_up(timed: dict, runs: int, sessions: int) -> None:
    bare, static = timed["bare"], timed["bare-static"]
    ours, browser = timed["protocolrunner"], timed["browser"]
    print(
        f"(a) start-up: time from Popen, median of {runs} (after 1 warm-up), each beside its floor"
    )
    header = f"{'what':<34}  {'floor':<28}  {'floor time':>10}  {'time':>10}  {'ratio':>6}  target"
    print(header)
    print(f"{'-' * 34}  {'-' * 28}  {'-' * 10}  {'-' * 10}  {'-' * 6}  {'-' * 14}")
    rows = [
        ("first frame", "bare app (Header, Footer)", bare["FIRST_FRAME"], ours["FIRST_FRAME"],
         FIRST_FRAME_TARGET),
        ("home shown (protocol list painted)", "bare Header+Static+Footer", static["FIRST_FRAME"],
         ours.get("HOME"), HOME_TARGET),
        (f"browser rows shown ({sessions:,} sessions)", "bare app first frame",
         bare["FIRST_FRAME"], browser.get("ROWS"), ROWS_TARGET),
    ]  # fmt: skip
    for label, floor_label, floor, time_, target in rows:
        ratio = time_ / floor if time_ is not None else None
        met = "" if ratio is None else ("met" if ratio <= target else "NOT met")
        shown = f"{ratio:.2f}x" if ratio is not None else "-"
        print(
            f"{label:<34}  {floor_label:<28}  {ms(floor):>10}  {ms(time_):>10}  {shown:>6}  "
            f"≤ {target}x: {met}"
        )
    print("where the time goes (protocolrunner home / browser; the bare apps' imports beside):")
    for label, name in (
        ("imports done", "IMPORTED"),
        ("first frame", "FIRST_FRAME"),
        ("context built", "CONTEXT"),
        ("home shown", "HOME"),
        ("settled", "SETTLED"),
        ("rows shown", "ROWS"),
    ):
        print(
            f"  {label:<14} home {ms(ours.get(name)):>10}   browser {ms(browser.get(name)):>10}"
            f"   bare {ms(bare.get(name)):>10}   bare+Static {ms(static.get(name)):>10}"
        )
    facets = timed["details"].get("browser.FACETS")
    if facets:
        spent = json.loads(facets)
        print(
            f"  filter menus' lists (facets()): {ms(spent['ui'])} on the UI thread (target 0 ms), "
            f"{ms(spent['other'])} in other threads (last run)"
        )


def print_cpu(results: dict, seconds: float) -> None:
    print(
        f"(b) CPU over {seconds:g} s of real time, after a {WARM_UP_SECONDS:g} s settle, in a "
        f"pseudo-terminal of {SIZE[0]}x{SIZE[1]}, one app at a time"
    )
    width = max(len(label) for label in results)
    print(f"{'what':<{width}}  {'CPU':>8}  {'one core':>8}  {'ratio':>6}  {'screen':<14}  target")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 6}  {'-' * 14}  {'-' * 12}")
    floor = next(iter(results.values()))
    for label, (cpu, wall, screen) in results.items():
        share = cpu / wall
        ratio = f"{cpu / floor[0]:.2f}x" if floor[0] > 0 else "-"
        target = ""
        if "run screen" in label:
            target = f"≤ {CPU_TARGET:.0%}: {'met' if share <= CPU_TARGET else 'NOT met'}"
        line = f"{label:<{width}}  {cpu:>6.3f} s  {share:>8.2%}  {ratio:>6}  {screen:<14}  {target}"
        print(line.rstrip())
    print("(ratio: CPU over the bare app's with its clock)")


def demo_record(folder: Path, sessions: int) -> Path:
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    if not (folder / "community.toml").is_file():
        start = time.perf_counter()
        write_demo(folder, load_library(default_sources()), sessions=sessions, seed=1)
        print(f"wrote a {sessions:,}-session demo record in {time.perf_counter() - start:.1f} s")
    return folder


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, metavar="N", help="CPU window (60)")
    parser.add_argument("--runs", type=int, default=RUNS, metavar="N", help=f"start-ups ({RUNS})")
    parser.add_argument(
        "--sessions", type=int, default=10_000, metavar="N", help="the browser's record (10000)"
    )
    parser.add_argument("--keep", metavar="DIR", help="write the records in DIR, reuse them later")
    parser.add_argument("--pty", action="store_true", help="start-ups in a pseudo-terminal too")
    args = parser.parse_args()
    print(_common.machine_line(args.pty, SIZE))
    _common.compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        work = Path(tmp)
        env = isolate(work / "home")
        kept = Path(args.keep).expanduser().resolve() if args.keep else work
        small = demo_record(kept / "record-40", 40)
        large = demo_record(kept / f"record-{args.sessions}", args.sessions)
        home = {"record": str(small), "headless": not args.pty, "size": SIZE}
        specs = {
            "bare": home,
            "bare-static": home,
            "protocolrunner": home,
            "browser": home | {"record": str(large)},
        }
        try:
            timed = bench_start_up(specs, env, args.pty, args.runs)
            print_start_up(timed, args.runs, args.sessions)
            print()
            print_cpu(bench_cpu(home, env, args.seconds), args.seconds)
        except ChildFailed as exc:
            raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(json.loads(sys.argv[2]))
    else:
        main()
