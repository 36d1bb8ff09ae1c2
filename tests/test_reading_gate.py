"""The reading gate: no file in a shared record can take a reader down, hang it or fill memory.

Each test names the reproduction it guards against; the last ones feed the gate and the index
mutants of real files (bundled protocols, demo sessions, a community file).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BUNDLED_DIR, run_cli, time_limit

from protocolrunner.core.base.problems import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_KEY_PARTS,
    FileProblems,
    parse_toml,
    read_toml,
)
from protocolrunner.core.protocol.library import Source, default_sources, load_library
from protocolrunner.core.protocol.validation import validate_document
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record, session_toml
from protocolrunner.core.record.index import SessionIndex, _session_rows
from protocolrunner.core.record.models import Community
from protocolrunner.core.record.scan import scan_sessions


def problem_of(path: Path) -> str:
    with pytest.raises(FileProblems) as info:
        read_toml(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    return str(problem)


@pytest.fixture
def demo(tmp_path: Path) -> Record:
    return write_demo(tmp_path / "record", load_library(default_sources()), sessions=4)


def a_session_file(record: Record) -> Path:
    return record.session_files()[0]


# -- the gate, file by file ----------------------------------------------------------------------


def test_an_array_500_deep_is_a_problem_at_its_line_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("title = 'x'\nx = " + "[" * 500 + "]" * 500 + "\n")
    assert problem_of(path) == (
        f"{path}:2:{5 + MAX_DEPTH}: nests arrays or tables more than {MAX_DEPTH} deep"
    )


def test_inline_tables_nested_deeply_are_refused_too(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "{a = " * 200 + "1" + "}" * 200 + "\n")
    assert "more than 32 deep" in problem_of(path)


def test_nesting_at_the_limit_still_reads(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    data, _ = read_toml(path)
    assert "x" in data


def test_brackets_and_dots_inside_strings_and_comments_do_not_count(tmp_path):
    path = tmp_path / "ok.toml"
    noise = "[{." * 100
    path.write_text(
        f"a = '{noise}'\nb = \"{noise}\"\nc = '''\n{noise}\n'''\n"
        f'd = """\n{noise}\n"""\n# {noise}\ne = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5,'
        " 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]\n"
    )
    data, _ = read_toml(path)
    assert data["a"] == noise and len(data["e"]) == 17


def test_a_long_dotted_key_is_refused_before_the_parser_crawls(tmp_path):
    """'deep' + '.a' * 100000 + ' = 1' ran past 120 s in validate."""
    path = tmp_path / "dotted.toml"
    path.write_text("deep" + ".a" * 100_000 + " = 1\n")
    with time_limit(2):
        message = problem_of(path)
    assert f"has a dotted key of more than {MAX_KEY_PARTS} parts" in message


def test_a_4301_digit_integer_is_a_problem_at_its_line(tmp_path):
    """Python refuses to convert it: a ValueError traceback from validate, show and list."""
    path = tmp_path / "big.toml"
    path.write_text("a = 1\nb = " + "9" * 4301 + "\n")
    assert problem_of(path).startswith(f"{path}:2:5: has a whole number outside")


@pytest.mark.parametrize("value", ["99999999999999999999", "-9223372036854775809", "0x" + "f" * 17])
def test_an_integer_sqlite_cannot_store_is_a_problem(tmp_path, value):
    path = tmp_path / "big.toml"
    path.write_text(f"a = 1\n\nb = {value}\n")
    assert "has a whole number outside -9,223,372,036,854,775,808" in problem_of(path)


def test_the_largest_64_bit_integers_still_read(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("a = 9223372036854775807\nb = -9223372036854775808\n")
    assert read_toml(path)[0] == {"a": 2**63 - 1, "b": -(2**63)}


def test_a_fifo_does_not_hang_the_reader(tmp_path):
    """A FIFO named sessions/2026/x.toml hung record list, home and the browser."""
    path = tmp_path / "x.toml"
    os.mkfifo(path)
    with time_limit(2):
        assert problem_of(path).endswith("is a named pipe (FIFO), not a regular file")


def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path):
    """A symlink to /dev/zero read without limit until MemoryError; validate /dev/zero too."""
    path = tmp_path / "zero.toml"
    path.symlink_to("/dev/zero")
    with time_limit(2):
        assert problem_of(path).endswith("is a device, not a regular file")
        assert problem_of(Path("/dev/zero")).endswith("is a device, not a regular file")


def test_a_file_over_the_size_cap_is_refused_having_read_no_more_than_the_cap(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("a = '" + "x" * MAX_FILE_BYTES + "'\n")
    assert problem_of(path).endswith("is too large for a TOML file (more than 1 MiB)")


def test_links_to_nothing_and_links_that_loop_are_named(tmp_path):
    gone = tmp_path / "gone.toml"
    gone.symlink_to(tmp_path / "moved.toml")
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert problem_of(gone).endswith(f"is a link to nothing ({tmp_path / 'moved.toml'})")
    assert problem_of(loop).endswith("is a link that loops")


# -- nothing silent --------------------------------------------------------------------------


def test_unreadable_folders_broken_links_and_loops_are_named(demo: Record, monkeypatch):
    """An unreadable folder under sessions/, dangling or looping links: their sessions were
    left out with no word to the reader."""
    year = demo.sessions_dir / "2026"
    locked = demo.sessions_dir / "2025"
    locked.mkdir()
    (year / "gone.toml").symlink_to(year / "moved.toml")
    (year / "back-up").symlink_to(demo.sessions_dir)
    real_scandir = os.scandir

    def scandir(path):
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    # Root reads every folder whatever its mode, so the refusal is simulated.
    monkeypatch.setattr(os, "scandir", scandir)
    problems = {Path(p.file).name: p.message for p in demo.load_sessions().problems}
    assert problems == {
        "2025": "cannot read this folder (Permission denied); the sessions inside are not shown",
        "gone.toml": f"is a link to nothing ({year / 'moved.toml'})",
        "back-up": "is a link to a folder already read (a loop?); skipped",
    }
    assert len(demo.load_sessions().sessions) == 4
    with SessionIndex(demo, demo.root / "index.sqlite3") as index:
        found = {Path(p.file).name for p in index.refresh().problems}
    assert found == set(problems)


def test_a_linked_folder_of_sessions_is_read(demo: Record, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    session = a_session_file(demo)
    (elsewhere / session.name.replace(session.stem[-8:], "0000abcd")).write_text(
        session.read_text().replace(session.stem[-8:], "0000abcd")
    )
    (demo.sessions_dir / "linked").symlink_to(elsewhere)
    loaded = demo.load_sessions()
    assert len(loaded.sessions) == 5 and not loaded.problems
    assert len(scan_sessions(demo.sessions_dir).files) == 5


# -- one bad file never takes the record down -----------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # Each of these ended record list/search/show/export in a traceback.
        (("planned_seconds = ", "planned_seconds = 99999999999999999999 #"), "whole number"),
        (("actual_seconds = ", "actual_seconds = 9223372036854775807 #"), "must be at most"),
        (("reflection = ", "deep = " + "[" * 600 + "]" * 600 + "\nreflection = "), "deep"),
    ],
)
def test_one_bad_session_file_is_named_and_the_others_still_list(demo, capsys, edit, expected):
    path = a_session_file(demo)
    path.write_text(path.read_text().replace(*edit))
    status, out, err = run_cli(capsys, "--record", str(demo.root), "record", "list")
    assert status == 0
    assert len(out.strip().splitlines()) >= 3, out  # the three other sessions
    lines = [line for line in err.splitlines() if str(path) in line]
    assert lines and all(expected in line for line in lines)
    status, out, err = run_cli(capsys, "--record", str(demo.root), "record", "export")
    assert status == 0 and str(path) in err


def test_a_value_the_index_cannot_store_makes_one_session_a_problem(demo, tmp_path):
    """The model bounds the seconds, but the index must not trust that: a session it cannot
    store is a problem of its own, and the refresh goes on."""
    index = SessionIndex(demo, tmp_path / "index.sqlite3")
    path, session = demo.load_sessions().sessions[0]
    broken = session.model_copy(update={"reflection": 2**70})
    db = index._connect()
    db.execute("BEGIN")
    problem = index._insert_one(db, _session_rows(str(path), broken))
    db.execute("COMMIT")
    assert problem is not None and problem.file == str(path)
    assert "cannot be added to the search index" in problem.message
    assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM people").fetchone() == (0,)
    index.close()


def test_with_no_room_for_the_index_the_record_is_read_without_it(demo, tmp_path):
    """A cache folder that cannot be written: home exited with 'database or disk is full'."""
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    with SessionIndex(demo, blocker / "index.sqlite3") as index:
        stats = index.refresh()
        assert index.degraded and "the record is read without it" in index.degraded
        assert stats.warning == index.degraded and not stats.problems
        assert len(index.query()) == 4


def test_a_full_disk_during_the_refresh_falls_back_to_memory(demo, tmp_path, monkeypatch):
    index = SessionIndex(demo, tmp_path / "index.sqlite3")
    real = SessionIndex._insert

    def insert(db, rows):
        if db.execute("PRAGMA database_list").fetchone()[2]:  # a file, not memory
            raise sqlite3.OperationalError("database or disk is full")
        real(db, rows)

    monkeypatch.setattr(SessionIndex, "_insert", staticmethod(insert))
    stats = index.refresh()
    assert "database or disk is full" in (index.degraded or "")
    assert stats.warning == index.degraded and not stats.problems
    assert [row.id for row in index.query()] == [s.id for _, s in demo.load_sessions().sessions]
    index.close()


def test_a_deep_community_file_is_a_problem_not_a_crash(demo, capsys):
    """community.toml deeply nested: record export and the app crashed."""
    demo.community_path.write_text("name = 'x'\ngoals = " + "[" * 600 + "]" * 600 + "\n")
    with pytest.raises(FileProblems):
        demo.load_community()
    status, _, err = run_cli(capsys, "--record", str(demo.root), "record", "export")
    assert status == 0, err


def test_a_deep_protocol_in_the_record_is_skipped_and_the_rest_load(demo):
    """In the record's protocols/ folder it stopped the app from starting (WorkerFailed)."""
    (demo.protocols_dir / "deep.toml").write_text("x = " + "[" * 600 + "]" * 600)
    library = load_library(default_sources(demo.root))
    assert len(library) == 9
    assert [Path(p.file).name for p in library.problems] == ["deep.toml"]


