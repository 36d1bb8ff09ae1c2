"""Every bundled protocol validates, reads well with `show`, and runs from start to record.

The tests are parametrized over the files in ``protocols/``, so a protocol added there is
checked without touching this file. Steps taken in turns are run turn by turn, and the record
must keep every turn.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from protocolrunner.cli import main
from protocolrunner.core.protocol.describe import step_minutes, total_minutes, turns_phrase
from protocolrunner.core.protocol.library import LibraryEntry, load_protocol_file, validate_paths
from protocolrunner.core.protocol.model import Protocol, Step
from protocolrunner.core.record.folder import Record, session_record
from protocolrunner.core.record.models import TURNS_FORMAT, Community
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import Session, State
from protocolrunner.core.session.outcome import Outcome
from protocolrunner.core.session.roles import check_assignment, propose_fair

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
FILES = sorted(BUNDLED.glob("*.toml"))
PEOPLE = ["Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kim", "Lou"]
EXTRA_SECONDS = 17
"""How far past its planned time each step runs in the end-to-end test."""


def entry_of(path: Path) -> LibraryEntry:
    return load_protocol_file(path)


def note_text(step_id: str, field_id: str) -> str:
    return f"Notes for {step_id}/{field_id}:\n- first point\n- second point, with “quotes”"


def turn_note(step_id: str, turn: int, person: str) -> str:
    return f"{person}, turn {turn + 1} of {step_id}:\n- read p. 12, “the middle paragraph”"


def noted(turn: int) -> bool:
    """The end-to-end test types a note on some turns only: every third one."""
    return turn % 3 == 0


def turns_in_a_round(step: Step, takers: int) -> int:
    """How many turns one round has, by the format: a part for each person, the leader alone,
    or everyone but the leader."""
    assert step.turns is not None
    one = {"each": takers, "leader": 1, "others": takers - 1}
    return sum(one[part.who] for part in step.turns.parts)


def rounds_of(step: Step, takers: int) -> int:
    assert step.turns is not None
    return takers if step.turns.rounds == "each" else step.turns.rounds


def takers_for(protocol: Protocol, step: Step, attendees: list[str], roles) -> list[str]:
    """Who takes the turns of ``step``, worked out from the format rather than the engine."""
    assert step.turns is not None
    if step.turns.seats is not None:
        return [f"Speaker {letter}" for letter in "ABCDEFGH"[: step.turns.seats]]
    if step.turns.role is not None:
        return list(roles[step.turns.role])
    return list(attendees)


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
    assert lines[2].startswith(f"Total time: {total_minutes(protocol)}   Group size: ")
    assert f"From: bundled: {path}" in lines
    for number, step in enumerate(protocol.steps, 1):
        assert f"{number}. {step.title} ({step_minutes(protocol, step)})" in lines
        if step.turns is not None:
            # How the turns go, and each round's question, are in the text (re-wrapped).
            flat = " ".join(out.split())
            assert turns_phrase(protocol, step) in flat
            for k, question in enumerate(step.turns.round_prompts, 1):
                assert f"Round {k}: {' '.join(question.split())}" in flat
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
    planned = [protocol.step_seconds(step, n) for step in protocol.steps]
    assert [run.planned for run in session.runs] == planned
    actual: list[int] = []
    expected_turns: dict[int, list[tuple[str, int, int, int, str]]] = {}
    session.start()
    for index, step in enumerate(protocol.steps):
        assert session.index == index
        assert session.current.step.id == step.id
        assert session.state is State.RUNNING
        for field in step.capture:
            session.set_note(index, field.id, note_text(step.id, field.id))
        if step.turns is None:
            assert session.current.turns == []
            clock.advance(step.seconds + EXTRA_SECONDS)
            actual.append(step.seconds + EXTRA_SECONDS)
        else:
            expected_turns[index] = take_every_turn(session, clock, index)
            actual.append(sum(turn[3] for turn in expected_turns[index]))
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
    assert [s.planned_seconds for s in loaded.steps] == planned
    assert [s.actual_seconds for s in loaded.steps] == actual
    assert not any(s.skipped for s in loaded.steps)
    assert loaded.actual_seconds == sum(actual)
    if protocol.has_turns:
        assert loaded.format == TURNS_FORMAT  # older readers must not drop the turns
    for index, (recorded, step) in enumerate(zip(loaded.steps, protocol.steps, strict=True)):
        assert (recorded.speakers, recorded.silent) == (step.speakers, step.silent)
        assert {note.id: note.text for note in recorded.notes} == {
            field.id: note_text(step.id, field.id) for field in step.capture
        }
        if step.turns is None:
            assert recorded.turns == []
            continue
        # Every turn is kept, saved and read back: who, which round, planned and actual time,
        # and the note typed on it.
        assert [
            (t.person, t.round, t.planned_seconds, t.actual_seconds, t.note) for t in recorded.turns
        ] == expected_turns[index]
        assert recorded.turns == saved.steps[index].turns
        assert sum(t.planned_seconds for t in recorded.turns) == recorded.planned_seconds
        # As many turns as the format says, round by round.
        takers = takers_for(protocol, step, attendees, roles)
        rounds = rounds_of(step, len(takers))
        per_round = turns_in_a_round(step, len(takers))
        assert [t.round for t in recorded.turns] == [
            r for r in range(1, rounds + 1) for _ in range(per_round)
        ]
        assert sorted({t.person for t in recorded.turns}) == sorted(takers)
        assert any(t.note for t in recorded.turns)


def take_every_turn(
    session: Session, clock: FakeClock, index: int
) -> list[tuple[str, int, int, int, str]]:
    """Go through every turn of the current step, each running a little over its time, with a
    note typed on some; return what the record should keep of each turn."""
    step = session.current.step
    kept: list[tuple[str, int, int, int, str]] = []
    while True:
        turn = session.current.current_turn
        assert turn is not None
        number = session.current.turn
        assert number == len(kept)
        assert session.turn_elapsed() == 0
        assert session.state is State.RUNNING
        assert session.display_seconds() == turn.planned
        note = turn_note(step.id, number, turn.name) if noted(number) else ""
        if note:
            session.set_turn_note(index, number, note)
        clock.advance(turn.planned + EXTRA_SECONDS)
        assert session.turn_elapsed() == turn.planned + EXTRA_SECONDS
        assert session.state is State.OVERTIME
        kept.append((turn.name, turn.round + 1, turn.planned, turn.planned + EXTRA_SECONDS, note))
        if session.upcoming_turn() is None:
            return kept
        session.next_turn()


@pytest.mark.parametrize(
    ("protocol_id", "people", "turns_per_round", "typical_minutes"),
    [
        # Everyone leads a round: the passage, a response from each of the three others, and
        # the leader's final word. 5 people (the typical group) take 5 x (3 + 4 + 1) = 40 min.
        ("final-word", 4, [1 + 3 + 1] * 4, 5 + 40 + 10),
        # Triads, however many are present: three questions, three speakers for each.
        ("microlabs", 7, [3, 3, 3], 5 + 13.5 + 10),
        # A presenter, a facilitator and four participants: four go-rounds of four turns.
        ("peeling-the-onion", 6, [4, 4, 4, 4], 5 + 3 + 16 + 5 + 6 + 5),
    ],
)
def test_bundled_turns_follow_the_format(
    protocol_id: str,
    people: int,
    turns_per_round: list[int],
    typical_minutes: float,
    clock: FakeClock,
) -> None:
    protocol = entry_of(BUNDLED / f"{protocol_id}.toml").protocol
    assert protocol.seconds == typical_minutes * 60
    attendees = PEOPLE[:people]
    roles = propose_fair(protocol, attendees, []).roles
    session = Session(protocol, attendees=attendees, roles=roles, clock=clock)
    (run,) = [run for run in session.runs if run.turns]
    spec = run.step.turns
    assert spec is not None
    rounds = Counter(turn.round for turn in run.turns)
    assert [rounds[r] for r in range(len(rounds))] == turns_per_round
    assert run.planned == sum(turn.planned for turn in run.turns)
    order = takers_for(protocol, run.step, attendees, roles)
    assert run.order == order
    starts = [next(t.name for t in run.turns if t.round == r) for r in range(len(rounds))]
    if spec.rounds == "each":
        # Each person leads once, speaks first and last in their round, and the others respond.
        assert starts == order
        for r, leader in enumerate(order):
            names = [t.name for t in run.turns if t.round == r]
            assert names[0] == names[-1] == leader
            assert sorted(names[1:-1]) == sorted(set(order) - {leader})
        assert [t.planned for t in run.turns if t.round == 0] == [180] + [60] * (people - 1) + [60]
    else:
        # The first speaker moves one place along each round.
        assert starts == [order[r % len(order)] for r in range(len(rounds))]
        assert len(spec.round_prompts) == len(rounds)
    names = {turn.name for turn in run.turns}
    for role in protocol.roles:
        if spec.role is not None and role.id != spec.role:
            assert names.isdisjoint(roles[role.id]), f"{role.id} takes no turn"
