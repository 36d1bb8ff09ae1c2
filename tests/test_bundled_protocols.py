"""Every bundled protocol validates, reads well with `show`, and runs from start to record.

The tests are parametrized over the files in ``protocols/``, so a protocol added there is
checked without touching this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protocolrunner.cli import main
from protocolrunner.core.clock import FakeClock
from protocolrunner.core.describe import format_minutes
from protocolrunner.core.engine import Outcome, Session, State
from protocolrunner.core.library import LibraryEntry, load_protocol_file, validate_paths
from protocolrunner.core.models import Community
from protocolrunner.core.record import Record, session_record
from protocolrunner.core.roles import check_assignment, propose_fair

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
FILES = sorted(BUNDLED.glob("*.toml"))
PEOPLE = ["Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kim", "Lou"]
EXTRA_SECONDS = 17
"""How far past its planned time each step runs in the end-to-end test."""


def entry_of(path: Path) -> LibraryEntry:
    return load_protocol_file(path)


def note_text(step_id: str, field_id: str) -> str:
    return f"Notes for {step_id}/{field_id}:\n- first point\n- second point, with “quotes”"


@pytest.fixture(params=FILES, ids=[path.stem for path in FILES])
def path(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_there_are_bundled_protocols() -> None:
    assert len(FILES) >= 3


def test_validates_with_no_problems(path: Path) -> None:
    assert validate_paths([path]) == (1, [])
    entry = entry_of(path)
    assert entry.id == path.stem, "the file name should match the protocol id"


def test_every_step_says_what_to_do_and_who_takes_part(path: Path) -> None:
    protocol = entry_of(path).protocol
    assert protocol.source.strip(), "bundled protocols credit their origin"
    for step in protocol.steps:
        assert step.instructions.strip(), step.id
        assert step.speakers or step.silent, f"{step.id} names nobody"


def test_show_renders_the_title_and_every_step(path: Path, capsys: pytest.CaptureFixture) -> None:
    protocol = entry_of(path).protocol
    status = main(["show", protocol.id])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{protocol.title}  (id {protocol.id}, version {protocol.version})"
    assert lines[1] == protocol.summary
    assert f"Total time: {format_minutes(protocol.seconds)}" in lines[2]
    assert f"From: bundled: {path}" in lines
    for number, step in enumerate(protocol.steps, 1):
        assert f"{number}. {step.title} ({format_minutes(step.seconds)})" in lines
    assert sum(line.startswith("   Speak: ") for line in lines) == len(protocol.steps)


def test_runs_end_to_end_and_round_trips_through_the_record(path: Path, tmp_path: Path) -> None:
    entry = entry_of(path)
    protocol = entry.protocol
    size = protocol.group_size
    n = min(size.min + 2, size.max or len(PEOPLE), len(PEOPLE))
    attendees = PEOPLE[:n]
    roles = propose_fair(protocol, attendees, []).roles
    assert check_assignment(protocol, attendees, roles) == []
    setup = {question.id: f"Answer to {question.label}" for question in protocol.setup}

    clock = FakeClock()
    session = Session(
        protocol,
        attendees=attendees,
        roles=roles,
        setup=setup,
        clock=clock,
        session_id="5eed0001",
        community="Test CoP",
    )
    session.start()
    for index, step in enumerate(protocol.steps):
        assert session.index == index
        assert session.current.step.id == step.id
        assert session.state is State.RUNNING
        for field in step.capture:
            session.set_note(index, field.id, note_text(step.id, field.id))
        clock.advance(step.seconds + EXTRA_SECONDS)
        assert session.state is State.OVERTIME
        if not session.is_last_step:
            session.next()
    session.end()
    assert session.outcome is Outcome.COMPLETED

    saved = session_record(session, entry.sha256)
    record = Record.init(tmp_path / "record", Community(name="Test CoP"))
    file = record.save_session(saved)
    loaded_all = record.load_sessions()
    assert loaded_all.problems == []
    assert loaded_all.sessions == [(file, saved)]

    loaded = record.load_session(file)
    assert loaded == saved
    assert loaded.status == "completed"
    assert loaded.protocol.id == protocol.id
    assert loaded.protocol.sha256 == entry.sha256
    assert {answer.id: answer.answer for answer in loaded.setup} == setup
    assert {holders.id: holders.people for holders in loaded.roles} == roles
    assert [s.id for s in loaded.steps] == [step.id for step in protocol.steps]
    assert [s.planned_seconds for s in loaded.steps] == [step.seconds for step in protocol.steps]
    assert [s.actual_seconds for s in loaded.steps] == [
        step.seconds + EXTRA_SECONDS for step in protocol.steps
    ]
    assert not any(s.skipped for s in loaded.steps)
    assert loaded.actual_seconds == protocol.seconds + EXTRA_SECONDS * len(protocol.steps)
    for recorded, step in zip(loaded.steps, protocol.steps, strict=True):
        assert (recorded.speakers, recorded.silent) == (step.speakers, step.silent)
        assert {note.id: note.text for note in recorded.notes} == {
            field.id: note_text(step.id, field.id) for field in step.capture
        }