def test_validate_reports_every_file_when_one_is_hostile(tmp_path, capsys):
    """In a multi-file validate every other file's result was lost."""
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 600 + "]" * 600)
    big = tmp_path / "big.toml"
    big.write_text("x = " + "1" * 4301)
    status, out, err = run_cli(
        capsys, "validate", str(deep), str(BUNDLED_DIR / "tuning.toml"), str(big)
    )
    assert status == 1
    assert f"{deep}:1:37: nests arrays" in out
    assert f"{big}:1:5: has a whole number" in out
    assert "Traceback" not in out + err


# -- fuzzing ---------------------------------------------------------------------------------


def _seeds() -> list[tuple[str, str]]:
    """(kind, text) of real files: bundled protocols, demo sessions, a community file."""
    import tempfile

    seeds = [("protocol", p.read_text()) for p in sorted(BUNDLED_DIR.glob("*.toml"))]
    with tempfile.TemporaryDirectory() as folder:
        record = write_demo(Path(folder) / "r", load_library(default_sources()), sessions=6)
        seeds += [("session", p.read_text()) for p in record.session_files()]
        seeds.append(("community", record.community_path.read_text()))
    return seeds


SEEDS = _seeds()
AWKWARD = [
    "[" * 40,
    "{a=" * 40,
    ".a" * 40,
    "9" * 25,
    "9" * 4400,
    "-9223372036854775809",
    '"""',
    "'''",
    "\x00",
    "\x1b[2J",
    "\ufeff",
    "\r\n",
    "= [",
    "\n[[steps]]\n",
    "inf",
    "1979-05-27T07:32:00Z",
    "true",
    '"\\u0000"',
]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, str]:
    kind, text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "swap", "bytes"]))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)) :]
        elif action == "duplicate":
            piece = text[at : at + draw(st.integers(1, 400))]
            text = text[:at] + piece * draw(st.integers(2, 50)) + text[at:]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(AWKWARD)) + text[at:]
        elif action == "swap":
            # A value of one type where another was: a number for a string, a table for a list.
            old = draw(st.sampled_from(['= "', "= [", "= 1", "= true", "= 20"]))
            new = draw(st.sampled_from(["= 1 #", "= {} #", "= [[[1]]] #", '= "x" #', "= -1 #"]))
            text = text.replace(old, new, draw(st.integers(1, 3)))
        else:
            text = text[:at] + draw(st.text(max_size=30)) + text[at:]
    return kind, text


