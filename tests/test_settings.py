"""The settings file: every kind of mistake is reported with file, line and column and ignored
(the rest still applies); what the app remembers never touches the file; the texts made from the
model (show, template, schema) agree with it."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.protocol.model import DEFAULT_WARNING, WarningRule
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import Session, State
from protocolrunner.core.session.roles import propose_fair
from protocolrunner.core.settings.config import (
    CONFIG_ENV,
    ConfigText,
    Remembered,
    choose_record,
    choose_theme,
    config_path,
    read_config,
    read_remembered,
    remember_theme,
    remembered_path,
)
from protocolrunner.core.settings.model import (
    BindingInfo,
    Settings,
    load_settings,
    settings_json_schema,
    settings_template,
    settings_toml,
)


def settings_from(tmp_path: Path, text: str | bytes):
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    loaded = load_settings(read_config(path))
    return loaded, [str(p).removeprefix(f"{path}:") for p in loaded.problems]


# -- each kind of mistake ------------------------------------------------------------------------


def test_a_missing_file_is_the_defaults_and_no_problem(tmp_path):
    loaded = load_settings(read_config(tmp_path / "none.toml"))
    assert loaded.settings == Settings()
    assert loaded.problems == []
    assert not loaded.config.exists


def test_each_wrong_key_is_reported_where_it_is_and_the_others_still_apply(tmp_path):
    loaded, problems = settings_from(
        tmp_path,
        "\n".join(
            [
                "#:schema ./config.schema.json",
                "record = 5",  # a type
                "bel = false",  # a typo
                'theme = "blue"',  # not a theme
                "bell = false",  # right: kept
                "[warning]",
                "percent = 80",  # out of range
                "most_seconds = 30",  # right: kept
                "[projector]",
                "start = true",  # right: kept
                "[keys]",
                '"run.next-key" = ["x", "page down"]',  # not one key
                '"run.bell" = []',  # no key at all
                '"run.back-key" = "backspace"',  # right: kept
            ]
        )
        + "\n",
    )
    assert problems == [
        '2:1: record: should be text in quotes, a folder like "~/cop/record" (got 5); '
        "ignored: using the default",
        "3:1: bel: unknown key 'bel' (did you mean 'bell'?); ignored",
        "4:1: theme: should be 'dark', 'light' or 'projector' (got 'blue'); "
        'ignored: using the default, "dark"',
        "7:1: warning.percent: must be at most 50 (got 80); ignored: using the default, 20",
        '12:1: keys."run.next-key": should be one key name, like "pagedown", "f8", "n" or '
        "\"ctrl+n\" (got 'page down'); give several keys as a list; ignored: the binding keeps "
        "its own keys",
        '13:1: keys."run.bell": needs at least one entry; ignored: the binding keeps its own keys',
    ]
    s = loaded.settings
    assert (s.bell, s.theme, s.record) == (False, "dark", None)
    assert (s.warning.percent, s.warning.most_seconds) == (20, 30)
    assert s.projector.start is True
    assert s.keys == {"run.back-key": ["backspace"]}


def test_a_rule_between_two_keys_ignores_their_table(tmp_path):
    loaded, problems = settings_from(tmp_path, "[warning]\nleast_seconds = 90\nmost_seconds = 30\n")
    assert problems == [
        "1:1: warning: least_seconds (90) must not be more than most_seconds (30); "
        "ignored: the whole table takes its defaults"
    ]
    assert loaded.settings.warning.rule() == DEFAULT_WARNING


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("theme = \n", "1:9: TOML syntax: invalid value"),
        (b"theme = 'dark'\x00\n", "1:1: is a binary file, not TOML text"),
        (b"theme = '\xff'\n", "1:10: is not UTF-8 text; save it as UTF-8"),
        ("# " + "x" * 70_000 + "\n", "1:1: is too large for a TOML file (more than 65,536 bytes)"),
    ],
    ids=["syntax", "binary", "not-utf8", "too-large"],
)
def test_a_file_that_cannot_be_read_is_ignored_whole_with_its_reason(tmp_path, content, expected):
    loaded, problems = settings_from(tmp_path, content)
    assert problems == [f"{expected}; the whole file is ignored, using the defaults"]
    assert loaded.settings == Settings()


def test_a_folder_or_a_fifo_in_its_place_is_a_problem_not_a_hang(tmp_path):
    folder = tmp_path / "config.toml"
    folder.mkdir()
    [problem] = load_settings(read_config(folder)).problems
    assert problem.message.startswith("is a folder, not a file")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    [problem] = load_settings(read_config(fifo)).problems
    assert problem.message.startswith("is a named pipe (FIFO), not a regular file")


@pytest.mark.parametrize(
    "text", ["# nothing set yet\n", "", " \n"], ids=["comments", "empty", "blank"]
)
def test_a_file_of_comments_only_or_nothing_is_the_defaults(tmp_path, text):
    loaded, problems = settings_from(tmp_path, text)
    assert (loaded.settings, problems) == (Settings(), [])


VALUES = st.one_of(
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=12),
    st.lists(st.text(max_size=8), max_size=3),
)
KEYS = st.sampled_from(
    [
        "record",
        "bell",
        "theme",
        "warning",
        "projector",
        "keys",
        "percent",
        "least_seconds",
        "most_seconds",
        "start",
        "run.next",
        "colour",
    ]
)
DOCUMENTS = st.recursive(
    st.dictionaries(KEYS, VALUES, max_size=6),
    lambda inner: st.dictionaries(KEYS, st.one_of(VALUES, inner), max_size=6),
    max_leaves=20,
)


@given(DOCUMENTS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_settings_file_makes_the_check_raise_and_every_problem_has_a_place(data):
    text = tomli_w.dumps(data)
    loaded = load_settings(ConfigText(Path("config.toml"), tomllib.loads(text), text, True))
    assert isinstance(loaded.settings, Settings)
    for problem in loaded.problems:
        assert problem.line >= 1 and problem.col >= 1
        assert "ignored" in problem.message


# -- the texts made from the model ---------------------------------------------------------------

BINDINGS = [
    BindingInfo("run.next", ("f8",), "Next", "run screen"),
    BindingInfo("run.blank-key", ("b", "full_stop"), "Blank", "run screen"),
]


def test_the_template_is_valid_sets_nothing_and_describes_every_setting(tmp_path):
    text = settings_template(BINDINGS)
    assert text.startswith("#:schema ./config.schema.json\n")
    loaded, problems = settings_from(tmp_path, text)
    assert (problems, loaded.settings) == ([], Settings())
    assert loaded.settings.model_fields_set <= {"warning", "projector", "keys"}  # empty tables
    for name, info in Settings.model_fields.items():
        assert f"{name}" in text and (info.description or "")[:30] in text.replace("\n# ", " ")
    assert '# "run.blank-key" = ["b", "full_stop"]  # Blank' in text


def test_show_is_toml_with_the_defaults_filled_in_and_the_remapped_keys_as_values(tmp_path):
    loaded, _ = settings_from(tmp_path, '[warning]\npercent = 30\n[keys]\n"run.next" = "x"\n')
    text = settings_toml(loaded, BINDINGS, record_in_use=(Path("/r"), "from --record"))
    data = tomllib.loads(text)
    assert data["warning"] == {"percent": 30, "least_seconds": 10, "most_seconds": 60}
    assert data["projector"] == {"theme": "projector", "start": False}
    assert data["keys"] == {"run.next": "x"}
    assert Settings.model_validate(data) == loaded.settings
    assert '# "run.blank-key" = ["b", "full_stop"]  # Blank' in text
    assert "# the record in use: /r (from --record)" in text


def test_the_schema_offers_every_binding_id_and_only_those():
    schema = settings_json_schema(BINDINGS)
    keys = schema["properties"]["keys"]
    assert set(keys["properties"]) == {"run.next", "run.blank-key"}
    assert keys["additionalProperties"] is False
    assert schema["properties"]["theme"]["enum"] == ["dark", "light", "projector"]
    json.dumps(schema)


# -- where things come from ----------------------------------------------------------------------


def test_the_record_comes_from_the_flag_then_the_variable_then_the_file(tmp_path, monkeypatch):
    path = tmp_path / "cfg" / "config.toml"
    path.parent.mkdir()
    path.write_text('record = "cop/record"\n')
    config = read_config(path)
    # A relative folder starts at the settings file's folder, not at the current one.
    assert choose_record(None, config).path == tmp_path / "cfg" / "cop" / "record"
    assert choose_record(None, config).source == str(path)
    monkeypatch.setenv("PROTOCOLRUNNER_RECORD", str(tmp_path / "env"))
    assert choose_record(None, config).path == tmp_path / "env"
    assert choose_record(str(tmp_path / "flag"), config).path == tmp_path / "flag"
    monkeypatch.delenv("PROTOCOLRUNNER_RECORD")
    path.write_text("record = 5\n")
    choice = choose_record(None, read_config(path))
    assert (choice.source, choice.chosen) == ("default", False)


def test_the_settings_file_can_be_named_by_a_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "other.toml"))
    assert config_path() == tmp_path / "other.toml"


def test_the_palettes_theme_is_remembered_beside_not_in_the_settings_file(tmp_path):
    config = tmp_path / "config.toml"
    original = b"# my comment\ntheme = 'light'   # keep this\n"
    config.write_bytes(original)
    remember_theme("projector", "light")
    assert config.read_bytes() == original
    remembered = read_remembered()
    assert remembered == Remembered("projector", "light")
    assert remembered_path().is_file()
    # Remembered while the file says light; once the file says something else, the file wins.
    assert choose_theme("light", remembered) == "projector"
    assert choose_theme("dark", remembered) == "dark"
    assert choose_theme(None, remembered) == "dark"
    assert choose_theme(None, Remembered("light", None)) == "light"


def test_a_broken_remembered_file_is_forgotten(tmp_path):
    remembered_path().parent.mkdir(parents=True, exist_ok=True)
    remembered_path().write_text("theme = [\n")
    assert read_remembered() == Remembered()


# -- the warning setting -------------------------------------------------------------------------


def test_the_warning_setting_moves_when_the_countdown_warns():
    clock = FakeClock()
    protocol = load_library(default_sources()).resolve("consultancy").protocol
    people = ["Ana", "Ben", "Cleo", "Dev"]
    roles = propose_fair(protocol, people, []).roles
    session = Session(protocol, attendees=people, roles=roles, clock=clock)
    session.start()
    budget = session.remaining()
    clock.advance(budget / 2 + 1)  # just under half left: no warning by default
    assert session.state is State.RUNNING
    session.warning = WarningRule(percent=50, least=10, most=3600)
    assert session.state is State.WARNING
    assert WarningRule().seconds(600) == 60 and WarningRule(percent=10).seconds(600) == 60
    assert WarningRule(percent=5, least=10).seconds(100) == 10
