"""The community record (and the journal): files on disk, written safely, read forgivingly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pydantic
import pytest

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.record.folder import (
    LOCK_FILE,
    Record,
    RecordError,
    file_lock,
    session_file_name,
    session_record,
    session_toml,
)
from protocolrunner.core.record.models import (
    Community,
    Member,
    RecordedAction,
    RecordedProtocol,
    RoleHolders,
    SessionRecord,
)
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import Session, State
from protocolrunner.core.session.journal import Journal, read_entry
from protocolrunner.core.session.roles import PastSession

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "protocols"
CET = timezone(timedelta(hours=1))

CLARIFYING_NOTE = 'Q1: how many?\nQ2: """which""" ones?\n[bold]x[/] [/ and \\n literally'
DISCUSSION_NOTE = "Élodie — “quotes” 🙂 ‮rtl‬"
TAKEAWAYS_NOTE = "Try exit tickets\n  - with a timer\n"
REFLECTION = "Good session.\n\nNext time: Tuning [i]first[/i]"
FOCUS = "How can I get [b]quiet[/b] students to talk?"
DILEMMA = "Three classes.\nTried pairs.\n"


def consultancy_entry():
    return load_protocol_file(BUNDLED / "consultancy.toml")


def run_consultancy(clock: FakeClock | None = None, session_id: str = "c0ffee01") -> Session:
    """A whole Consultancy with notes, an extension, a skipped step, actions and a reflection."""
    clock = clock or FakeClock()
    session = Session(
        consultancy_entry().protocol,
        attendees=["Ann", "Bea", "Cal", "Dev", "Eli"],
        roles={"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev", "Eli"]},
        setup={"focus": FOCUS, "dilemma": DILEMMA},
        clock=clock,
        session_id=session_id,
        community="Maths CoP",
    )
    session.start()
    clock.advance(600)
    session.next()
    session.extend(60)
    clock.advance(250.4)
    session.set_note(1, "clarifying-questions", CLARIFYING_NOTE)
    session.goto(3)  # probing is skipped
    clock.advance(900)
    session.set_note(3, "discussion-points", DISCUSSION_NOTE)
    session.next()
    clock.advance(299.6)
    session.set_note(4, "takeaways", TAKEAWAYS_NOTE)
    session.next()
    clock.advance(120)
    session.add_action("Try exit tickets", "Ann")
    session.add_action("Share the rubric")
    session.update_action(1, done=True)
    session.set_reflection(REFLECTION)
    session.end()
    return session


def make_record(
    n: int,
    *,
    day: date = date(2026, 10, 1),
    protocol: str = "consultancy",
    presenter: str = "Ann",
) -> SessionRecord:
    started = datetime(day.year, day.month, day.day, 16, 0, tzinfo=CET)
    return SessionRecord(
        id=f"{n:08x}",
        status="completed",
        started=started,
        ended=started + timedelta(minutes=50),
        attendees=[presenter, "Bea", "Cal"],
        protocol=RecordedProtocol(id=protocol, title=protocol.title()),
        roles=[
            RoleHolders(id="presenter", name="Presenter", people=[presenter]),
            RoleHolders(id="consultants", name="Consultants", people=["Bea", "Cal"]),
        ],
        actions=[RecordedAction(text="Try it", owner=presenter)],
    )


@pytest.fixture
def record(tmp_path: Path) -> Record:
    return Record.init(tmp_path / "record", Community(name="Maths CoP"))


# -- init / open -------------------------------------------------------------------------------


def test_init_creates_the_layout(tmp_path: Path) -> None:
    community = Community(
        name="Maths CoP",
        purpose="Better questions",
        norms=["Assume good intent"],
        members=[Member(name="Ann", note="Grade 7")],
    )
    rec = Record.init(tmp_path / "r", community)
    assert rec.exists()
    assert rec.sessions_dir.is_dir()
    assert rec.protocols_dir.is_dir()
    assert rec.load_community() == community
    data = tomllib.loads(rec.community_path.read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["name"] == "Maths CoP"
    assert data["members"] == [{"name": "Ann", "note": "Grade 7"}]


def test_init_refuses_to_overwrite(record: Record) -> None:
    before = record.community_path.read_bytes()
    with pytest.raises(RecordError, match="already exists"):
        Record.init(record.root, Community(name="Other"))
    assert record.community_path.read_bytes() == before


def test_open_creates_a_working_record_on_first_use(tmp_path: Path) -> None:
    rec = Record.open(tmp_path / "new")
    assert rec.exists()
    assert rec.load_community().name == "Our community"
    assert rec.load_sessions().sessions == []
    assert rec.history() == []


def test_open_keeps_an_existing_record(record: Record) -> None:
    before = record.community_path.read_bytes()
    again = Record.open(record.root)
    assert again.load_community().name == "Maths CoP"
    assert record.community_path.read_bytes() == before


def test_open_without_create_refuses_a_non_record(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="not a community record"):
        Record.open(tmp_path, create=False)
    assert not (tmp_path / "community.toml").exists()


# -- save and load a real session ----------------------------------------------------------


def test_saved_session_toml_field_by_field(record: Record) -> None:
    entry = consultancy_entry()
    session = run_consultancy()
    path = record.save_session(session_record(session, entry.sha256))

    assert path == record.sessions_dir / "2026" / "2026-10-01-consultancy-c0ffee01.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)

    assert data["format"] == 1
    assert data["id"] == "c0ffee01"
    assert data["community"] == "Maths CoP"
    assert data["status"] == "completed"
    assert data["started"] == datetime(2026, 10, 1, 15, 30, tzinfo=CET)
    assert data["started"].utcoffset() == timedelta(hours=1)
    assert data["ended"] == datetime(2026, 10, 1, 16, 6, 10, tzinfo=CET)
    assert data["ended"].utcoffset() == timedelta(hours=1)
    assert data["attendees"] == ["Ann", "Bea", "Cal", "Dev", "Eli"]
    assert data["protocol"] == {
        "id": "consultancy",
        "title": "Consultancy",
        "version": "1.0",
        "sha256": entry.sha256,
    }
    assert len(entry.sha256) == 64
    assert data["setup"] == [
        {"id": "focus", "label": "Focusing question", "answer": FOCUS},
        {"id": "dilemma", "label": "The dilemma in brief", "answer": DILEMMA},
    ]
    assert data["roles"] == [
        {"id": "presenter", "name": "Presenter", "people": ["Ann"]},
        {"id": "facilitator", "name": "Facilitator", "people": ["Bea"]},
        {"id": "consultants", "name": "Consultants", "people": ["Cal", "Dev", "Eli"]},
    ]
    steps = data["steps"]
    assert [s["id"] for s in steps] == [
        "overview",
        "clarifying",
        "probing",
        "discussion",
        "reflection",
        "debrief",
    ]
    assert [s["planned_seconds"] for s in steps] == [600, 300, 600, 900, 300, 300]
    assert [s["actual_seconds"] for s in steps] == [600, 250, 0, 900, 300, 120]
    assert [s["extended_seconds"] for s in steps] == [0, 60, 0, 0, 0, 0]
    assert [s["skipped"] for s in steps] == [False, False, True, False, False, False]
    assert steps[0]["title"] == "Presenter's overview"
    assert steps[0]["speakers"] == ["presenter"]
    assert steps[0]["silent"] == ["consultants"]
    assert steps[0]["notes"] == []
    assert steps[1]["notes"] == [
        {
            "id": "clarifying-questions",
            "label": "Clarifying questions asked",
            "text": CLARIFYING_NOTE,
        }
    ]
    assert steps[2]["notes"] == [
        {"id": "probing-questions", "label": "Probing questions asked", "text": ""}
    ]
    assert steps[3]["notes"][0]["text"] == DISCUSSION_NOTE
    assert steps[4]["notes"][0]["text"] == TAKEAWAYS_NOTE
    assert steps[5]["notes"][0]["text"] == ""
    assert data["actions"] == [
        {"text": "Try exit tickets", "owner": "Ann", "done": False},
        {"text": "Share the rubric", "owner": "", "done": True},
    ]
    assert data["reflection"] == REFLECTION
    assert set(data) == {
        "format",
        "id",
        "community",
        "status",
        "started",
        "ended",
        "attendees",
        "reflection",
        "protocol",
        "setup",
        "roles",
        "steps",
        "actions",
    }


def test_saved_notes_stay_human_readable(record: Record) -> None:
    path = record.save_session(session_record(run_consultancy()))
    text = path.read_text(encoding="utf-8")
    # Multi-line notes are written as multi-line strings, not one long escaped line.
    assert "Try exit tickets\n  - with a timer\n" in text
    assert "Élodie — “quotes” 🙂" in text


def test_save_load_round_trip(record: Record) -> None:
    original = session_record(run_consultancy(), "ab" * 32)
    path = record.save_session(original)
    loaded = record.load_sessions()
    assert loaded.problems == []
    assert loaded.sessions == [(path, original)]
    assert record.load_session(path) == original


def test_ended_early_status(record: Record) -> None:
    clock = FakeClock()
    session = run_consultancy(clock)
    early = Session(
        session.protocol,
        attendees=session.attendees,
        roles=session.roles,
        clock=clock,
        session_id="0000beef",
    )
    early.start()
    clock.advance(61)
    early.end()
    rec = session_record(early)
    assert rec.status == "ended-early"
    assert [s.skipped for s in rec.steps] == [False, True, True, True, True, True]
    path = record.save_session(rec)
    assert tomllib.loads(path.read_text(encoding="utf-8"))["status"] == "ended-early"


def test_file_name_uses_the_sessions_own_date_and_year(record: Record) -> None:
    rec = make_record(7, day=date(2025, 12, 31), protocol="tuning")
    assert session_file_name(rec) == "2025-12-31-tuning-00000007.toml"
    path = record.save_session(rec)
    assert path.relative_to(record.root).as_posix() == (
        "sessions/2025/2025-12-31-tuning-00000007.toml"
    )


def test_save_session_never_overwrites(record: Record) -> None:
    first = make_record(1)
    path = record.save_session(first)
    before = path.read_bytes()
    second = first.model_copy(update={"reflection": "a different meeting"})
    with pytest.raises(FileExistsError):
        record.save_session(second)
    assert path.read_bytes() == before
    # No temporary files are left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_session_record_refuses_bad_ids() -> None:
    with pytest.raises(pydantic.ValidationError):
        make_record(1).model_validate({**make_record(1).model_dump(), "id": "../../x"})


def test_load_sessions_newest_first_and_history(record: Record) -> None:
    record.save_session(make_record(1, day=date(2026, 9, 1), presenter="Ann"))
    record.save_session(make_record(2, day=date(2026, 10, 3), presenter="Bea"))
    record.save_session(make_record(3, day=date(2025, 5, 20), presenter="Cal"))
    loaded = record.load_sessions()
    assert [rec.id for _, rec in loaded.sessions] == ["00000002", "00000001", "00000003"]
    history = record.history()
    assert history[0] == PastSession(
        date(2026, 10, 3), {"presenter": ["Bea"], "consultants": ["Bea", "Cal"]}
    )
    assert [p.when for p in history] == [date(2026, 10, 3), date(2026, 9, 1), date(2025, 5, 20)]


def test_a_record_is_small_up_to_a_number_of_session_files(record: Record) -> None:
    assert record.is_small(limit=0)  # no sessions yet
    record.save_session(make_record(1, day=date(2026, 9, 1)))
    record.save_session(make_record(2, day=date(2025, 5, 20)))
    record.save_session(make_record(3, day=date(2025, 6, 2)))
    (record.sessions_dir / "2026" / "README.txt").write_text("not a session")
    (record.sessions_dir / ".trash").mkdir()
    (record.sessions_dir / ".trash" / "old.toml").write_text("hidden, not a session")
    (record.sessions_dir / "notes.toml").write_text("a file, not a year's folder")
    assert record.is_small(limit=3)
    assert not record.is_small(limit=2)
    (record.sessions_dir / "2025").chmod(0)  # unreadable: counted as nothing, never an error
    try:
        assert record.is_small(limit=1) is (os.geteuid() != 0)
    finally:
        (record.sessions_dir / "2025").chmod(0o755)


def test_hidden_files_are_not_sessions(record: Record) -> None:
    record.save_session(make_record(1))
    year = record.sessions_dir / "2026"
    (year / ".2026-10-01-consultancy-00000001.toml.abc.tmp").write_text("junk")
    (year / ".hidden.toml").write_text("junk")
    (year / "README.txt").write_text("not toml")
    assert [p.name for p in record.session_files()] == ["2026-10-01-consultancy-00000001.toml"]
    assert record.load_sessions().problems == []


# -- updates under the lock ------------------------------------------------------------------


def test_a_year_folder_linked_outside_the_record_is_refused(record: Record, tmp_path: Path) -> None:
    """A shared folder may hold a link someone made; nothing is ever written through it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    record.sessions_dir.mkdir(parents=True, exist_ok=True)
    (record.sessions_dir / "2026").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(RecordError, match="outside the record"):
        record.save_session(make_record(1))
    assert list(elsewhere.iterdir()) == []


