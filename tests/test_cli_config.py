"""``protocolrunner config path|show|edit|schema``, and the record named in the settings."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from support import run_cli

from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.models import Community
from protocolrunner.core.settings.config import CONFIG_ENV, SCHEMA_FILE_NAME, config_path


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


def test_path_prints_where_the_settings_file_is(capsys, config):
    assert run_cli(capsys, "config", "path") == (0, f"{config}\n", "")


def test_show_prints_the_defaults_as_toml_and_lists_every_binding(capsys, config):
    status, out, err = run_cli(capsys, "config", "show")
    assert (status, err) == (0, "")
    data = tomllib.loads(out)
    assert data["theme"] == "dark" and data["warning"]["percent"] == 20
    assert '# "run.next-page" = "pagedown"' in out
    assert '# "run.blank-key" = ["b", "full_stop"]' in out


def test_show_reports_each_problem_and_exits_1(capsys, config):
    config.parent.mkdir()
    config.write_text('theme = "blue"\n[keys]\n"run.next-key" = "x"\n"run.nope" = "y"\n')
    status, out, err = run_cli(capsys, "config", "show")
    assert status == 1
    assert err.splitlines() == [
        f"{config}:1:1: theme: should be 'dark', 'light' or 'projector' (got 'blue'); "
        'ignored: using the default, "dark"',
        f"{config}:4:1: keys.\"run.nope\": unknown binding id 'run.nope' (did you mean "
        "'run.notes'?); ignored",
    ]
    assert '"run.next-key" = "x"  # Next' in out


def test_edit_makes_a_commented_file_and_its_schema_then_checks_what_was_written(
    capsys, config, tmp_path, monkeypatch
):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as f:\n"
        "    f.write('\\n# added\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    status, out, err = run_cli(capsys, "config", "edit")
    assert (status, err) == (0, "")
    assert out == f"Created {config}, every setting commented out\nNo problems in {config}\n"
    text = config.read_text()
    assert text.startswith("#:schema ./config.schema.json\n") and text.endswith("# added\n")
    schema = json.loads((config.parent / SCHEMA_FILE_NAME).read_text())
    assert "run.next-page" in schema["properties"]["keys"]["properties"]
    # An existing file is opened as it is, never replaced.
    config.write_text('bell = "loud"\n')
    status, out, err = run_cli(capsys, "config", "edit")
    assert status == 1
    assert config.read_text() == 'bell = "loud"\n\n# added\n'
    assert err.startswith(f"{config}:1:1: bell: should be true or false")


def test_edit_without_an_editor_says_so_in_one_line(capsys, config, monkeypatch):
    monkeypatch.setenv("EDITOR", "no-such-editor-here")
    monkeypatch.delenv("VISUAL", raising=False)
    status, _, err = run_cli(capsys, "config", "edit")
    assert status == 1
    assert err.startswith("protocolrunner: error: cannot start the editor 'no-such-editor-here'")
    assert len(err.splitlines()) == 1


def test_schema_is_json_with_every_binding_id(capsys, config):
    status, out, _ = run_cli(capsys, "config", "schema")
    assert status == 0
    keys = json.loads(out)["properties"]["keys"]
    assert {"run.next", "run.next-page", "run.back-page", "run.blank-key"} <= set(
        keys["properties"]
    )


def test_the_record_named_in_the_settings_is_used_and_a_flag_still_wins(capsys, config, tmp_path):
    Record.init(tmp_path / "ours", Community(name="Ours"))
    config.parent.mkdir()
    config.write_text('record = "../ours"\n')
    status, out, _ = run_cli(capsys, "--version")
    assert f"record:    {config.parent / '../ours'} (from {config})" in out.splitlines()
    status, _, err = run_cli(capsys, "record", "members")
    assert (status, err) == (
        0,
        "No members yet: add one with 'protocolrunner record members add NAME'.\n",
    )
    other = tmp_path / "missing"
    status, out, err = run_cli(capsys, "--record", str(other), "record", "members")
    assert status == 1 and str(other) in err


def test_a_broken_record_setting_is_said_once_and_the_default_used(capsys, config):
    config.parent.mkdir()
    config.write_text("record = 5\n")
    status, _, err = run_cli(capsys, "record", "members")
    assert status == 0
    assert err.splitlines()[0] == (
        f"protocolrunner: settings: {config}:1:1: record: should be text in quotes, a folder "
        'like "~/cop/record" (got 5); ignored'
    )
    assert err.count("settings:") == 1


def test_without_the_variable_the_settings_are_in_the_config_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert config_path().parts[-2:] == ("protocolrunner", "config.toml")
