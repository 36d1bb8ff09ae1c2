"""How long ``record sync`` takes, beside plain git doing the same round trip by hand.

Run from the repository: ``.venv/bin/python benchmarks/bench_sync.py``.

A bare hub and two clones (school A, school B) of a demo record of 40 sessions, all on this
machine. Timed, each the median of 5 runs:
(a) a sync with nothing to do, beside its floor: ``git fetch`` then ``git push`` by hand;
(b) school A syncing 100 new sessions, beside ``git add -A``, ``git commit``, ``git push``;
(c) school B receiving those 100 sessions, beside ``git pull`` by hand.

It prints numbers only; nothing here asserts on timings.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from protocolrunner.core.protocol.library import default_sources, load_library  # noqa: E402
from protocolrunner.core.record import sync  # noqa: E402
from protocolrunner.core.record.demo import write_demo  # noqa: E402
from protocolrunner.core.record.folder import Record  # noqa: E402

RUNS = 5
NEW = 100


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def add_sessions(record: Record, library, round_: int) -> None:
    # Copies of a demo record's sessions with fresh ids: NEW new files for the sync to carry.
    with tempfile.TemporaryDirectory() as folder:
        demo = write_demo(Path(folder) / "d", library, sessions=NEW, seed=round_ + 7)
        for path in demo.session_files():
            target = record.sessions_dir / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def main() -> None:
    if shutil.which("git") is None:
        print("git is not installed: nothing to measure")
        return
    library = load_library(default_sources())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        hub = root / "hub.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(hub)], check=True)
        a = write_demo(root / "a", library, sessions=40)
        sync.init(a, str(hub))
        sync.sync(a)
        b = Record.open(root / "b")
        sync.init(b, str(hub))

        idle = [timed(lambda: sync.sync(a)) for _ in range(RUNS)]

        def by_hand_idle() -> None:
            git(a.root, "fetch", "--quiet", "origin")
            git(a.root, "push", "--quiet", "origin", "HEAD:refs/heads/main")

        idle_floor = [timed(by_hand_idle) for _ in range(RUNS)]

        send, send_floor, receive, receive_floor = [], [], [], []
        for round_ in range(RUNS):
            add_sessions(a, library, round_)
            send.append(timed(lambda: sync.sync(a)))
            receive.append(timed(lambda: sync.sync(b)))
            add_sessions(a, library, round_ + 100)

            def by_hand_send() -> None:
                git(a.root, "add", "-A")
                git(a.root, "commit", "--quiet", "-m", "by hand")
                git(a.root, "push", "--quiet", "origin", "HEAD:refs/heads/main")

            send_floor.append(timed(by_hand_send))
            receive_floor.append(timed(lambda: git(b.root, "pull", "--quiet", "--no-rebase")))

        version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
        print(f"git {version.split()[-1]}; median of {RUNS}; a local bare hub")
        for name, ours, floor in (
            ("sync, nothing to do", idle, idle_floor),
            (f"sync sending {NEW} new sessions", send, send_floor),
            (f"sync receiving {NEW} new sessions", receive, receive_floor),
        ):
            mine, base = statistics.median(ours), statistics.median(floor)
            print(f"{name:36} {mine:6.3f} s   git by hand {base:6.3f} s   {mine / base:5.2f}x")


if __name__ == "__main__":
    main()