def test_update_community_changes_the_file_and_rereads(record: Record) -> None:
    lock = record.root / LOCK_FILE
    Record(record.root).update_community(
        lambda c: c.model_copy(update={"norms": [*c.norms, "Phones away"]})
    )
    seen: list[list[str]] = []

    def add_member(c: Community) -> Community:
        assert lock.exists()
        seen.append(list(c.norms))
        return c.model_copy(update={"members": [*c.members, Member(name="Ann")]})

    updated = record.update_community(add_member)
    assert seen == [["Phones away"]]
    assert not lock.exists()
    assert updated.norms == ["Phones away"]
    assert updated.member_names == ["Ann"]
    data = tomllib.loads(record.community_path.read_text(encoding="utf-8"))
    assert data["norms"] == ["Phones away"]
    assert data["members"] == [{"name": "Ann", "note": ""}]


def test_update_community_refuses_duplicate_members(record: Record) -> None:
    before = record.community_path.read_bytes()

    def twice(c: Community) -> Community:
        return c.model_copy(update={"members": [Member(name="Ann"), Member(name="Ann")]})

    with pytest.raises(pydantic.ValidationError, match="listed twice"):
        record.update_community(twice)
    assert record.community_path.read_bytes() == before


def test_lock_held_by_someone_else_times_out(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text("12345\n")
    with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.05):
        pass
    assert lock.read_text() == "12345\n"  # not ours to remove


