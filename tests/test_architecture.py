"""The core stays free of the UI: importing any of it never loads Textual or Rich."""

from __future__ import annotations

import json
import subprocess
import sys

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
        "protocolrunner.core.library",
        "protocolrunner.core.protocol",
        "protocolrunner.core.tomlpos",
        "protocolrunner.core.validation",
    } <= set(report["modules"])
    # ... and none of them pulled in the UI toolkit.
    assert report["ui"] == []
