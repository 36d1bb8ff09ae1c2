"""Arguments with bounds: every one of them a one-line error, never a traceback or a run
without end. Each test's name says how to reproduce what it guards against."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from support import BUNDLED_DIR, cli_exit, run_cli, time_limit

from protocolrunner.cli import (
    DEMO_SEED_RANGE,
    DEMO_SESSIONS_RANGE,
    LIMIT_RANGE,
    build_parser,
)
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.browse import MAX_TERMS
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.index import SessionFilter, search_text

HUGE = "99999999999999999999"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bounds") / "record"
    write_demo(folder, load_library(default_sources()), sessions=12)
    return folder


def one_line(err: str) -> str:
    """``err`` is one ``protocolrunner...: error: ...`` line and no traceback: its message."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("protocolrunner") and ": error: " in lines[0], err
    return lines[0].split(": error: ", 1)[1]


# -- --limit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["search", "students"]])
def test_limit_99999999999999999999_is_a_one_line_error_naming_the_range(
    capsys, root: Path, command: list[str]
) -> None:
    """``record list --limit 99999999999999999999`` was an OverflowError traceback."""
    code, out, err = cli_exit(capsys, "--record", str(root), "record", *command, "--limit", HUGE)
    assert (code, out) == (2, "")
    message = one_line(err)
    assert f"'{HUGE}' is more than 100,000 (from 1 to 100,000)" in message


def test_limit_takes_1_to_100000(capsys, root: Path) -> None:
    assert LIMIT_RANGE == (1, 100_000)
    status, out, _ = run_cli(capsys, "--record", str(root), "record", "list", "--limit", "100000")
    assert status == 0 and len(out.splitlines()) == 12
    for bad in ["0", "100001", "-1", "1e3", "9" * 5000]:
        code, _, err = cli_exit(capsys, "--record", str(root), "record", "list", "--limit", bad)
        assert code == 2
        assert "(from 1 to 100,000)" in one_line(err)


def test_a_number_too_long_to_convert_is_shown_cut_short(capsys, root: Path) -> None:
    """``--limit 999...`` (5,000 digits) is more digits than Python converts: still one short
    line."""
    code, _, err = cli_exit(capsys, "--record", str(root), "record", "list", "--limit", "9" * 5000)
    assert code == 2
    assert len(one_line(err)) < 200


# -- demo --------------------------------------------------------------------------------------


def test_demo_sessions_99999999999999999999_is_refused_before_writing(
    capsys, tmp_path: Path
) -> None:
    """``demo DIR --sessions 99999999999999999999`` wrote session files until it was killed."""
    folder = tmp_path / "demo"
    with time_limit(10):  # a regression fails here instead of filling the disk
        code, out, err = cli_exit(capsys, "demo", str(folder), "--sessions", HUGE)
    assert (code, out) == (2, "")
    assert f"'{HUGE}' is more than 10,000 (from 0 to 10,000)" in one_line(err)
    assert not folder.exists()


def test_demo_sessions_and_seed_have_stated_ranges() -> None:
    assert DEMO_SESSIONS_RANGE == (0, 10_000)
    assert DEMO_SEED_RANGE == (0, 1_000_000)
    parser = build_parser()
    args = parser.parse_args(["demo", "d", "--sessions", "10000", "--seed", "1000000"])
    assert (args.sessions, args.seed) == (10_000, 1_000_000)
    assert parser.parse_args(["demo", "d", "--sessions", "0", "--seed", "0"]).sessions == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--sessions", "10001", "'10001' is more than 10,000 (from 0 to 10,000)"),
        ("--seed", "-1", "'-1' is not a whole number of 0 or more (from 0 to 1,000,000)"),
        ("--seed", HUGE, f"'{HUGE}' is more than 1,000,000 (from 0 to 1,000,000)"),
    ],
)
def test_demo_numbers_out_of_range_are_one_line(
    capsys, tmp_path: Path, option: str, value: str, message: str
) -> None:
    with time_limit(10):
        code, _, err = cli_exit(capsys, "demo", str(tmp_path / "d"), option, value)
    assert code == 2
    assert message in one_line(err)
    assert not (tmp_path / "d").exists()


def _int_options() -> list[tuple[tuple[str, ...], str]]:
    """(command words, option) for every option of the parser that takes a whole number."""
    found = []

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*words, name))
                continue
            if action.type is None or not action.option_strings:
                continue
            try:
                whole = isinstance(action.type("1"), int)
            except (argparse.ArgumentTypeError, ValueError, TypeError):
                whole = False
            if whole:
                found.append((words, action.option_strings[-1]))

    walk(build_parser(), ())
    return found


def test_every_whole_number_option_has_a_stated_range(capsys, tmp_path: Path) -> None:
    """A new integer option must get a range: 99999999999999999999 is refused, naming it."""
    options = _int_options()
    assert {option for _, option in options} == {"--limit", "--sessions", "--seed", "--port"}
    for words, option in options:
        folder = str(tmp_path / "d")  # never the current folder, even if a bound goes
        argv = [*words, *([folder] if words == ("demo",) else []), option, HUGE]
        if words[-1] == "search":
            argv.insert(len(words), "w")
        with time_limit(10):
            code, _, err = cli_exit(capsys, "--record", str(tmp_path / "r"), *argv)
        assert code == 2, argv
        assert "(from " in one_line(err), argv


