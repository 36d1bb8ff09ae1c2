"""How fast the app starts, and how much CPU a running countdown costs.

Run from the repository: ``.venv/bin/python benchmarks/bench_app.py [--seconds N] [--pty]``.

(a) Time to the first frame, protocolrunner next to a bare Textual app with a Header and a
    Footer: each a fresh process, timed in this process from just before ``Popen`` until the
    child reports, through a pipe, that it has painted its first screen (one warm-up run each,
    then the median of ``--runs``, alternating the two apps). The protocolrunner child does
    what ``protocolrunner --record DIR`` does: imports the CLI and the app and runs it; the app
    paints a loading screen, then builds its context in a thread (opens the record, loads the
    protocol library, opens the journal) and shows home. Also shown, on the same clock: when
    the imports were done, when the context was built, when home was first painted, and when
    it had settled (Textual's ``call_after_refresh``: refreshed, nothing pending). The ratio is
    protocolrunner over the bare app.
(b) CPU used over ``--seconds`` of real time (60 by default) on protocolrunner's run screen,
    with a Consultancy counting down on the real clock (journal writes included), next to the
    bare app and protocolrunner's home screen, both idle. Each child measures its own CPU time
    (``resource.getrusage``, all threads) over the window, which starts two seconds after its
    home screen. The three children run at the same time.

"First frame" is the first time Textual hands a screen update to its output (``App._display``,
an internal of Textual 8.2.8, wrapped on the instance). The children run headless at 80x24 by
default, which skips turning that update into terminal escape codes; ``--pty`` runs them in a
pseudo-terminal instead, with Textual's real driver writing real output, drained by a thread
here. Every user folder points at a temporary one, with a small demo record (40 sessions).

It prints numbers only; nothing here asserts on timings.
"""

# A child is this same file run with --child: until it knows which app to start it imports
# nothing beyond these few modules, so both apps pay the same small overhead.
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import _common  # noqa: E402  (shared with the other app benchmarks)
from _common import ChildFailed, bare_app, isolate, marker, watch_first_frame  # noqa: E402

SIZE = (80, 24)
RUNS = 7
WARM_UP_SECONDS = 2.0
FIRST_FRAME_TARGET = 1.3
CPU_TARGET = 0.01
ATTENDEES = ["Ana Souza", "Ben Okafor", "Cleo Martin", "Dev Patel", "Eli Novak"]


# -- the child ---------------------------------------------------------------------------------


def child(spec: dict) -> None:
    mark = marker(spec)

    from textual.screen import Screen

    if spec["app"] == "protocolrunner":
        import protocolrunner.cli  # noqa: F401  (the entry point: part of what start-up costs)
        from protocolrunner.ui.app import ProtocolRunnerApp

        mark("IMPORTED")

        def load():  # as the command line does: in a thread, after the first frame
            from protocolrunner.ui.context import build_context

            context = build_context(Path(spec["record"]), create_record=False)
            mark("CONTEXT")
            return context

        app = ProtocolRunnerApp(load=load)
        ready: type | str = "HomeScreen"
    else:
        app = bare_app()
        mark("IMPORTED")
        ready = Screen

    def settled() -> None:
        mark("SETTLED")
        app.exit()

    def start_run_screen() -> None:
        from protocolrunner.core.engine import Session
        from protocolrunner.core.roles import propose_fair

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

    watch_first_frame(app, Screen, lambda: mark("FIRST_FRAME"))
    watch_first_frame(app, ready, home_ready)
    app.run(headless=spec["headless"], size=tuple(spec["size"]) if spec["headless"] else None)


# -- the parent --------------------------------------------------------------------------------


def run_child(spec: dict, env: dict[str, str], pty: bool, timeout: float) -> dict[str, tuple]:
    """Start a child and return {mark: (seconds since just before Popen, detail)}."""
    return _common.run_child(Path(__file__), spec, env, pty, timeout, SIZE)


def bench_first_frame(spec: dict, env: dict[str, str], pty: bool, runs: int) -> dict:
    import statistics

    apps = ("bare", "protocolrunner")
    samples: dict[str, dict[str, list[float]]] = {app: {} for app in apps}
    for n in range(runs + 1):
        for app in apps:
            marks = run_child(spec | {"app": app, "task": "first-frame"}, env, pty, timeout=120)
            if "FIRST_FRAME" not in marks or "SETTLED" not in marks:
                raise ChildFailed(f"{app} child never painted; marks: {marks}")
            if n == 0:
                continue  # warm-up: fills the OS file cache and any .pyc files
            for name, (seconds, _) in marks.items():
                samples[app].setdefault(name, []).append(seconds)
    return {
        app: {name: statistics.median(values) for name, values in found.items()}
        for app, found in samples.items()
    }


