"""Reading many session files on every core: the first build of a large record's index, and
the first publish of its website.

Reading a session file (parsing and validating it) is pure Python, so threads would take
turns; a few helper processes (``python -m protocolrunner.core.base.readpool``, one per core) read
chunks of files while the caller stores what they read. Started as plain processes, not through
``multiprocessing``: nothing of the caller is imported again in them (a script that calls the
index without a ``__main__`` guard would otherwise run again in each), and nothing is inherited
from the caller's threads.

The caller first tells a helper what to do (one pickled message, prefixed with its length: the
``read`` function and an optional ``setup`` to run once before it, both module-level functions
of protocolrunner, pickled by name, ``setup`` possibly a ``functools.partial`` carrying data),
then writes chunks (a JSON list of paths, one line each) to its standard input and reads back
one pickled list of results per chunk (``read`` of each path), prefixed with its length. Chunks
are handed out in turn and their results read in the same order, so the files come back in the
order asked. If a helper cannot be started or fails, the files it had not answered for are read
in the calling process instead (after ``setup`` there): never a failed read for want of a pool.
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
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _message(value: object) -> bytes:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def _read_message(stream: IO[bytes]) -> Any:
    """The next message on ``stream``; ``EOFError`` when it ends first."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


class _Helper:
    """One helper process and a thread that reads its answers as they come."""

    def __init__(self, task: bytes) -> None:
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
        try:
            self._send(task)
        except OSError:
            self.close()  # a helper that quit at once: not left behind
            raise

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                self.answers.put(_read_message(stream))
        except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
        self.answers.put(None)  # ended: whatever was not answered is read by the caller

    def _send(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)
        stdin.flush()

    def ask(self, paths: list[str]) -> None:
        self._send(json.dumps(paths).encode() + b"\n")

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def read_all(
    paths: list[str],
    read: Callable[[str], T],
    helpers: int,
    *,
    setup: Callable[[], object] | None = None,
) -> Iterator[tuple[str, T]]:
    """``(path, read(path))`` for every path, in order, ``read`` running in ``helpers``
    processes, each of which runs ``setup()`` once first. ``read`` must not raise for a bad
    file (it returns the file's problems); both must be picklable by name (module-level)."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    started: list[_Helper] = []
    done = 0  # chunks whose results were handed out
    try:
        try:
            task = _message((read, setup))
            for _ in range(min(helpers, len(chunks))):
                started.append(_Helper(task))
        except (OSError, pickle.PicklingError, AttributeError, TypeError):
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
    if done < len(chunks) and setup is not None:
        setup()
    for chunk in chunks[done:]:
        for path in chunk:
            yield path, read(path)


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    read, setup = _read_message(stdin)
    if setup is not None:
        setup()
    for line in stdin:
        stdout.write(_message([read(path) for path in json.loads(line)]))
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
