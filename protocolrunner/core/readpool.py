"""Reading many session files on every core: the first build of a large record's index.

Reading a session file (parsing and validating it) is pure Python, so threads would take
turns; a few helper processes (``python -m protocolrunner.core.readpool``, one per core) read
chunks of files while the caller stores what they read. Started as plain processes, not through
``multiprocessing``: nothing of the caller is imported again in them (a script that calls the
index without a ``__main__`` guard would otherwise run again in each), and nothing is inherited
from the caller's threads.

The caller writes a chunk (a JSON list of paths, one line) to a helper's standard input and
reads back one pickled list of results (``index.read_session`` of each path), prefixed with its
length. Chunks are handed out in turn and their results read in the same order, so the files
come back in the order asked. If a helper cannot be started or fails, the files it had not
answered for are read in the calling process instead: never a failed refresh for want of a pool.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

CHUNK = 50
"""Files per request: large enough that a request's overhead is small, small enough that every
helper has work until the end."""
_HEADER = struct.Struct("!Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Helper:
    """One helper process and a thread that reads its answers as they come."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # The helper runs this very protocolrunner, wherever it was imported from.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.answers: queue.Queue[list[Any] | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                header = stream.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    break
                (size,) = _HEADER.unpack(header)
                body = stream.read(size)
                if len(body) < size:
                    break
                self.answers.put(pickle.loads(body))
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            pass
        self.answers.put(None)  # ended: whatever was not answered is read by the caller

    def ask(self, paths: list[str]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(paths).encode() + b"\n")
        stdin.flush()

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def read_all(paths: list[str], read: Callable[[str], T], helpers: int) -> Iterator[tuple[str, T]]:
    """``(path, read(path))`` for every path, in order, ``read`` running in ``helpers``
    processes (``read`` must be ``index.read_session``: the helpers call that)."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    started: list[_Helper] = []
    done = 0  # chunks whose results were handed out
    try:
        try:
            for _ in range(min(helpers, len(chunks))):
                started.append(_Helper())
        except OSError:
            pass
        if started:
            asked = 0
            # Two requests ahead per helper: it starts the next chunk while one is read here.
            while asked < min(len(chunks), 2 * len(started)):
                started[asked % len(started)].ask(chunks[asked])
                asked += 1
            while done < len(chunks):
                answer = started[done % len(started)].answers.get()
                if answer is None or len(answer) != len(chunks[done]):
                    break
                if asked < len(chunks):
                    started[asked % len(started)].ask(chunks[asked])
                    asked += 1
                yield from zip(chunks[done], answer, strict=True)
                done += 1
    except (OSError, ValueError):
        pass  # a helper that stopped listening: the rest is read here
    finally:
        for helper in started:
            helper.close()
    for chunk in chunks[done:]:
        for path in chunk:
            yield path, read(path)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from .index import read_session

    for line in stdin:
        answer = pickle.dumps([read_session(path) for path in json.loads(line)])
        stdout.write(_HEADER.pack(len(answer)) + answer)
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