def test_stale_lock_is_taken_over(record: Record) -> None:
    lock = record.root / LOCK_FILE
    lock.write_text("99999\n")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    record.update_community(lambda c: c.model_copy(update={"cadence": "Tuesdays"}))
    assert record.load_community().cadence == "Tuesdays"
    assert not lock.exists()


# -- broken files --------------------------------------------------------------------------

VALID_SESSION = """\
format = 1
id = "0000000b"
status = "completed"
started = 2026-10-01T15:30:00+01:00
ended = 2026-10-01T16:20:00+01:00
attendees = ["Ann", "Bea"]

[protocol]
id = "consultancy"
title = "Consultancy"
"""

BROKEN: dict[str, tuple[bytes, int | None, str]] = {
    # name: (content, line or None when no line applies, fragment of the message)
    "syntax": (VALID_SESSION.replace('"completed"', '"completed').encode(), 3, "TOML syntax"),
    "missing-key": (
        VALID_SESSION.replace('status = "completed"\n', "").encode(),
        None,
        "missing required key 'status'",
    ),
    "newer-format": (
        VALID_SESSION.replace("format = 1", "format = 99").encode(),
        None,
        "uses format 99, newer than this protocolrunner reads",
    ),
    "wrong-type": (
        VALID_SESSION.replace('["Ann", "Bea"]', '"Ann"').encode(),
        6,
        "should be a list",
    ),
    "ended-before-started": (
        VALID_SESSION.replace("16:20", "14:20").encode(),
        5,
        "ends before it starts",
    ),
    "not-utf8": (
        VALID_SESSION.replace('"Bea"', '"B\udcffa"').encode("utf-8", "surrogateescape"),
        6,
        "is not UTF-8",
    ),
    "empty": (b"", None, "is empty"),
    "unknown-key": (
        VALID_SESSION.replace("\n[protocol]", 'colour = "red"\n\n[protocol]').encode(),
        7,
        "unknown key 'colour'",
    ),
    "naive-time": (
        VALID_SESSION.replace("16:20:00+01:00", "16:20:00").encode(),
        5,
        "timezone",
    ),
    "binary": (VALID_SESSION.encode() + b"\x00\x01", None, "binary"),
    "bad-nested-type": (
        VALID_SESSION.replace('title = "Consultancy"', "title = 5").encode(),
        10,
        "should be text",
    ),
    "bad-status": (
        VALID_SESSION.replace('"completed"', '"done"').encode(),
        3,
        "should be 'completed' or 'ended-early'",
    ),
}


