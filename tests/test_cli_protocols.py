"""The protocol commands of the command line: list, show, validate, schema."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import BUNDLED_DIR, BUNDLED_IDS, protocol_text
from support import cli_exit as exits
from support import run_cli as run

from protocolrunner import __version__
from protocolrunner.core.base.durations import format_minutes
from protocolrunner.core.protocol.describe import total_minutes
from protocolrunner.core.protocol.library import load_protocol_file

REPO = Path(__file__).resolve().parent.parent
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rest>.+)$")


def bundled(protocol_id: str):
    return load_protocol_file(BUNDLED_DIR / f"{protocol_id}.toml").protocol


def put(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- list ----------------------------------------------------------------------------------------


def test_list_shows_id_title_length_summary_and_source(capsys):
    status, out, err = run(capsys, "list")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    width = max(map(len, BUNDLED_IDS))
    assert len(lines) == 3 * len(BUNDLED_IDS)
    for protocol_id in BUNDLED_IDS:
        p = bundled(protocol_id)
        block = [
            f"{protocol_id:<{width}}  {p.title} ({total_minutes(p)})",
            f"{'':<{width}}  {p.summary}",
            f"{'':<{width}}  bundled: {BUNDLED_DIR / f'{protocol_id}.toml'}",
        ]
        start = lines.index(block[0])
        assert lines[start : start + 3] == block


def test_list_is_sorted_by_title(capsys):
    _, out, _ = run(capsys, "list")
    first_lines = [line for line in out.splitlines() if not line.startswith(" ")]
    titles = [bundled(line.split()[0]).title for line in first_lines]
    assert titles == sorted(titles, key=str.lower)
    assert len(titles) == len(BUNDLED_IDS)


def test_list_json(capsys):
    status, out, err = run(capsys, "list", "--json")
    assert (status, err) == (0, "")
    rows = json.loads(out)
    assert sorted(row["id"] for row in rows) == BUNDLED_IDS
    for row in rows:
        path = BUNDLED_DIR / f"{row['id']}.toml"
        p = bundled(row["id"])
        assert row == {
            "id": p.id,
            "title": p.title,
            "version": p.version,
            "summary": p.summary,
            "minutes": p.seconds / 60,
            "steps": len(p.steps),
            "source": "bundled",
            "path": str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "overrides": [],
        }


@pytest.mark.parametrize("before", [True, False], ids=["before-command", "after-command"])
def test_list_json_with_an_overriding_protocols_folder(capsys, tmp_path, before):
    mine = put(tmp_path / "mine", "consultancy.toml", protocol_text("consultancy", "My own"))
    option = ["--protocols", str(tmp_path / "mine")]
    argv = [*option, "list", "--json"] if before else ["list", "--json", *option]
    status, out, err = run(capsys, *argv)
    assert (status, err) == (0, "")
    rows = {row["id"]: row for row in json.loads(out)}
    assert sorted(rows) == BUNDLED_IDS
    assert rows["consultancy"]["title"] == "My own"
    assert rows["consultancy"]["source"] == "--protocols"
    assert rows["consultancy"]["path"] == str(mine)
    assert rows["consultancy"]["overrides"] == [
        {"source": "bundled", "path": str(BUNDLED_DIR / "consultancy.toml")}
    ]
    assert rows["tuning"]["overrides"] == []


def test_list_text_names_what_is_overridden(capsys, tmp_path):
    mine = put(tmp_path / "mine", "c.toml", protocol_text("consultancy", "My own"))
    _, out, _ = run(capsys, "list", "--protocols", str(tmp_path / "mine"))
    assert f"--protocols: {mine} (overrides bundled)" in [line.strip() for line in out.splitlines()]


def test_list_with_a_record_and_two_protocol_folders(capsys, tmp_path):
    record = tmp_path / "record"
    put(record / "protocols", "c.toml", protocol_text("consultancy", "Community"))
    put(tmp_path / "one", "c.toml", protocol_text("consultancy", "One"))
    two = put(tmp_path / "two", "c.toml", protocol_text("consultancy", "Two"))
    argv = ["list", "--json", "--record", str(record)]
    argv += ["--protocols", str(tmp_path / "one"), "--protocols", str(tmp_path / "two")]
    _, out, _ = run(capsys, *argv)
    row = next(row for row in json.loads(out) if row["id"] == "consultancy")
    assert (row["title"], row["path"]) == ("Two", str(two))
    assert [o["source"] for o in row["overrides"]] == ["bundled", "community", "--protocols"]


def test_protocols_folders_before_and_after_the_command_are_all_loaded(capsys, tmp_path):
    put(tmp_path / "one", "c.toml", protocol_text("consultancy", "One"))
    put(tmp_path / "two", "t.toml", protocol_text("tuning", "Two"))
    argv = ["--protocols", str(tmp_path / "one"), "list", "--json"]
    _, out, _ = run(capsys, *argv, "--protocols", str(tmp_path / "two"))
    titles = {row["id"]: row["title"] for row in json.loads(out)}
    assert (titles["consultancy"], titles["tuning"]) == ("One", "Two")


def test_list_reports_skipped_files_on_stderr(capsys, tmp_path):
    bad = put(tmp_path / "mine", "bad.toml", protocol_text("bad", minutes="0"))
    put(tmp_path / "mine", "good.toml", protocol_text("good", "Good"))
    status, out, err = run(capsys, "list", "--json", "--protocols", str(tmp_path / "mine"))
    assert status == 0
    assert sorted(row["id"] for row in json.loads(out)) == sorted([*BUNDLED_IDS, "good"])
    assert err == f"skipped: {bad}:6:41: steps[0].minutes: must be more than 0 (got 0)\n"


# -- show ----------------------------------------------------------------------------------------


def test_show_consultancy(capsys):
    status, out, err = run(capsys, "show", "consultancy")
    assert (status, err) == (0, "")
    p = bundled("consultancy")
    lines = out.splitlines()
    assert lines[0] == f"{p.title}  (id consultancy, version {p.version})"
    assert f"Total time: {format_minutes(p.seconds)}" in lines[2]
    assert f"From: bundled: {BUNDLED_DIR / 'consultancy.toml'}" in lines
    for number, step in enumerate(p.steps, 1):
        assert f"{number}. {step.title} ({format_minutes(step.seconds)})" in lines
    speak = [line for line in lines if line.startswith("   Speak: ")]
    assert len(speak) == len(p.steps)
    assert speak[0] == "   Speak: " + ", ".join(p.role(r).name for r in p.steps[0].speakers)
    assert out.endswith("\n")


def test_show_a_file(capsys, tmp_path):
    path = put(tmp_path, "mine.toml", protocol_text("mine", "My protocol", minutes="2.5"))
    status, out, err = run(capsys, "show", str(path))
    assert (status, err) == (0, "")
    assert out.splitlines()[:4] == [
        "My protocol  (id mine, version 1.0)",
        "For tests.",
        "Total time: 2 min 30 s   Group size: 1+ people",
        f"From: --protocols: {path}",
    ]
    assert "1. Talk (2 min 30 s)" in out.splitlines()
    assert "   Speak: nobody (silent step)" in out.splitlines()


def test_show_unknown_id(capsys):
    status, out, err = run(capsys, "show", "unknown-id")
    assert (status, out) == (1, "")
    assert err == (
        "protocolrunner: error: no protocol with id 'unknown-id' "
        f"(known: {', '.join(BUNDLED_IDS)})\n"
    )


def test_show_missing_file(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    status, out, err = run(capsys, "show", str(missing))
    assert (status, out) == (1, "")
    assert err == f"protocolrunner: error: {missing}: no such file\n"


def test_show_invalid_file_prints_its_problems(capsys, tmp_path):
    path = put(tmp_path, "bad.toml", protocol_text("bad", minutes="0"))
    status, out, err = run(capsys, "show", str(path))
    assert (status, out) == (1, "")
    assert err == f"{path}:6:41: steps[0].minutes: must be more than 0 (got 0)\n"


# -- validate ------------------------------------------------------------------------------------


def test_validate_good_files(capsys):
    paths = [str(BUNDLED_DIR / f"{protocol_id}.toml") for protocol_id in BUNDLED_IDS]
    status, out, err = run(capsys, "validate", *paths)
    assert (status, out, err) == (0, "", f"{len(BUNDLED_IDS)} file(s) valid\n")


def test_validate_a_folder(capsys):
    assert run(capsys, "validate", str(BUNDLED_DIR)) == (
        0,
        "",
        f"{len(BUNDLED_IDS)} file(s) valid\n",
    )


def test_validate_bad_and_good_prints_every_problem(capsys, tmp_path):
    bad = put(
        tmp_path,
        "bad.toml",
        textwrap.dedent(
            """\
            format = 1
            id = "Bad"
            title = "Bad"
            summary = "For tests."
            roles = [{ id = "lead", name = "Lead" }]
            steps = [{ id = "talk", title = "Talk", minutes = 0, speakers = ["ghost"] }]
            """
        ),
    )
    syntax = put(tmp_path, "syntax.toml", "format = 1\nid = = 2\n")
    good = BUNDLED_DIR / "tuning.toml"
    status, out, err = run(capsys, "validate", str(bad), str(good), str(syntax))
    assert status == 1
    assert out.splitlines() == [
        f"{bad}:2:1: id: should be an id of lowercase letters, digits and dashes, like "
        "'focus-question' (got 'Bad')",
        f"{bad}:6:41: steps[0].minutes: must be more than 0 (got 0)",
        f"{syntax}:2:6: TOML syntax: invalid value",
    ]
    for line in out.splitlines():
        match = PROBLEM_LINE.match(line)
        assert match and Path(match["file"]) in (bad, syntax)
    assert err == "2 of 3 file(s) have problems\n"


def test_validate_missing_path(capsys, tmp_path):
    missing = tmp_path / "missing"
    status, out, err = run(capsys, "validate", str(missing))
    assert (status, out, err) == (
        1,
        f"{missing}:1:1: no such file or folder\n",
        "1 of 1 file(s) have problems\n",
    )


# -- schema, version, errors, help ---------------------------------------------------------------


def test_schema_is_the_shipped_file_byte_for_byte(capsys):
    status, out, err = run(capsys, "schema")
    assert (status, err) == (0, "")
    assert out.encode("utf-8") == (BUNDLED_DIR / "protocol.schema.json").read_bytes()
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "protocolrunner protocol"
    assert {"format", "id", "title", "summary", "roles", "steps"} <= set(schema["required"])


def test_version_says_where_protocols_record_and_settings_come_from(capsys, tmp_path):
    code, out, err = run(capsys, "--version")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"protocolrunner {__version__} (Python ")
    assert f"bundled  {BUNDLED_DIR} (9 files)" in lines[1]
    assert lines[-2].endswith("(the default, in the data folder)")
    assert lines[-1].endswith("config.toml (none: the defaults)")

    code, out, err = run(capsys, "--record", str(tmp_path), "--version")
    assert f"record:    {tmp_path} (from --record)" in out.splitlines()


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["frobnicate"], "protocolrunner: error: argument COMMAND: invalid choice: 'frobnicate'"),
        (["list", "--bogus"], "protocolrunner: error: unrecognized arguments: --bogus"),
        (["show"], "protocolrunner show: error: the following arguments are required: ID|PATH"),
        (["validate"], "protocolrunner validate: error: the following arguments are required"),
    ],
    ids=["bad-command", "bad-option", "show-without-id", "validate-without-path"],
)
def test_usage_errors_are_one_line_on_stderr(capsys, argv, start):
    code, out, err = exits(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(start)
    assert err.endswith(" --help')\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["validate"], ["schema"]])
def test_help_on_every_command(capsys, command):
    code, out, err = exits(capsys, *command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: {' '.join(['protocolrunner', *command])} ")
    assert "--protocols DIR" in out


# -- in a real process ---------------------------------------------------------------------------


@pytest.mark.slow
def test_python_m_protocolrunner_list(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "protocolrunner", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert [
        line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "
    ] == BUNDLED_IDS


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [["list"], ["list", "--json"], ["show", "consultancy"], ["validate", "protocols"], ["schema"]],
    ids=lambda argv: "-".join(argv),
)
def test_protocol_commands_do_not_import_textual(argv):
    code = (
        "import sys\n"
        "from protocolrunner.cli import main\n"
        f"assert main({argv!r}) == 0\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
        "assert 'rich' not in sys.modules, 'rich was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
