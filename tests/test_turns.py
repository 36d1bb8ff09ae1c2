"""Steps taken in turns: the format, the plan they make, the engine and the record."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.record.folder import Record, session_record
from protocolrunner.core.record.models import TURNS_FORMAT
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import Session, SessionError, State, build_turns

HEAD = """
format = 1
id = "rounds"
title = "Rounds"
summary = "Turns."
group_size = { min = 3, max = 7 }

[[roles]]
id = "facilitator"
name = "Facilitator"

[[roles]]
id = "participants"
name = "Participants"
rest = true
"""

FINAL_WORD = (
    HEAD
    + """
[[steps]]
id = "intro"
title = "Introduction"
minutes = 2

[[steps]]
id = "rounds"
title = "Rounds"
speakers = ["participants"]
silent = ["facilitator"]

  [steps.turns]
  role = "participants"
  rounds = "each"

    [[steps.turns.parts]]
    who = "leader"
    minutes = 3
    label = "shares a passage"

    [[steps.turns.parts]]
    who = "others"
    minutes = 1
    label = "responds"

    [[steps.turns.parts]]
    who = "leader"
    minutes = 1
    label = "has the final word"

  [[steps.capture]]
  id = "ideas"
  label = "Ideas"
"""
)

MICROLABS = (
    HEAD
    + """
[[steps]]
id = "rounds"
title = "Rounds of questions"

  [steps.turns]
  rounds = 3
  rotate = true
  round_prompts = ["One?", "Two?", "Three?"]

    [[steps.turns.parts]]
    minutes = 1.5
    label = "answers"
