"""Helpers the app benchmarks share: isolated user folders, timed child processes, and a hook
that notices when Textual first paints a screen.

A benchmark runs each app in a fresh process (a "child": the benchmark script itself run with
``--child SPEC``) and times it from this process, just before ``Popen``, until the child reports
a mark through a pipe. Children import nothing heavy until they know which app to start.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SIZE = (80, 24)


class ChildFailed(RuntimeError):
    pass


def compile_sources() -> None:
    """Byte-compile protocolrunner, as installing a package does.

    Children are timed from a cold start; with PYTHONDONTWRITEBYTECODE set, or just after an
    edit, each would otherwise compile the changed modules again and count that as start-up.
    """
    import compileall

    compileall.compile_dir(REPO / "protocolrunner", quiet=1)


def isolate(home: Path) -> dict[str, str]:
    """Point every user folder inside ``home``, here and in the children."""
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.pop("PROTOCOLRUNNER_RECORD", None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env["TERM"] = "xterm-256color"
    env["COLORTERM"] = "truecolor"
    return env


def marker(spec: dict) -> Callable[..., None]:
    """In a child: ``mark(name, detail)`` tells the parent that ``name`` happened, now."""
    fd = spec["fd"]

    def mark(name: str, detail: str = "") -> None:
        os.write(fd, f"{name} {detail}\n".encode())

    return mark


def bare_app():
    """The yardstick: a Textual app with only a Header and a Footer."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Footer()

    return BareApp()


def watch_frames(app: Any, on_frame: Callable[[Any], None]) -> None:
    """Call ``on_frame(screen)`` each time Textual hands a screen update to its output.

    Wraps ``App._display``, an internal of Textual 8.2.8, on the instance.
    """
    display = app._display

    def display_and_notify(screen, renderable) -> None:
        display(screen, renderable)
        # Mirrors the checks at the top of App._display: None or a batch means nothing is shown.
        if renderable is not None and not app._batch_count:
            on_frame(screen)

    app._display = display_and_notify


def watch_first_frame(app: Any, target: type | str, on_first_frame: Callable[[], None]) -> None:
    """Call ``on_first_frame()`` the first time a screen of type ``target`` is painted; a
    class name as ``target`` saves importing the screen's module before the app does."""
    painted = False

    def is_target(screen) -> bool:
        if isinstance(target, str):
            return type(screen).__name__ == target
        return isinstance(screen, target)

    def on_frame(screen) -> None:
        nonlocal painted
        if not painted and is_target(screen):
            painted = True
            on_first_frame()

    watch_frames(app, on_frame)


def run_child(
    script: Path,
    spec: dict,
    env: dict[str, str],
    pty: bool,
    timeout: float,
    size: tuple[int, int] = SIZE,
) -> dict[str, tuple]:
    """Start ``script --child SPEC`` and return {mark: (seconds since just before Popen,
    detail)}. With ``pty`` the child runs in a pseudo-terminal of ``size``, drained here."""
    import select
    import subprocess
    import tempfile
    import threading

    read_fd, write_fd = os.pipe()
    argv = [
        sys.executable,
        str(Path(script).resolve()),
        "--child",
        json.dumps(spec | {"fd": write_fd}),
    ]
    output = bytearray()
    drainer = None
    if pty:
        import fcntl
        import struct
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        if pty:
            proc = subprocess.Popen(
                argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                pass_fds=(write_fd,),
                env=env,
                start_new_session=True,
            )
            os.close(slave)

            def drain() -> None:
                while True:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    output.extend(data)
                    del output[:-65536]

            drainer = threading.Thread(target=drain, daemon=True)
            drainer.start()
        else:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                pass_fds=(write_fd,),
                env=env,
            )
        os.close(write_fd)
        marks: dict[str, tuple] = {}
        pending = b""
        deadline = start + timeout
        try:
            while True:
                left = deadline - time.perf_counter()
                ready, _, _ = select.select([read_fd], [], [], max(0.0, left))
                if not ready:
                    proc.kill()
                    raise ChildFailed(f"no word from the child in {timeout:.0f} s")
                chunk = os.read(read_fd, 4096)
                now = time.perf_counter() - start
                if not chunk:
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    name, _, detail = line.decode().partition(" ")
                    marks[name] = (now, detail)
            code = proc.wait(timeout=30)
        finally:
            os.close(read_fd)
            if drainer is not None:
                drainer.join(timeout=5)
                os.close(master)
        if code != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace") or output.decode(errors="replace")
            raise ChildFailed(f"{spec['app']} child exited with {code}:\n{text[-3000:]}")
    return marks


def machine_line(pty: bool, size: tuple[int, int]) -> str:
    """What the figures were measured on, for the first line of a benchmark's output."""
    from importlib.metadata import version

    where = "in a pseudo-terminal" if pty else "headless"
    return (
        f"python {sys.version.split()[0]} on {sys.platform}; {os.cpu_count()} CPUs; "
        f"textual {version('textual')}; apps {where} at {size[0]}x{size[1]}"
    )


def median_seconds(action: Callable[[], object], runs: int, warm_up: int = 0) -> float:
    """The median wall time of ``runs`` calls of ``action``, after ``warm_up`` unmeasured ones."""
    import statistics

    for _ in range(warm_up):
        action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
