"""The core stays free of the UI: importing any of it never loads Textual or Rich."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import importlib, json, pkgutil, sys
import protocolrunner.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + ".")]
for name in names:
    importlib.import_module(name)
ui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(json.dumps({"modules": names, "ui": ui}))
"""


@pytest.mark.slow
def test_core_modules_do_not_import_textual_or_rich():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # The walk found the modules (so an empty walk cannot pass by accident) ...
    assert {
        "protocolrunner.core.protocol.library",
        "protocolrunner.core.protocol.model",
        "protocolrunner.core.base.tomlpos",
        "protocolrunner.core.protocol.validation",
    } <= set(report["modules"])
    # ... and none of them pulled in the UI toolkit.
    assert report["ui"] == []


FIRST_FRAME = """
import json, sys
import protocolrunner.cli
import protocolrunner.ui.app
import protocolrunner.ui.screens.loading
import protocolrunner.ui.screens.record_sessions
heavy = sorted(m for m in sys.modules if m.split(".")[0] == "pydantic" or m in {
    "protocolrunner.core.record.models",
    "protocolrunner.core.protocol.model",
    "protocolrunner.core.record.folder",
})
print(json.dumps({"textual": "textual.app" in sys.modules, "heavy": heavy}))
"""


@pytest.mark.slow
def test_first_screens_paint_before_the_models_are_imported():
    """Importing pydantic and the models costs more than Textual: the app's first screens
    (the loading screen, and the record browser opened from the command line) must not need
    them, or they would wait for it before their first frame."""
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["textual"]
    assert report["heavy"] == []


CLOCK_READS = re.compile(
    r"\btime\.(monotonic|time|perf_counter)\(|\bdatetime\.(now|utcnow|today)\(|\bdate\.today\("
)


def test_only_the_clock_module_reads_the_time():
    """One injectable clock: tests drive time exactly and snapshots are deterministic."""
    package = Path(__file__).resolve().parent.parent / "protocolrunner"
    sources = sorted(package.rglob("*.py"))
    clock = package / "core" / "session" / "clock.py"
    assert len(sources) > 40 and clock in sources
    readers = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sources
        if path != clock
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLOCK_READS.search(line)
    ]
    assert readers == []
    assert CLOCK_READS.search(clock.read_text(encoding="utf-8"))


HOME_PAINTED = """
import json, sys
from pathlib import Path
from protocolrunner.ui.app import ProtocolRunnerApp

def load():
    from protocolrunner.ui.context import build_context
    return build_context(Path(sys.argv[1]), create_record=False)

app = ProtocolRunnerApp(load=load)
seen = []
display = app._display  # Textual 8.2.8's hand-over of a frame to its output, as benchmarks use

def painted(screen, renderable):
    display(screen, renderable)
    if type(screen).__name__ == "HomeScreen" and not seen:
        seen.append(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "tomllib")
            or m in {"protocolrunner.core.record.models", "protocolrunner.core.protocol.model"}))
        app.exit()

app._display = painted
app.run(headless=True, size=(80, 24))
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_home_is_painted_before_the_models_are_imported(tmp_path):
    """With nothing changed since the last start, home shows the community and the protocol
    list from the summary cache: the first frame of home needs neither pydantic nor the models
    (the first start validates, and must: else this check would prove nothing)."""
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    record = tmp_path / "record"
    write_demo(record, load_library(default_sources()), sessions=5)

    def heavy_at_home() -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", HOME_PAINTED, str(record)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        (found,) = json.loads(result.stdout.splitlines()[-1])
        return found

    first = heavy_at_home()
    assert "pydantic" in first
    assert heavy_at_home() == []