def bench_cpu(spec: dict, env: dict[str, str], pty: bool, seconds: float) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    cases = {
        "bare Textual app, idle": spec | {"app": "bare", "task": "idle"},
        "protocolrunner, home screen, idle": spec | {"app": "protocolrunner", "task": "idle"},
        "protocolrunner, run screen counting": spec
        | {"app": "protocolrunner", "task": "run-screen"},
    }
    timeout = seconds + WARM_UP_SECONDS + 120
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = {
            label: pool.submit(run_child, case | {"seconds": seconds}, env, pty, timeout)
            for label, case in cases.items()
        }
        results = {}
        for label, future in futures.items():
            marks = future.result()
            if "CPU" not in marks:
                raise ChildFailed(f"{label}: no CPU figure; marks: {marks}")
            cpu, wall, screen = marks["CPU"][1].split()
            results[label] = (float(cpu), float(wall), screen)
    return results


def print_startup(timed: dict, runs: int) -> None:
    rows = [
        ("imports done", "IMPORTED"),
        ("context built", "CONTEXT"),
        ("first frame", "FIRST_FRAME"),
        ("home shown", "HOME"),
        ("settled", "SETTLED"),
    ]
    bare, ours = timed["bare"], timed["protocolrunner"]
    print(f"(a) start-up: time from Popen, median of {runs} (after 1 warm-up)")
    print("    protocolrunner paints a first frame, then loads the record and library in a")
    print("    thread; 'home shown' is when its home screen (the library) is first painted")
    label = "what"
    print(f"{label:<15}  {'bare app':>10}  {'protocolrunner':>14}  {'ratio':>6}  target")
    print(f"{'-' * 15}  {'-' * 10}  {'-' * 14}  {'-' * 6}  {'-' * 14}")
    for label, name in rows:
        a = f"{bare[name] * 1000:.1f} ms" if name in bare else "-"
        b = f"{ours[name] * 1000:.1f} ms" if name in ours else "-"
        ratio = f"{ours[name] / bare[name]:.2f}x" if name in bare and name in ours else ""
        target = ""
        if name == "FIRST_FRAME":
            met = "met" if ours[name] / bare[name] <= FIRST_FRAME_TARGET else "NOT met"
            target = f"≤ {FIRST_FRAME_TARGET}x: {met}"
        print(f"{label:<15}  {a:>10}  {b:>14}  {ratio:>6}  {target}".rstrip())


def print_cpu(results: dict, seconds: float) -> None:
    print(f"(b) CPU over {seconds:g} s of real time, after a {WARM_UP_SECONDS:g} s settle")
    width = max(len(label) for label in results)
    print(f"{'what':<{width}}  {'CPU':>8}  {'one core':>8}  {'screen':<10}  target")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}  {'-' * 10}  {'-' * 12}")
    for label, (cpu, wall, screen) in results.items():
        share = cpu / wall
        target = ""
        if "run screen" in label:
            target = f"≤ {CPU_TARGET:.0%}: {'met' if share <= CPU_TARGET else 'NOT met'}"
        print(f"{label:<{width}}  {cpu:>6.3f} s  {share:>8.2%}  {screen:<10}  {target}".rstrip())


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, metavar="N", help="CPU window (60)")
    parser.add_argument("--runs", type=int, default=RUNS, metavar="N", help=f"start-ups ({RUNS})")
    parser.add_argument("--pty", action="store_true", help="run the apps in a pseudo-terminal")
    args = parser.parse_args()
    print(_common.machine_line(args.pty, SIZE))
    _common.compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        work = Path(tmp)
        env = isolate(work / "home")
        from protocolrunner.core.demo import write_demo
        from protocolrunner.core.library import default_sources, load_library

        record = work / "record"
        write_demo(record, load_library(default_sources()), sessions=40, seed=1)
        spec = {"record": str(record), "headless": not args.pty, "size": SIZE}
        try:
            timed = bench_first_frame(spec, env, args.pty, args.runs)
            print_startup(timed, args.runs)
            print()
            print_cpu(bench_cpu(spec, env, args.pty, args.seconds), args.seconds)
        except ChildFailed as exc:
            raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(json.loads(sys.argv[2]))
    else:
        main()