"""
)


def protocol(text: str) -> Protocol:
    return Protocol.model_validate(tomllib.loads(text))


def problems(text: str) -> list[str]:
    found: list = []
    Protocol.model_validate(tomllib.loads(text), context={"problems": found})
    return [f"{'.'.join(map(str, loc))}: {message}" for loc, message in found]


PEOPLE = ["Ann", "Bea", "Cal", "Dev"]
ROLES = {"facilitator": ["Fay"], "participants": PEOPLE}


def final_word_session(clock: FakeClock, **kw) -> Session:
    return Session(protocol(FINAL_WORD), attendees=["Fay", *PEOPLE], roles=ROLES, clock=clock, **kw)


# -- the format ------------------------------------------------------------------------------


def test_turn_steps_validate_and_plan_by_group_size() -> None:
    fw = protocol(FINAL_WORD)
    step = fw.steps[1]
    assert step.minutes is None and step.turns is not None
    # Four people: each leads a round of 3 + 3 x 1 + 1 = 7 minutes.
    assert step.turns.seconds_for(4) == 4 * 7 * 60
    # Five present means four participants beside the facilitator.
    assert fw.turn_takers(step, 5) == 4
    assert fw.step_seconds(step, 5) == 28 * 60
    # The library shows the typical group: halfway between 3 and 7 is 5.
    assert fw.typical_size == 5
    assert fw.seconds == 2 * 60 + 28 * 60
    ml = protocol(MICROLABS)
    assert ml.step_seconds(ml.steps[0], 6) == 3 * 6 * 90  # everyone present takes turns
    assert ml.has_turns and not protocol(HEAD + MICROLABS_TIMED).has_turns


MICROLABS_TIMED = """
[[steps]]
id = "talk"
title = "Talk"
minutes = 5
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('silent = ["facilitator"]', 'silent = ["facilitator"]\nminutes = 3'),
            "steps.1.minutes: a step taken in turns gets its length from them; remove minutes",
        ),
        (
            ('role = "participants"', 'role = "particpants"'),
            "steps.1.turns.role: unknown role 'particpants' (roles: facilitator, participants)",
        ),
        (
            ('rounds = "each"', "rounds = 2"),
            "steps.1.turns.parts.0.who: 'leader' needs rounds = \"each\" (a round led by each "
            "person)",
        ),
        (
            ('rounds = "each"', 'rounds = "each"\n  rotate = true'),
            "steps.1.turns.rotate: rounds led by each person already rotate; remove rotate",
        ),
        (
            ('rounds = "each"', 'rounds = "each"\n  round_prompts = ["a"]'),
            "steps.1.turns.round_prompts: a question per round needs a number of rounds, "
            'not "each"',
        ),
        (
            ("minutes = 3\n", "minutes = 0.001\n"),
            "steps.1.turns.parts.0.minutes: a turn lasts at least one second",
        ),
    ],
)
def test_turn_problems_are_named_by_key(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in FINAL_WORD
    assert expected in problems(FINAL_WORD.replace(old, new, 1))


def test_microlabs_needs_one_question_per_round() -> None:
    found = problems(MICROLABS.replace('"Two?", ', ""))
    assert found == ["steps.0.turns.round_prompts: 2 questions for 3 rounds: give one per round"]


OWN_QUESTIONS = MICROLABS.replace(
    "[[steps]]",
    '[[setup]]\nid = "questions"\nlabel = "Our questions"\nmultiline = true\n\n[[steps]]',
    1,
).replace("rotate = true", 'rotate = true\n  round_prompts_from = "questions"', 1)


def test_a_group_brings_its_own_questions_line_by_line() -> None:
    turns = protocol(OWN_QUESTIONS).steps[0].turns
    assert turns is not None
    assert turns.prompts_for({}) == ["One?", "Two?", "Three?"]
    assert turns.prompts_for({"questions": "  \n"}) == ["One?", "Two?", "Three?"]
    # Blank lines do not count; a round without a line keeps the file's question.
    own = "What  went well?\n\n  What was [b]hard[/b]?  \n"
    assert turns.prompts_for({"questions": own}) == [
        "What went well?",
        "What was [b]hard[/b]?",
        "Three?",
    ]
    without = protocol(OWN_QUESTIONS.replace('round_prompts = ["One?", "Two?", "Three?"]', ""))
    assert without.steps[0].turns.prompts_for({"questions": "Only one?"}) == ["Only one?", "", ""]
    assert without.steps[0].turns.prompts_for({}) == []


def test_more_own_questions_than_rounds_are_refused_at_setup() -> None:
    p = protocol(OWN_QUESTIONS)
    assert p.answer_problems({"questions": "a\nb\n\nc"}) == {}
    assert p.answer_problems({"questions": "a\nb\nc\nd"}) == {
        "questions": "Rounds of questions has 3 rounds: give at most 3 questions, one per line "
        "(4 now)"
    }


def test_own_questions_come_from_a_setup_question_of_the_protocol() -> None:
    found = problems(
        OWN_QUESTIONS.replace('round_prompts_from = "questions"', 'round_prompts_from = "qs"')
    )
    assert found == [
        "steps.0.turns.round_prompts_from: unknown setup question 'qs' (setup questions: questions)"
    ]


def test_the_session_shows_the_questions_typed_at_setup(clock: FakeClock) -> None:
    session = Session(
        protocol(OWN_QUESTIONS),
        attendees=["Fay", *PEOPLE],
        roles=ROLES,
        setup={"questions": "Mine first?\nMine second?"},
        clock=clock,
    )
    assert [session.round_prompt(k) for k in range(4)] == [
        "Mine first?",
        "Mine second?",
        "Three?",
        "",
    ]


def test_a_step_needs_minutes_or_turns() -> None:
    text = HEAD + '\n[[steps]]\nid = "x"\ntitle = "X"\n'
    assert problems(text) == [
        "steps.0.minutes: missing: give the step's minutes, or take it in turns"
    ]


@pytest.mark.parametrize("rounds", ["0", "21", '"every"'])
def test_rounds_out_of_range_is_a_type_error(rounds: str) -> None:
    with pytest.raises(ValidationError):
        protocol(
            MICROLABS.replace("rounds = 3", f"rounds = {rounds}").replace(
                'round_prompts = ["One?", "Two?", "Three?"]', ""
            )
        )


# -- who speaks when -------------------------------------------------------------------------


def test_final_word_rounds_are_led_by_each_person() -> None:
    step = protocol(FINAL_WORD).steps[1]
    turns = build_turns(step, ["A", "B", "C"])
    assert [(t.name, t.planned, t.round) for t in turns] == [
        ("A", 180, 0), ("B", 60, 0), ("C", 60, 0), ("A", 60, 0),
        ("B", 180, 1), ("C", 60, 1), ("A", 60, 1), ("B", 60, 1),
        ("C", 180, 2), ("A", 60, 2), ("B", 60, 2), ("C", 60, 2),
    ]  # fmt: skip
    assert turns[0].label == "shares a passage" and turns[3].label == "has the final word"


def test_microlabs_first_speaker_rotates() -> None:
    step = protocol(MICROLABS).steps[0]
    turns = build_turns(step, ["A", "B", "C"])
    assert [t.name for t in turns] == ["A", "B", "C", "B", "C", "A", "C", "A", "B"]
    assert {t.planned for t in turns} == {90}
    assert [t.round for t in turns] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


@given(
    people=st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=8, unique=True),
    scale=st.sampled_from([1.0, 0.5, 0.8]),
)
def test_every_person_speaks_as_often_as_the_format_says(people: list[str], scale: float) -> None:
    for text in (FINAL_WORD, MICROLABS):
        step = next(s for s in protocol(text).steps if s.turns is not None)
        turns = build_turns(step, people, scale)
        counts = {name: sum(t.name == name for t in turns) for name in people}
        expected = 2 + (len(people) - 1) if text is FINAL_WORD else 3  # lead, close, respond
        assert set(counts.values()) == {expected}
        if scale == 1.0:
            assert sum(t.planned for t in turns) == step.turns.seconds_for(len(people))


# -- the engine ------------------------------------------------------------------------------


