"""What the reading gate costs, worst case and usual case.

Run from the repository: ``.venv/bin/python benchmarks/bench_gate.py``.

For each input, ``read_toml`` (the gate: open, bounded read, structure scan, parse, integer
check) is timed beside its floor, a bare ``tomllib.loads`` of the same text, both the median of
5 runs in this process. The worst cases are the largest files the gate accepts (just under
1 MiB) of the shapes that cost the parser most: dotted keys of the most parts allowed, arrays
nested to the deepest allowed, long arrays of numbers. Peak memory is measured with
``tracemalloc`` over one gate read. Refused inputs (too deep, too many key parts, over the cap,
``/dev/zero``) are timed too: a refusal must be cheap.

It prints numbers only; nothing here asserts on timings.
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import median_seconds  # noqa: E402

from protocolrunner.core.base.problems import (  # noqa: E402
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_KEY_PARTS,
    FileProblems,
    read_toml,
)

RUNS = 5


def fill(line: str, numbered: bool = False) -> str:
    """Lines of ``line`` (with ``{i}`` numbered) up to just under the size cap."""
    out, size, i = [], 0, 0
    while True:
        text = line.format(i=i) if numbered else line
        if size + len(text) + 1 > MAX_FILE_BYTES - 16:
            return "\n".join(out) + "\n"
        out.append(text)
        size += len(text) + 1
        i += 1


def inputs(session: str) -> dict[str, str]:
    parts = ".a" * (MAX_KEY_PARTS - 2)
    nested = "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH
    return {
        "a session file (typical)": session,
        f"1 MiB of {MAX_KEY_PARTS - 1}-part dotted keys": fill("k{i}" + parts + " = 1", True),
        f"1 MiB of arrays {MAX_DEPTH} deep": fill("k{i} = " + nested, True),
        "1 MiB array of numbers": "a = [" + "1.5, " * ((MAX_FILE_BYTES - 32) // 5) + "]\n",
        "1 MiB of note text": 'a = """'
        + "Notes. [x] {y} " * ((MAX_FILE_BYTES - 32) // 15)
        + '"""\n',
    }


REFUSED = {
    "100,000-part dotted key": "deep" + ".a" * 100_000 + " = 1\n",
    "array 100,000 deep": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "integer of 100,000 digits": "x = " + "9" * 100_000 + "\n",
}


def main() -> None:
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        record = write_demo(root / "record", load_library(default_sources()), sessions=1)
        session = record.session_files()[0].read_text()
        print(f"size cap {MAX_FILE_BYTES:,} bytes; depth {MAX_DEPTH}; key parts {MAX_KEY_PARTS}")
        heading = f"{'gate':>9} {'tomllib':>9} {'ratio':>6} {'peak':>8}"
        print(f"{'accepted input':38} {'bytes':>9} {heading}")
        for name, text in inputs(session).items():
            path = root / "in.toml"
            path.write_text(text)
            gate = median_seconds(lambda p=path: read_toml(p), RUNS)
            floor = median_seconds(lambda t=text: tomllib.loads(t), RUNS)
            tracemalloc.start()
            read_toml(path)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"{name:38} {len(text):>9,} {gate * 1000:>7.1f}ms {floor * 1000:>7.1f}ms "
                f"{gate / floor:>5.2f}x {peak / 2**20:>6.1f}MB"
            )
        print(f"{'refused input':38} {'bytes':>9} {'gate':>9}")
        cases = {**REFUSED, "2 MiB file (over the cap)": "a = 1\n" * (2 * MAX_FILE_BYTES // 6)}
        for name, text in cases.items():
            path = root / "in.toml"
            path.write_text(text)
            seconds = median_seconds(lambda p=path: refused(p), RUNS)
            print(f"{name:38} {len(text):>9,} {seconds * 1000:>7.1f}ms")
        zero = Path("/dev/zero")
        if zero.exists():
            seconds = median_seconds(lambda: refused(zero), RUNS)
            print(f"{'/dev/zero':38} {'-':>9} {seconds * 1000:>7.1f}ms")


def refused(path: Path) -> None:
    try:
        read_toml(path)
    except FileProblems:
        return
    raise AssertionError(f"{path} was accepted")


if __name__ == "__main__":
    main()
