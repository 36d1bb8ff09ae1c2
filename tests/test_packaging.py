"""A normal (non-editable) install finds the bundled protocols from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

IDS = {"consultancy", "tuning", "atlas-looking-at-data"}


@pytest.mark.slow
def test_wheel_carries_the_bundled_protocols_and_lists_them_from_elsewhere(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("protocolrunner-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for protocol_id in IDS:
        assert f"protocolrunner/_bundled/{protocol_id}.toml" in names
    assert "protocolrunner/_bundled/protocol.schema.json" in names

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installed copy comes first on the path, ahead of this checkout's editable install.
    env = {**os.environ, "PYTHONPATH": str(target)}

    def installed(*argv: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "protocolrunner", *argv],
            cwd=elsewhere,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    rows = json.loads(installed("list", "--json"))
    assert {row["id"] for row in rows} >= IDS
    for row in rows:
        if row["id"] in IDS:
            assert row["source"] == "bundled"
            assert Path(row["path"]).is_relative_to(target), row["path"]

    # --version names the bundled protocols inside the installed package.
    bundled = target / "protocolrunner" / "_bundled"
    assert f"protocols: bundled  {bundled} (" in installed("--version")
    # The settings' schema and template are built from the installed UI's bindings.
    keys = json.loads(installed("config", "schema"))["properties"]["keys"]["properties"]
    assert "run.next-page" in keys
    assert "[keys]" in installed("config", "show")