def test_broken_files_are_skipped_with_one_problem_each(record: Record) -> None:
    year = record.sessions_dir / "2026"
    year.mkdir()
    for name, (content, _, _) in BROKEN.items():
        (year / f"{name}.toml").write_bytes(content)
    (year / "zz-valid.toml").write_text(VALID_SESSION, encoding="utf-8")
    good = record.save_session(make_record(42))

    loaded = record.load_sessions()
    assert sorted(path.name for path, _ in loaded.sessions) == sorted(["zz-valid.toml", good.name])
    by_file: dict[str, list[Any]] = {}
    for problem in loaded.problems:
        by_file.setdefault(Path(problem.file).name, []).append(problem)
    assert sorted(by_file) == sorted(f"{name}.toml" for name in BROKEN)
    for name, (_, line, fragment) in BROKEN.items():
        problems = by_file[f"{name}.toml"]
        assert len(problems) == 1, (name, problems)
        problem = problems[0]
        assert Path(problem.file) == year / f"{name}.toml"
        assert fragment in problem.message, (name, problem)
        if line is not None:
            assert problem.line == line, (name, problem)
        assert str(problem).startswith(f"{year / name}.toml:{problem.line}:")


def test_broken_file_details(record: Record) -> None:
    year = record.sessions_dir / "2026"
    year.mkdir()
    for name in ("not-utf8", "unknown-key", "ended-before-started"):
        (year / f"{name}.toml").write_bytes(BROKEN[name][0])
    problems = {Path(p.file).stem: p for p in record.load_sessions().problems}
    assert (problems["not-utf8"].line, problems["not-utf8"].col) == (6, 23)
    assert problems["unknown-key"].key == "colour"
    assert problems["ended-before-started"].key == "ended"