def test_a_turn_step_counts_down_each_turn_and_keeps_its_time(clock: FakeClock) -> None:
    session = final_word_session(clock)
    run = session.runs[1]
    assert run.planned == 4 * 7 * 60
    assert run.order == PEOPLE
    session.start()
    clock.advance(120)
    session.next()
    assert session.current.current_turn.name == "Ann"
    assert session.display_seconds() == 180  # the turn, not the step
    assert session.remaining() == 28 * 60
    clock.advance(100)
    assert session.display_seconds() == 80
    assert session.upcoming_turn().name == "Bea"
    clock.advance(150)  # 70 s over Ann's three minutes
    assert session.state is State.OVERTIME
    assert session.display_seconds() == -70
    session.next_turn()
    assert session.state is State.RUNNING
    assert session.display_seconds() == 60
    clock.advance(50)
    assert session.state is State.WARNING  # the last fifth of a one-minute turn
    assert session.extend(60) == 60
    assert session.current.current_turn.budget == 120
    assert session.current.budget == 28 * 60 + 60
    session.pause()
    clock.advance(500)  # paused time counts for nobody
    session.resume()
    clock.advance(30)
    session.previous_turn()
    assert session.turn_elapsed() == 250
    session.set_turn_note(1, 0, "Ann: the passage on [bold]trust[/]")
    session.end(completed=False)
    record = session_record(session)
    assert record.format == TURNS_FORMAT
    turns = record.steps[1].turns
    assert [(t.person, t.round, t.planned_seconds, t.actual_seconds) for t in turns[:3]] == [
        ("Ann", 1, 180, 250),
        ("Bea", 1, 60, 80),
        ("Cal", 1, 60, 0),
    ]
    assert turns[1].extended_seconds == 60
    assert turns[0].note == "Ann: the passage on [bold]trust[/]"
    assert record.steps[1].actual_seconds == 330
    assert record.steps[0].turns == []


def test_turn_controls_refuse_what_makes_no_sense(clock: FakeClock) -> None:
    session = final_word_session(clock)
    session.start()
    with pytest.raises(SessionError, match="not taken in turns"):
        session.next_turn() if session.upcoming_turn() else session.goto_turn(1)
    session.next()
    with pytest.raises(SessionError, match="first turn"):
        session.previous_turn()
    session.goto_turn(len(session.current.turns) - 1)
    with pytest.raises(SessionError, match="last turn"):
        session.next_turn()
    with pytest.raises(SessionError, match="no turn 99"):
        session.goto_turn(98)


def test_shuffling_is_allowed_until_the_second_turn(clock: FakeClock) -> None:
    session = final_word_session(clock)
    session.start()
    assert not session.can_reorder_turns(0)  # not taken in turns
    session.next()
    clock.advance(20)
    assert session.can_reorder_turns(1)
    session.shuffle_turns(1, random.Random(3))
    order = session.runs[1].order
    assert sorted(order) == sorted(PEOPLE) and order != PEOPLE
    assert session.current.turns[0].name == order[0]
    assert session.turn_elapsed() == 20  # time spent stays with the first turn
    with pytest.raises(SessionError, match="same people"):
        session.set_turn_order(1, ["Ann", "Bea"])
    session.next_turn()
    clock.advance(5)
    assert not session.can_reorder_turns(1)
    with pytest.raises(SessionError, match="have begun"):
        session.shuffle_turns(1)
    session.previous_turn()  # back on the first turn, but the second has had its time
    assert not session.can_reorder_turns(1)


def test_fitting_to_time_scales_every_turn(clock: FakeClock) -> None:
    fw = protocol(FINAL_WORD)
    natural = [fw.step_seconds(s, 5) for s in fw.steps]
    half = [seconds // 2 for seconds in natural]
    session = final_word_session(clock, plan=half)
    assert {t.planned for t in session.runs[1].turns} == {90, 30}
    assert session.runs[1].planned == half[1]


def test_turns_survive_the_journal(clock: FakeClock, tmp_path: Path) -> None:
    session = final_word_session(clock)
    session.start()
    session.next()
    session.shuffle_turns(1, random.Random(1))
    clock.advance(30)
    session.next_turn()
    clock.advance(12.5)
    session.extend(60)
    session.set_turn_note(1, 1, "née ☕")
    back = Session.from_snapshot(session.snapshot(), clock)
    assert back.state is State.PAUSED
    run, again = session.runs[1], back.runs[1]
    assert again.order == run.order and again.turn == 1
    assert [(t.name, t.planned, t.extension, t.note) for t in again.turns] == [
        (t.name, t.planned, t.extension, t.note) for t in run.turns
    ]
    assert back.turn_elapsed(1, 0) == 30 and back.turn_elapsed(1, 1) == 12.5
    assert back.display_seconds() == session.display_seconds()
    # The record keeps it: saved and read back, turn by turn.
    back.end()
    record = Record.init(tmp_path / "rec", _community())
    path = record.save_session(session_record(back))
    loaded = record.load_session(path)
    assert loaded.format == TURNS_FORMAT
    assert loaded.steps[1].turns == session_record(back).steps[1].turns


def _community():
    from protocolrunner.core.record.models import Community

    return Community(name="Test CoP")