# -- record init --name ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_record_init_name_empty_is_a_one_line_error(capsys, tmp_path: Path, name: str) -> None:
    """``record init DIR --name ""`` was a pydantic ValidationError traceback."""
    folder = tmp_path / "circle"
    code, out, err = cli_exit(capsys, "record", "init", str(folder), "--name", name)
    assert (code, out) == (2, "")
    assert (
        one_line(err)
        == "argument --name: must not be empty (see 'protocolrunner record init --help')"
    )
    assert not folder.exists()


# -- record search ------------------------------------------------------------------------------


def test_record_search_a_times_20000_is_refused_naming_the_cap(capsys, root: Path) -> None:
    """``record search $(python -c "print('a ' * 20000)")``: at most 64 words."""
    words = ("a " * 20000).split()
    with time_limit(10):
        status, out, err = run_cli(capsys, "--record", str(root), "record", "search", *words)
    assert (status, out) == (2, "")
    assert one_line(err) == f"a search takes at most {MAX_TERMS} words (this one has 20,000)"
    assert MAX_TERMS == 64


def test_record_search_of_64_words_runs(capsys, root: Path) -> None:
    words = ["students"] * 64
    with time_limit(10):
        status, out, _ = run_cli(capsys, "--record", str(root), "record", "search", *words)
    assert status == 0
    assert out


def test_record_search_students_times_64_is_as_quick_as_once(capsys, root: Path) -> None:
    """``record search students students ...`` (the word 64 times) asks the index for the word
    once, like the browser: 1,000 times took 21.5 s on 200 sessions (a snippet per row, each
    matched against every copy of the word)."""
    base = ["--record", str(root), "record", "search"]
    once = run_cli(capsys, *base, "students")
    assert once[0] == 0
    twice = run_cli(capsys, *base, "students", "students")  # the last word is a prefix
    repeated = run_cli(capsys, *base, *["students"] * 64)
    assert repeated == twice


def test_search_text_keeps_every_word_once_and_the_last_last() -> None:
    assert search_text([]) == ""
    assert search_text(["a", "b", "a", "c"]) == "a b c"
    assert search_text(["x", "y", "x"]) == "x y x"  # x whole, and x as a prefix: as typed
    assert search_text(["x"] * 1000) == "x x"


@pytest.mark.parametrize("query", ["", "   "])
def test_record_search_of_no_word_is_an_error(capsys, root: Path, query: str) -> None:
    """``record search ""`` listed every session, as if no search was asked for."""
    status, out, err = run_cli(capsys, "--record", str(root), "record", "search", query)
    assert (status, out) == (2, "")
    assert one_line(err) == "give a word to search for"


def test_the_browser_searches_the_first_64_words() -> None:
    many = SessionFilter(text="a " * 20000)
    assert many.too_many_words
    assert many.words == ["a"] * MAX_TERMS
    assert many.search == "a a"
    exact = SessionFilter(text=" ".join(f"w{i}" for i in range(MAX_TERMS)))
    assert not exact.too_many_words
    assert exact.search == exact.text


# -- validate ------------------------------------------------------------------------------------


def test_validate_slash_strict_ends_quickly(capsys) -> None:
    """``validate / --strict`` walked every folder of the computer and ran on with no end: a
    folder is now read as the library reads one, its own .toml files only."""
    with time_limit(20):
        status, _, err = run_cli(capsys, "validate", "/", "--strict")
    assert status in (0, 1)
    assert "Traceback" not in err


def test_validate_a_folder_checks_its_own_files_not_its_subfolders(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "protocols"
    (folder / "old").mkdir(parents=True)
    (folder / "tuning.toml").write_bytes((BUNDLED_DIR / "tuning.toml").read_bytes())
    (folder / "old" / "broken.toml").write_text("format = 1\nid = = 2\n", "utf-8")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "broken.toml").write_text("not toml at all [", "utf-8")
    assert run_cli(capsys, "validate", str(folder)) == (0, "", "1 file(s) valid\n")
    # A subfolder named on its own is checked.
    status, out, err = run_cli(capsys, "validate", str(folder), str(folder / "old"))
    assert status == 1
    assert out.startswith(f"{folder / 'old' / 'broken.toml'}:2:6: TOML syntax")
    assert err == "1 of 2 file(s) have problems\n"


def test_validate_an_empty_folder_says_so(capsys, tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "x.toml").write_text("format = 1\n", "utf-8")
    status, out, err = run_cli(capsys, "validate", str(tmp_path / "deep"))
    assert (status, out) == (1, f"{tmp_path / 'deep'}:1:1: no .toml files in this folder\n")
    assert err == "1 of 1 file(s) have problems\n"


# -- empty paths and names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "argument"),
    [
        (["--record", "", "record", "list"], "--record"),
        (["record", "list", "--record", ""], "--record"),
        (["--protocols", "", "list"], "--protocols"),
        (["validate", ""], "PATH"),
        (["show", ""], "ID|PATH"),
        (["run", ""], "ID|PATH"),
        (["preview", ""], "FILE"),
        (["demo", ""], "DIR"),
        (["record", "init", "", "--name", "x"], "DIR"),
        (["record", "show", ""], "SESSION"),
        (["record", "export", ""], "SESSION"),
        (["record", "export", "-o", ""], "-o/--output"),
        (["new", "x", "--from", ""], "--from"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_an_empty_path_is_an_error_not_the_default(capsys, argv: list[str], argument: str) -> None:
    """``--record ""`` silently meant the default record (and an empty path the current
    folder): now it is an error naming the argument."""
    code, out, err = cli_exit(capsys, *argv)
    assert (code, out) == (2, "")
    assert one_line(err).startswith(f"argument {argument}: must not be empty")