def test_a_folder_named_like_a_session_is_a_problem_not_a_crash(record: Record) -> None:
    (record.sessions_dir / "2026" / "odd.toml").mkdir(parents=True)
    record.save_session(make_record(1))
    loaded = record.load_sessions()
    assert len(loaded.sessions) == 1
    assert [p.message for p in loaded.problems] == ["is a folder, not a file"]


def test_line_endings_in_notes_are_kept_as_line_breaks(record: Record) -> None:
    # TOML multi-line strings normalise CRLF to LF (and Textual's editor does the same as you
    # type), so a pasted Windows note keeps its line breaks, as LF. Every other character
    # survives exactly; see the round-trip tests above.
    clock = FakeClock()
    session = run_consultancy(clock)
    session.runs[1].notes["clarifying-questions"] = "first\r\nsecond\n\tthird"
    path = record.save_session(session_record(session))
    assert record.load_session(path).steps[1].notes[0].text == "first\nsecond\n\tthird"


# -- processes -----------------------------------------------------------------------------

SAVER = """\
import sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from protocolrunner.core.record.models import RecordedProtocol, RoleHolders, SessionRecord
from protocolrunner.core.record.folder import Record

root, prefix, go, count = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
record = Record.open(root)
tz = timezone(timedelta(hours=1))
saved = clashes = 0
for n in range(count):
    started = datetime(2026, 10, 1, 16, 0, tzinfo=tz) + timedelta(minutes=n)
    rec = SessionRecord(
        id=f"{prefix}{n:07x}", status="completed", started=started,
        ended=started + timedelta(minutes=50), attendees=["Ann", "Bea"],
        protocol=RecordedProtocol(id="consultancy", title="Consultancy"),
        roles=[RoleHolders(id="presenter", name="Presenter", people=["Ann"])],
        reflection=f"written by {sys.argv[5]}",
    )
    try:
        record.save_session(rec)
        saved += 1
    except FileExistsError:
        clashes += 1
    record.update_community(
        lambda c: c.model_copy(update={"norms": [*c.norms, f"{sys.argv[5]}-{n}"]})
    )
print(saved, clashes, flush=True)
"""


