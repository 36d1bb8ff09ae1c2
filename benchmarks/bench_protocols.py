"""How fast protocol files load, and how fast ``protocolrunner list`` starts.

Run from the repository: ``.venv/bin/python benchmarks/bench_protocols.py``.

(a) loads 500 protocol files (copies of the bundled ones with distinct ids) through
    ``load_library`` with one source, validating each (an empty summary cache), then listing
    them from the summary cache: median of 5 runs each, and the time per file;
(b) times ``protocolrunner list`` as a subprocess next to ``python -c "import pydantic"`` and a
    bare ``python -c pass``: median of 15 runs each (after one warm-up run, which fills the
    summary cache: no protocol file changes between runs, so ``list`` imports no pydantic), and
    the ratio of ``list`` to the pydantic import, the floor it is held to.

It prints numbers only; nothing here asserts on timings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import compile_sources, median_seconds  # noqa: E402

from protocolrunner.core.protocol.library import EXTRA, Source, load_library  # noqa: E402

try:  # the same script times older versions, which had no summary cache
    from protocolrunner.core.protocol.summaries import SummaryCache
except ImportError:
    SummaryCache = None  # type: ignore[assignment,misc]

BUNDLED_DIR = REPO / "protocols"
FILES = 500
LOAD_RUNS = 5
PROCESS_RUNS = 15
LIST_TARGET = 1.2


def write_copies(folder: Path, count: int) -> None:
    """``count`` valid protocol files, cycling through the bundled ones, each with its own id."""
    originals = sorted(BUNDLED_DIR.glob("*.toml"))
    if not originals:
        raise SystemExit(f"no bundled protocols in {BUNDLED_DIR}")
    texts = [path.read_text(encoding="utf-8") for path in originals]
    for n in range(count):
        text = texts[n % len(texts)]
        new, found = re.subn(
            r'^id = "([a-z0-9-]+)"$', rf'id = "\1-copy-{n:04d}"', text, count=1, flags=re.M
        )
        if found != 1:
            raise SystemExit(f"no top-level id line in {originals[n % len(texts)]}")
        (folder / f"copy-{n:04d}.toml").write_text(new, encoding="utf-8")


def bench_loading(work: Path) -> list[tuple[str, float, str]]:
    folder = work / "copies"
    folder.mkdir()
    write_copies(folder, FILES)
    sources = [Source(EXTRA, folder)]
    caches = iter(range(LOAD_RUNS + 1))

    def load(cache: SummaryCache | None) -> None:
        library = load_library(sources, cache) if cache is not None else load_library(sources)
        if len(library) != FILES or library.problems:
            found = f"{len(library)} and problems {library.problems[:3]}"
            raise SystemExit(f"expected {FILES} valid protocols, got {found}")

    # Validated: a new, empty summary cache each run. Listed: the same cache, filled.
    if SummaryCache is None:
        validated = median_seconds(lambda: load(None), LOAD_RUNS)
        return [
            (f"load_library, {FILES} files, validated", validated, f"median of {LOAD_RUNS}"),
            ("  per file", validated / FILES, ""),
        ]
    validated = median_seconds(
        lambda: load(SummaryCache(work / f"cold-{next(caches)}.json")), LOAD_RUNS
    )
    warm = SummaryCache(work / "warm.json")
    load(warm)
    listed = median_seconds(lambda: load(SummaryCache(warm.path)), LOAD_RUNS)
    return [
        (f"load_library, {FILES} files, validated", validated, f"median of {LOAD_RUNS}"),
        ("  per file", validated / FILES, ""),
        (f"load_library, {FILES} files, from the cache", listed, f"median of {LOAD_RUNS}"),
        ("  per file", listed / FILES, ""),
    ]


def bench_processes(work: Path) -> list[tuple[str, float, str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))  # this checkout's protocolrunner
    env.pop("PROTOCOLRUNNER_RECORD", None)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(work / "home" / var.lower())
    commands = {
        "protocolrunner list": [sys.executable, "-m", "protocolrunner", "list"],
        'python -c "import pydantic"': [sys.executable, "-c", "import pydantic"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }

    def runner(argv: list[str]) -> Callable[[], None]:
        def run() -> None:
            subprocess.run(
                argv,
                env=env,
                cwd=work,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        return run

    timed = {
        label: median_seconds(runner(argv), PROCESS_RUNS, warm_up=1)
        for label, argv in commands.items()
    }
    ratio = timed["protocolrunner list"] / timed['python -c "import pydantic"']
    rows = [(label, seconds, f"median of {PROCESS_RUNS}") for label, seconds in timed.items()]
    met = "met" if ratio <= LIST_TARGET else "NOT met"
    rows.append((f"list / pydantic import (≤ {LIST_TARGET}x: {met})", ratio, "ratio"))
    return rows


def print_table(rows: list[tuple[str, float, str]]) -> None:
    width = max(len(label) for label, _, _ in rows)
    print(f"{'what':<{width}}  {'time':>10}  note")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 12}")
    for label, value, note in rows:
        shown = f"{value:.2f}x" if note == "ratio" else f"{value * 1000:.2f} ms"
        print(f"{label:<{width}}  {shown:>10}  {note}".rstrip())


def main() -> None:
    print(f"python {sys.version.split()[0]} on {sys.platform}; {os.cpu_count()} CPUs")
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-protocols-") as tmp:
        work = Path(tmp)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(work / "home" / var.lower())  # nothing of the user's touched
        rows = bench_loading(work)
        rows += bench_processes(work)
    print_table(rows)


if __name__ == "__main__":
    main()