FUZZ_EXAMPLES = int(os.environ.get("PROTOCOLRUNNER_FUZZ_EXAMPLES", "300"))
"""300 in every run; a longer campaign: PROTOCOLRUNNER_FUZZ_EXAMPLES=50000 pytest -k mutant."""


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutant=mutants())
def test_no_mutant_of_a_real_file_gets_past_the_gate_as_an_exception(tmp_path_factory, mutant):
    """Every mutant either loads or is refused with problems that name its file; sessions that
    load also go into the index without failing the refresh."""
    kind, text = mutant
    folder = tmp_path_factory.mktemp("fuzz")
    if kind == "session":
        record = Record.init(folder / "record", Community(name="Fuzz"))
        path = record.sessions_dir / "2026" / "2026-01-01-x-0000abcd.toml"
        path.parent.mkdir(parents=True)
    else:
        path = folder / f"{kind}.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with time_limit(10):
        if kind == "protocol":
            library = load_library([Source("--protocols", folder)])
            assert len(library) + len({p.file for p in library.problems}) == 1
            assert all(p.file == str(path) for p in library.problems)
        elif kind == "community":
            try:
                data, source = read_toml(path)
                validate_document(Community, data, source, str(path))
            except FileProblems as exc:
                assert exc.problems and all(p.file == str(path) for p in exc.problems)
        else:
            loaded = record.load_sessions()
            assert len(loaded.sessions) + len({p.file for p in loaded.problems}) == 1
            assert all(p.file == str(path) for p in loaded.problems)
            with SessionIndex(record, folder / "index.sqlite3") as index:
                stats = index.refresh()
                assert len(index.query()) == len(loaded.sessions)
                assert {p.file for p in stats.problems} == {p.file for p in loaded.problems}


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="[]{}=,.\"'#\n ax1_-:", max_size=300))
def test_the_structure_scan_never_raises_and_agrees_with_the_parser_on_depth(text):
    """Random TOML-ish punctuation: the gate answers with a value or FileProblems, nothing
    else, and never lets the parser recurse past Python's limit."""
    try:
        parse_toml(text, "x.toml")
    except FileProblems as exc:
        assert all(p.file == "x.toml" for p in exc.problems)


def test_saved_sessions_read_back_through_the_gate(demo):
    for path, session in demo.load_sessions().sessions:
        assert path.read_text() == session_toml(session)
        assert session.started.date() <= date(2026, 12, 31)


def test_the_authoring_guide_states_the_limits_the_gate_applies():
    guide = (BUNDLED_DIR.parent / "docs" / "authoring.md").read_text()
    section = guide.split("### Limits on any file")[1].split("\n## ")[0]
    assert f"at most {MAX_FILE_BYTES // 2**20} MiB" in section
    assert f"at most {MAX_DEPTH} deep" in section
    assert f"at most {MAX_KEY_PARTS} parts" in section


def test_without_room_for_the_index_a_second_reader_still_finds_every_session(demo, tmp_path):
    """The browser refreshes in a thread, then queries with an index of its own."""
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    with SessionIndex(demo, blocker / "index.sqlite3") as first:
        first.refresh()
    with SessionIndex(demo, blocker / "index.sqlite3") as second:
        assert second.count() == 4 and second.degraded