def _child_env() -> dict[str, str]:
    """The test's environment (temporary user folders included), importing this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _run_savers(tmp_path: Path, prefixes: list[str], count: int) -> list[tuple[int, int]]:
    root = tmp_path / "shared-record"  # does not exist yet: both processes create it at once
    go = tmp_path / "go"
    script = tmp_path / "saver.py"
    script.write_text(SAVER, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(root), prefix, str(go), str(count), f"p{k}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=_child_env(),
        )
        for k, prefix in enumerate(prefixes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        go.write_text("go")
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            saved, clashes = map(int, out.split())
            results.append((saved, clashes))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_two_processes_save_at_once(tmp_path: Path) -> None:
    results = _run_savers(tmp_path, ["a", "b"], 100)
    assert results == [(100, 0), (100, 0)]
    record = Record(tmp_path / "shared-record")
    loaded = record.load_sessions()
    assert loaded.problems == []
    assert len(loaded.sessions) == 200
    assert len({rec.id for _, rec in loaded.sessions}) == 200
    assert len(record.session_files()) == 200
    leftovers = [p for p in record.root.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    # The community file was created once and no update was lost under the lock.
    community = record.load_community()
    assert community.name == "Our community"
    assert sorted(community.norms) == sorted(f"p{k}-{n}" for k in range(2) for n in range(100))


@pytest.mark.slow
def test_two_processes_saving_the_same_sessions_never_overwrite(tmp_path: Path) -> None:
    results = _run_savers(tmp_path, ["c", "c"], 100)
    assert sum(saved for saved, _ in results) == 100
    assert sum(clashes for _, clashes in results) == 100
    loaded = Record(tmp_path / "shared-record").load_sessions()
    assert loaded.problems == []
    assert len(loaded.sessions) == 100
    # Each file is whole, written entirely by one process or the other.
    writers = {rec.reflection for _, rec in loaded.sessions}
    assert writers <= {"written by p0", "written by p1"}


JOURNAL_WRITER = """\
import sys, time
from pathlib import Path
from protocolrunner.core.session.engine import Session
from protocolrunner.core.session.journal import Journal
from protocolrunner.core.protocol.library import load_protocol_file

folder, protocol_file = Path(sys.argv[1]), Path(sys.argv[2])
protocol = load_protocol_file(protocol_file).protocol
session = Session(
    protocol,
    attendees=["Ann", "Bea", "Cal", "Dev"],
    roles={"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]},
    session_id="5e551011",
)
journal = Journal(folder)
session.start()
session.goto(1)
journal.save(session, force=True)
i = 0
while True:
    if i == 10:
        session.goto(2)
        journal.save(session, force=True)
    session.set_note(1, "clarifying-questions", f"note {i}")
    journal.save(session)
    print(i, flush=True)
    i += 1
    time.sleep(0.05)
"""


@pytest.mark.slow
def test_journal_survives_sigkill(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    script = tmp_path / "writer.py"
    script.write_text(JOURNAL_WRITER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(folder), str(BUNDLED / "consultancy.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=_child_env(),
    )
    seen: list[tuple[int, float]] = []
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer died"
            i = int(line)
            seen.append((i, time.monotonic()))
            if i >= 60:
                break
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    safe = max(i for i, at in seen if at <= killed_at - 2.0)

    entries, problems = Journal(folder).pending()
    assert problems == []
    assert len(entries) == 1
    entry = entries[0]
    assert entry.session_id == "5e551011"
    assert entry.protocol_title == "Consultancy"
    restored = entry.restore(FakeClock())
    text = restored.note(1, "clarifying-questions")
    assert text.startswith("note ")
    number = int(text.removeprefix("note "))
    assert safe <= number <= seen[-1][0] + 1
    assert restored.state is State.PAUSED
    assert restored.index == 2
    assert restored.events[-1].kind == "pause"
    assert restored.elapsed(2) > 0


# -- the journal -------------------------------------------------------------------------------


def journal_session(clock: FakeClock, session_id: str = "1234abcd") -> Session:
    return Session(
        consultancy_entry().protocol,
        attendees=["Ann", "Bea", "Cal", "Dev"],
        roles={"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]},
        clock=clock,
        session_id=session_id,
    )


def test_journal_save_interval_and_force(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = Journal(tmp_path / "j", clock, interval=1.0, time_interval=10.0)
    session = journal_session(clock)
    assert journal.save(session) is True  # first save
    assert journal.save(session) is False  # nothing changed
    session.set_note(1, "clarifying-questions", "x")
    assert journal.save(session) is False  # changed, but too soon
    clock.advance(1.0)
    assert journal.save(session) is True
    clock.advance(5)
    assert journal.save(session) is False  # not running, nothing changed
    session.start()
    assert journal.save(session) is True
    clock.advance(0.5)
    assert journal.save(session) is False  # running counts as a change, but too soon
    assert journal.save(session, force=True) is True
    clock.advance(1.0)
    assert journal.save(session) is False  # only time ran: its own, longer interval
    session.set_note(1, "clarifying-questions", "y")
    assert journal.save(session) is True  # a note: the short interval, already passed
    clock.advance(9.5)
    assert journal.save(session) is False
    clock.advance(0.5)
    assert journal.save(session) is True  # running: time itself is a change
    data = json.loads(journal.path_for("1234abcd").read_text(encoding="utf-8"))
    # The running step is saved as its deadline; read back, it has run 11.5 s.
    assert read_entry(journal.path_for("1234abcd")).restore(clock).elapsed(0) == 11.5
    assert data["session"]["runs"][1]["notes"] == {"clarifying-questions": "y"}


def test_journal_pending_and_read_entry(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = Journal(tmp_path / "j", clock)
    first = journal_session(clock, "aaaa0001")
    first.start()
    journal.save(first, record=tmp_path / "rec", protocol_sha256="f" * 64)
    clock.advance(60)
    second = journal_session(clock, "bbbb0002")
    second.set_note(1, "clarifying-questions", "née ☕")
    journal.save(second)

    entries, problems = journal.pending()
    assert problems == []
    assert [e.session_id for e in entries] == ["bbbb0002", "aaaa0001"]  # newest first
    older = entries[1]
    assert older.path == journal.path_for("aaaa0001")
    assert older.protocol_title == "Consultancy"
    assert older.record == str(tmp_path / "rec")
    assert older.protocol_sha256 == "f" * 64
    assert older.saved_at == FakeClock.DEFAULT_START
    assert read_entry(older.path).session_id == "aaaa0001"
    assert entries[0].restore(clock).note(1, "clarifying-questions") == "née ☕"

    journal.discard("aaaa0001")
    assert not journal.path_for("aaaa0001").exists()
    journal.discard("aaaa0001")  # twice is fine
    assert [e.session_id for e in journal.pending()[0]] == ["bbbb0002"]


def test_journal_default_folder_is_in_the_state_dir(isolated_user_dirs: Path) -> None:
    journal = Journal()
    assert journal.folder == isolated_user_dirs / "state" / "protocolrunner" / "journal"
    assert journal.pending() == ([], [])


def test_journal_discard_lets_the_next_save_write(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = Journal(tmp_path / "j", clock)
    session = journal_session(clock)
    assert journal.save(session)
    journal.discard(session.id)
    assert journal.save(session) is True
    assert journal.path_for(session.id).exists()


def _good_journal(tmp_path: Path) -> dict[str, Any]:
    clock = FakeClock()
    journal = Journal(tmp_path / "j", clock)
    session = journal_session(clock, "0000aaaa")
    session.start()
    journal.save(session)
    return json.loads(journal.path_for("0000aaaa").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"format": 1, "session": {"id": "x"',  # cut short
        b"\xff\xfe not utf-8",
        b'{"format": 2, "session": {}}',
        b'{"format": 1}',
    ],
)
def test_unreadable_journal_is_a_problem(tmp_path: Path, content: bytes) -> None:
    _good_journal(tmp_path)
    bad = tmp_path / "j" / "broken.json"
    bad.write_bytes(content)
    entries, problems = Journal(tmp_path / "j").pending()
    assert [e.session_id for e in entries] == ["0000aaaa"]
    assert len(problems) == 1
    assert problems[0].file == str(bad)
    assert problems[0].message.startswith("unreadable journal: ")


def _pending_with(tmp_path: Path, mutate: Any) -> tuple[list[Any], list[Any]]:
    data = _good_journal(tmp_path)
    changed = mutate(data)
    (tmp_path / "j" / "broken.json").write_text(
        json.dumps(data if changed is None else changed), encoding="utf-8"
    )
    return Journal(tmp_path / "j").pending()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["session"].__setitem__("outcome", "exploded"),
        lambda d: d["session"]["runs"].pop(),
        lambda d: d["session"]["runs"][0].__setitem__("elapsed", "ten"),
        lambda d: d["session"]["protocol"].__setitem__("steps", []),
        lambda d: d["session"].__setitem__("events", [{"kind": "start"}]),
    ],
    ids=["bad-outcome", "run-missing", "elapsed-text", "no-steps", "event-incomplete"],
)
def test_journal_with_bad_fields_is_a_problem(tmp_path: Path, mutate: Any) -> None:
    entries, problems = _pending_with(tmp_path, mutate)
    assert len(entries) == 1
    assert len(problems) == 1


@pytest.mark.parametrize("content", ["[]", "null", '"text"', "42"])
def test_journal_that_is_not_an_object_is_a_problem(tmp_path: Path, content: str) -> None:
    _good_journal(tmp_path)
    (tmp_path / "j" / "broken.json").write_text(content, encoding="utf-8")
    entries, problems = Journal(tmp_path / "j").pending()
    assert len(entries) == 1
    assert len(problems) == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("session", None),
        lambda d: d["session"].__setitem__("roles", ["presenter"]),
        lambda d: d["session"]["runs"][0].__setitem__("notes", ["x"]),
    ],
    ids=["session-null", "roles-list", "notes-list"],
)
def test_journal_with_wrong_shapes_is_a_problem(tmp_path: Path, mutate: Any) -> None:
    entries, problems = _pending_with(tmp_path, mutate)
    assert len(entries) == 1
    assert len(problems) == 1


@pytest.mark.parametrize("index", [6, 99, -1])
def test_journal_with_step_index_out_of_range_is_a_problem(tmp_path: Path, index: int) -> None:
    entries, problems = _pending_with(tmp_path, lambda d: d["session"].__setitem__("index", index))
    assert len(entries) == 1
    assert len(problems) == 1


def test_session_toml_is_stable_text() -> None:
    rec = make_record(5)
    text = session_toml(rec)
    assert text.startswith('format = 1\nid = "00000005"\n')
    assert SessionRecord.model_validate(tomllib.loads(text)) == rec
    assert textwrap.dedent(text) == text
