"""The session engine driven by a FakeClock through the bundled protocols."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import restore, snapshot_data

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import (
    ActionItem,
    Event,
    Outcome,
    Person,
    Session,
    SessionError,
    State,
)
from protocolrunner.core.session.journal import JournalUnreadable

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
NAMES = ["consultancy", "tuning", "atlas-looking-at-data"]

ROLES: dict[str, dict[str, list[str]]] = {
    "consultancy": {
        "presenter": ["Ann"],
        "facilitator": ["Bea"],
        "consultants": ["Cal", "Dev", "Eli"],
    },
    "tuning": {
        "presenter": ["Ann"],
        "facilitator": ["Bea"],
        "participants": ["Cal", "Dev", "Eli"],
        "recorder": ["Fay"],
    },
    "atlas-looking-at-data": {
        "facilitator": ["Bea"],
        "presenter": ["Ann"],
        "participants": ["Cal", "Dev", "Eli"],
        "recorder": ["Fay"],
    },
}

_CACHE: dict[str, Protocol] = {}


def load(name: str) -> Protocol:
    if name not in _CACHE:
        _CACHE[name] = load_protocol_file(BUNDLED / f"{name}.toml").protocol
    return _CACHE[name]


def make(name: str = "consultancy", clock: FakeClock | None = None, **kw: Any) -> Session:
    roles = ROLES[name]
    attendees = [n for names in roles.values() for n in names]
    return Session(
        load(name),
        attendees=attendees,
        roles=roles,
        clock=clock or FakeClock(),
        session_id="0123abcd",
        **kw,
    )


def names(people: list[Person]) -> list[str]:
    return [p.name for p in people]


def first_capture(session: Session) -> tuple[int, str]:
    """The first step that keeps notes, and its first note field."""
    for i, run in enumerate(session.runs):
        if run.step.capture:
            return i, run.step.capture[0].id
    raise AssertionError("no step keeps notes")


# -- a whole protocol ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_whole_protocol_step_by_step(name: str) -> None:
    clock = FakeClock()
    t0 = clock.now()
    session = make(name, clock)
    protocol = load(name)
    n = len(protocol.steps)
    assert session.state is State.NOT_STARTED
    assert sum(run.planned for run in session.runs) == protocol.seconds

    session.start()
    assert session.started_at == t0
    assert session.state is State.RUNNING
    expected_events = [("start", t0, 0, 0.0, None)]
    spent = 0
    for i, step in enumerate(protocol.steps):
        assert session.index == i
        assert session.current.step.id == step.id
        assert session.remaining() == step.seconds
        used = step.seconds - step.warn_at - 1  # stop just before the warning
        clock.advance(used)
        spent += used
        assert session.state is State.RUNNING
        assert session.elapsed() == used
        if i < n - 1:
            session.next()
            expected_events.append(("goto", clock.now(), i, 0.0, i + 1))
    assert session.is_last_step
    session.end()
    expected_events.append(("end", clock.now(), n - 1, 0.0, None))

    assert session.state is State.FINISHED
    assert session.outcome is Outcome.COMPLETED
    assert session.ended_at == t0 + timedelta(seconds=spent)
    assert session.total_elapsed() == spent
    assert all(run.visited for run in session.runs)
    assert [(e.kind, e.at, e.step, e.seconds, e.to_step) for e in session.events] == (
        expected_events
    )
    assert all(e.at.tzinfo is not None for e in session.events)
    # Time stops counting once the session has ended.
    clock.advance(500)
    assert session.total_elapsed() == spent
    assert session.projected_end() == session.ended_at


@pytest.mark.parametrize("name", NAMES)
def test_warning_then_overtime(name: str) -> None:
    clock = FakeClock()
    session = make(name, clock)
    session.start()
    step = session.current.step
    clock.advance(step.seconds - step.warn_at - 0.5)
    assert session.state is State.RUNNING
    assert session.display_seconds() == step.warn_at + 1  # 60.5 s left shows as 61
    clock.advance(0.5)
    assert session.remaining() == step.warn_at
    assert session.state is State.WARNING
    assert session.display_seconds() == step.warn_at
    clock.advance(step.warn_at - 0.25)
    assert session.state is State.WARNING
    assert session.display_seconds() == 1
    clock.advance(0.25)
    assert session.remaining() == 0
    assert session.state is State.OVERTIME
    assert session.display_seconds() == 0
    clock.advance(5)
    assert session.state is State.OVERTIME
    assert session.remaining() == -5
    assert session.display_seconds() == -5
    clock.advance(0.5)
    assert session.display_seconds() == -5  # counts whole seconds over
    clock.advance(0.5)
    assert session.display_seconds() == -6


def test_warning_for_a_short_step_is_a_fifth() -> None:
    # Tuning's "writing" step lasts 3 minutes: the warning starts 36 s before the end.
    clock = FakeClock()
    session = make("tuning", clock)
    writing = next(i for i, r in enumerate(session.runs) if r.step.id == "writing")
    session.goto(writing)
    assert session.current.step.warn_at == 36
    clock.advance(180 - 37)
    assert session.state is State.RUNNING
    clock.advance(1)
    assert session.state is State.WARNING


def test_pause_freezes_time_however_far_the_clock_moves() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(125.5)
    session.pause()
    assert session.state is State.PAUSED
    assert not session.running
    for jump in (1, 59.75, 3600, 86400 * 30):
        clock.advance(jump)
        assert session.remaining() == 600 - 125.5
        assert session.elapsed() == 125.5
        assert session.total_elapsed() == 125.5
        assert session.state is State.PAUSED
    session.pause()  # pausing twice changes nothing and records nothing
    assert [e.kind for e in session.events] == ["start", "pause"]
    session.resume()
    clock.advance(4.5)
    assert session.elapsed() == 130
    assert session.remaining() == 470
    assert [e.kind for e in session.events] == ["start", "pause", "resume"]
    session.resume()  # resuming a running session changes nothing
    assert len(session.events) == 3


def test_paused_overtime_shows_paused() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(700)
    assert session.state is State.OVERTIME
    session.pause()
    assert session.state is State.PAUSED
    assert session.display_seconds() == -100


def test_toggle_pause() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.toggle_pause()  # not started: starts
    assert session.state is State.RUNNING
    session.toggle_pause()
    assert session.state is State.PAUSED
    session.toggle_pause()
    assert session.state is State.RUNNING
    assert [e.kind for e in session.events] == ["start", "pause", "resume"]


def test_resume_before_start_starts() -> None:
    session = make()
    session.resume()
    assert session.state is State.RUNNING
    assert [e.kind for e in session.events] == ["start"]


def test_start_twice_raises() -> None:
    session = make()
    session.start()
    with pytest.raises(SessionError, match="already started"):
        session.start()


def test_extension_plus_and_minus() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(100)
    assert session.extend(60) == 60
    assert session.current.extension == 60
    assert session.current.budget == 660
    assert session.remaining() == 560
    assert session.extend(-60) == -60
    assert session.current.extension == 0
    assert session.remaining() == 500
    assert session.extend(0) == 0
    extends = [(e.kind, e.seconds, e.at) for e in session.events if e.kind == "extend"]
    assert extends == [("extend", 60, clock.now()), ("extend", -60, clock.now())]


def test_shortening_below_zero_clamps_to_zero_budget() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(30)
    assert session.extend(-10_000) == -600
    assert session.current.budget == 0
    assert session.current.extension == -600
    assert session.remaining() == -30
    assert session.state is State.OVERTIME
    # Nothing left to take away: no change and no event.
    before = len(session.events)
    assert session.extend(-1) == 0
    assert len(session.events) == before
    assert session.extend(90) == 90
    assert session.current.budget == 90
    assert session.remaining() == 60


def test_extension_only_changes_the_current_step() -> None:
    session = make()
    session.start()
    session.extend(120)
    session.next()
    assert session.runs[0].extension == 120
    assert session.current.extension == 0
    assert session.remaining(0) == 720


def test_extend_takes_whole_seconds() -> None:
    session = make()
    session.start()
    assert session.extend(59.9) == 59  # type: ignore[arg-type]
    assert session.current.extension == 59


def test_previous_and_goto_keep_each_steps_time() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(100)
    session.next()
    clock.advance(40)
    session.goto(4)
    assert session.index == 4
    assert session.running
    clock.advance(10)
    session.previous()
    assert session.index == 3
    assert session.elapsed(4) == 10
    session.goto(0)
    clock.advance(5)
    assert session.elapsed(0) == 105
    assert session.elapsed(1) == 40
    assert session.elapsed(3) == 0
    assert [run.visited for run in session.runs] == [True, True, False, True, True, False]
    assert [(e.kind, e.step, e.to_step) for e in session.events] == [
        ("start", 0, None),
        ("goto", 0, 1),
        ("goto", 1, 4),
        ("goto", 4, 3),
        ("goto", 3, 0),
    ]


def test_goto_while_paused_stays_paused() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(20)
    session.pause()
    session.goto(2)
    clock.advance(1000)
    assert session.state is State.PAUSED
    assert session.elapsed(2) == 0
    assert session.elapsed(0) == 20


def test_goto_same_step_records_nothing() -> None:
    session = make()
    session.start()
    session.goto(0)
    assert [e.kind for e in session.events] == ["start"]


def test_goto_before_start_starts() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.goto(2)
    assert session.state is State.RUNNING
    assert session.index == 2
    assert [e.kind for e in session.events] == ["start", "goto"]
    assert session.runs[0].visited and session.runs[2].visited


@pytest.mark.parametrize("bad", [-1, 6, 100])
def test_goto_out_of_range_raises(bad: int) -> None:
    session = make()
    session.start()
    with pytest.raises(SessionError, match="there is no step"):
        session.goto(bad)
    assert session.index == 0


def test_previous_on_first_and_next_on_last_raise() -> None:
    session = make()
    session.start()
    with pytest.raises(SessionError, match="first step"):
        session.previous()
    session.goto(5)
    with pytest.raises(SessionError, match="last step"):
        session.next()


def test_end_on_last_step_is_completed() -> None:
    session = make()
    session.start()
    session.goto(5)
    session.end()
    assert session.outcome is Outcome.COMPLETED


@pytest.mark.parametrize("index", [0, 3, 4])
def test_end_before_last_step_is_ended_early(index: int) -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    session.goto(index)
    clock.advance(12)
    session.end()
    assert session.outcome is Outcome.ENDED_EARLY
    assert session.state is State.FINISHED
    assert session.ended_at == session.started_at + timedelta(seconds=12)
    assert session.events[-1] == Event("end", clock.now(), index)


def test_end_completed_can_be_overridden() -> None:
    session = make()
    session.start()
    session.end(completed=True)
    assert session.outcome is Outcome.COMPLETED
    other = make()
    other.start()
    other.goto(5)
    other.end(completed=False)
    assert other.outcome is Outcome.ENDED_EARLY


def test_end_while_paused_keeps_time() -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    clock.advance(50)
    session.pause()
    clock.advance(1000)
    session.end()
    assert session.total_elapsed() == 50
    assert session.ended_at == session.started_at + timedelta(seconds=1050)


def test_end_before_start() -> None:
    session = make()
    session.end()
    assert session.started_at == session.ended_at
    assert session.outcome is Outcome.ENDED_EARLY
    assert [e.kind for e in session.events] == ["start", "end"]


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.start(),
        lambda s: s.pause(),
        lambda s: s.resume(),
        lambda s: s.toggle_pause(),
        lambda s: s.goto(1),
        lambda s: s.goto(2),
        lambda s: s.next(),
        lambda s: s.previous(),
        lambda s: s.extend(60),
        lambda s: s.extend(-60),
        lambda s: s.end(),
    ],
)
def test_operations_after_end_raise(operation: Any) -> None:
    clock = FakeClock()
    session = make(clock=clock)
    session.start()
    session.goto(2)
    clock.advance(10)
    session.end()
    events = list(session.events)
    with pytest.raises(SessionError):
        operation(session)
    assert session.events == events
    assert session.index == 2
    assert session.outcome is Outcome.ENDED_EARLY


def test_projected_end() -> None:
    clock = FakeClock()
    start = clock.now()
    session = make(clock=clock)
    assert session.projected_end() == start + timedelta(seconds=3000)
    session.start()
    clock.advance(100)
    assert session.projected_end() == start + timedelta(seconds=3000)
    clock.advance(550)  # 50 s over the first step
    assert session.projected_end() == start + timedelta(seconds=650 + 2400)
    session.pause()
    clock.advance(300)  # a pause pushes the end back
    assert session.projected_end() == start + timedelta(seconds=950 + 2400)
    session.resume()
    session.next()
    session.extend(60)
    assert session.projected_end() == start + timedelta(seconds=950 + 2460)
    clock.advance(30)
    assert session.projected_end() == start + timedelta(seconds=980 + 2430)
    session.goto(5)  # skipping steps 2..4 still counts them: they might be done later
    assert session.projected_end() == start + timedelta(seconds=980 + 300)
    session.end()
    assert session.projected_end() == session.ended_at


# -- who talks -----------------------------------------------------------------------------


def test_consultancy_speakers_and_silent_with_joining_facilitator() -> None:
    session = make("consultancy")
    by_id = {run.step.id: i for i, run in enumerate(session.runs)}
    overview = by_id["overview"]
    assert names(session.speakers(overview)) == ["Ann"]
    # The facilitator joins the consultants, so is silent with them.
    assert names(session.silent(overview)) == ["Bea", "Cal", "Dev", "Eli"]
    assert session.silent(overview)[0] == Person("Bea", "facilitator", "Facilitator")
    assert names(session.speakers(by_id["discussion"])) == ["Bea", "Cal", "Dev", "Eli"]
    assert names(session.silent(by_id["discussion"])) == ["Ann"]
    assert names(session.speakers(by_id["clarifying"])) == ["Ann", "Bea", "Cal", "Dev", "Eli"]
    assert session.silent(by_id["clarifying"]) == []
    assert names(session.speakers(by_id["debrief"])) == ["Ann", "Bea", "Cal", "Dev", "Eli"]
    # Without an index: the current step.
    session.start()
    assert names(session.speakers()) == ["Ann"]
    session.goto(by_id["discussion"])
    assert names(session.silent()) == ["Ann"]


def test_tuning_speakers_and_silent() -> None:
    session = make("tuning")
    by_id = {run.step.id: i for i, run in enumerate(session.runs)}
    assert names(session.speakers(by_id["introduction"])) == ["Bea"]
    assert session.silent(by_id["introduction"]) == []
    # The recorder joins the participants.
    assert names(session.silent(by_id["presentation"])) == ["Cal", "Dev", "Eli", "Fay"]
    assert session.speakers(by_id["examining"]) == []
    assert names(session.silent(by_id["examining"])) == ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay"]
    assert names(session.speakers(by_id["feedback"])) == ["Cal", "Dev", "Eli", "Fay"]
    assert names(session.silent(by_id["feedback"])) == ["Ann"]


def test_atlas_speakers_and_silent() -> None:
    session = make("atlas-looking-at-data")
    assert names(session.speakers(0)) == ["Bea", "Ann"]
    assert names(session.silent(0)) == ["Cal", "Dev", "Eli", "Fay"]
    assert session.silent(0)[-1] == Person("Fay", "recorder", "Recorder")


def test_a_speaker_is_never_also_silent() -> None:
    protocol = Protocol.model_validate(
        {
            "format": 1,
            "id": "demo",
            "title": "Demo",
            "summary": "Demo.",
            "group_size": {"min": 3},
            "roles": [
                {"id": "lead", "name": "Lead"},
                {"id": "scribe", "name": "Scribe", "joins": ["group"]},
                {"id": "group", "name": "Group", "rest": True},
            ],
            "steps": [
                {
                    "id": "s",
                    "title": "S",
                    "minutes": 1,
                    "speakers": ["scribe"],
                    "silent": ["group", "lead"],
                }
            ],
        }
    )
    session = Session(
        protocol,
        attendees=["A", "B", "C"],
        roles={"lead": ["A"], "scribe": ["B"], "group": ["C"]},
        clock=FakeClock(),
    )
    assert names(session.speakers(0)) == ["B"]
    assert names(session.silent(0)) == ["A", "C"]


def test_role_of() -> None:
    session = make("consultancy")
    assert session.role_of("Bea") == "facilitator"
    assert session.role_of("Zed") is None


def test_bad_roles_are_refused() -> None:
    with pytest.raises(SessionError, match="Presenter needs exactly 1 person"):
        Session(
            load("consultancy"),
            attendees=["Ann", "Bea", "Cal", "Dev"],
            roles={"facilitator": ["Bea"], "consultants": ["Ann", "Cal", "Dev"]},
            clock=FakeClock(),
        )


@pytest.mark.parametrize("plan", [[60] * 5, [60] * 7, [60, 60, 60, -1, 60, 60]])
def test_bad_plan_is_refused(plan: list[int]) -> None:
    with pytest.raises(SessionError, match="plan"):
        make(plan=plan)


def test_custom_plan() -> None:
    plan = [480, 240, 480, 720, 240, 240]
    session = make(plan=plan)
    assert [run.planned for run in session.runs] == plan
    assert sum(run.planned for run in session.runs) == 2400
    assert session.remaining(3) == 720


# -- notes -------------------------------------------------------------------------------------

TRICKY_NOTES = [
    "Élodie: ¿qué? 日本語 🙂 ‮rtl‬ \u200b zero-width",
    "[bold]x[/]",
    "[/",
    "[red]unclosed",
    "\"\"\"triple quotes\"\"\" and '''single'''",
    "line one\nline two\n\n  indented\ttab\n",
    "\\n is not a newline; \\u0041 is not A",
    "x" * 200_000,
    "",
    "   ",
    "\x02MARK\x03",
]


@pytest.mark.parametrize("text", TRICKY_NOTES, ids=range(len(TRICKY_NOTES)))
def test_notes_kept_exactly(text: str) -> None:
    session = make()
    index, field_id = first_capture(session)
    session.set_note(index, field_id, text)
    assert session.note(index, field_id) == text
    restored = restore(snapshot_data(session), FakeClock())
    assert restored.note(index, field_id) == text


def test_note_revision_bumps_only_on_change() -> None:
    session = make()
    index, field_id = first_capture(session)
    before = session.revision
    session.set_note(index, field_id, "a")
    assert session.revision == before + 1
    session.set_note(index, field_id, "a")
    assert session.revision == before + 1
    assert session.note(index, "no-such-field") == ""


def test_set_note_on_unknown_field_raises() -> None:
    session = make()
    index, _ = first_capture(session)
    with pytest.raises(SessionError, match="keeps no notes called 'nope'"):
        session.set_note(index, "nope", "text")
    # The overview step keeps no notes at all.
    with pytest.raises(SessionError):
        session.set_note(0, "clarifying-questions", "text")
    assert session.runs[0].notes == {}


def test_setup_and_reflection() -> None:
    session = make(setup={"focus": "How can I [b]help[/b]?", "unknown": "dropped"})
    assert session.setup == {"focus": "How can I [b]help[/b]?", "dilemma": ""}
    session.set_reflection("We learned [/] things")
    assert session.reflection == "We learned [/] things"


def test_actions() -> None:
    session = make()
    item = session.add_action("Try exit tickets", "Ann")
    assert item == ActionItem("Try exit tickets", "Ann", False)
    session.add_action("Share slides")
    session.update_action(0, done=True)
    session.update_action(1, owner="Bea", text="Share the slides")
    assert session.actions == [
        ActionItem("Try exit tickets", "Ann", True),
        ActionItem("Share the slides", "Bea", False),
    ]


# -- snapshots -------------------------------------------------------------------------------


def busy_session(clock: FakeClock) -> Session:
    session = make(clock=clock, setup={"focus": "How do I…?", "dilemma": "a\nb"})
    session.start()
    clock.advance(610.25)
    session.next()
    session.extend(90)
    clock.advance(200.5)
    session.set_note(1, "clarifying-questions", "How many?\n[bold]Why[/]")
    session.next()
    session.extend(-120)
    clock.advance(33.125)
    session.add_action("Try it", "Ann")
    session.update_action(0, done=True)
    session.set_reflection("ok")
    return session


def test_snapshot_round_trip_running_comes_back_paused() -> None:
    clock = FakeClock()
    session = busy_session(clock)
    assert session.running
    data = snapshot_data(session)
    saved_at = clock.now()

    later = FakeClock(start=clock.now() + timedelta(hours=2), monotonic_start=5.0)
    restored = restore(data, later)
    assert restored.state is State.PAUSED
    assert restored.index == 2
    assert restored.id == session.id
    assert restored.protocol == session.protocol
    assert restored.attendees == session.attendees
    assert restored.roles == session.roles
    assert restored.setup == session.setup
    assert restored.started_at == session.started_at
    assert restored.ended_at is None
    assert restored.outcome is None
    for i in range(len(session.runs)):
        assert restored.elapsed(i) == session.elapsed(i)
        assert restored.runs[i].extension == session.runs[i].extension
        assert restored.runs[i].planned == session.runs[i].planned
        assert restored.runs[i].visited == session.runs[i].visited
        assert restored.runs[i].notes == session.runs[i].notes
    assert [r.extension for r in restored.runs] == [0, 90, -120, 0, 0, 0]
    assert restored.elapsed(2) == 33.125
    assert restored.actions == [ActionItem("Try it", "Ann", True)]
    assert restored.reflection == "ok"
    assert restored.events[:-1] == session.events
    assert restored.events[-1] == Event("pause", saved_at, 2)

    # Time does not move until it is resumed, then moves with the new clock.
    later.advance(999)
    assert restored.elapsed() == 33.125
    restored.resume()
    later.advance(6.875)
    assert restored.elapsed() == 40
    assert restored.remaining() == 600 - 120 - 40


def test_snapshot_round_trip_paused_adds_no_event() -> None:
    clock = FakeClock()
    session = busy_session(clock)
    session.pause()
    restored = restore(snapshot_data(session), FakeClock())
    assert restored.events == session.events
    assert restored.state is State.PAUSED


def test_snapshot_round_trip_not_started() -> None:
    session = make()
    restored = restore(snapshot_data(session), FakeClock())
    assert restored.state is State.NOT_STARTED
    assert restored.events == []


def test_snapshot_round_trip_finished() -> None:
    clock = FakeClock()
    session = busy_session(clock)
    session.end()
    restored = restore(snapshot_data(session), FakeClock())
    assert restored.state is State.FINISHED
    assert restored.outcome is Outcome.ENDED_EARLY
    assert restored.ended_at == session.ended_at
    assert restored.events == session.events
    with pytest.raises(SessionError):
        restored.resume()


def test_snapshot_is_frozen_at_the_moment() -> None:
    clock = FakeClock()
    session = busy_session(clock)
    data = snapshot_data(session)
    clock.advance(100)
    # The running step is its deadline: 600 - 120 - 33.125 seconds after the snapshot.
    assert data["runs"][2]["elapsed"] == 0
    saved_at = clock.now() - timedelta(seconds=100)
    assert data["saved_at"] == saved_at.isoformat()
    assert data["deadline"] == (saved_at + timedelta(seconds=446.875)).isoformat()


@pytest.mark.parametrize("fmt", [None, 0, 3, "1", "2"])
def test_snapshot_unknown_format_raises(fmt: object) -> None:
    data = snapshot_data(make())
    data["format"] = fmt
    with pytest.raises(JournalUnreadable, match="unknown journal format"):
        restore(data, FakeClock())


# -- properties ----------------------------------------------------------------------------

OPS = st.one_of(
    st.tuples(st.just("advance"), st.floats(0, 1500, allow_nan=False, allow_infinity=False)),
    st.tuples(st.just("advance"), st.integers(0, 900).map(float)),
    st.tuples(st.just("pause"), st.none()),
    st.tuples(st.just("resume"), st.none()),
    st.tuples(st.just("next"), st.none()),
    st.tuples(st.just("previous"), st.none()),
    st.tuples(st.just("goto"), st.integers(0, 7)),
    st.tuples(st.just("extend"), st.integers(-1200, 1200)),
)


class Model:
    """What the session should report, kept independently of the engine."""

    def __init__(self, session: Session) -> None:
        n = len(session.runs)
        self.planned = [run.planned for run in session.runs]
        self.extension = [0] * n
        self.elapsed = [0.0] * n
        self.index = 0
        self.started = False
        self.running = False
        self.run_time = 0.0


def _check(session: Session, model: Model) -> None:
    assert session.index == model.index
    assert session.running == model.running
    for i in range(len(session.runs)):
        budget = model.planned[i] + model.extension[i]
        assert budget >= 0
        assert session.runs[i].extension == model.extension[i]
        # (a) elapsed + remaining == planned + extension
        assert abs(session.elapsed(i) + session.remaining(i) - budget) <= 1e-6
        assert abs(session.elapsed(i) - model.elapsed[i]) <= 1e-6
    # (c) total time equals the clock time spent running
    assert abs(session.total_elapsed() - model.run_time) <= 1e-6
    # (d) the countdown never shows 0 while time remains
    if session.remaining() > 0:
        assert session.display_seconds() > 0
        assert session.display_seconds() >= session.remaining()
    elif session.started_at is not None:
        assert session.display_seconds() <= 0


def apply(session: Session, clock: FakeClock, model: Model, op: str, arg: Any) -> None:
    n = len(session.runs)
    if op == "advance":
        before = [(session.remaining(i), session.elapsed(i)) for i in range(n)]
        clock.advance(arg)
        if model.running:
            model.elapsed[model.index] += arg
            model.run_time += arg
        else:
            # (b) while paused (or not started), time stands still
            assert [(session.remaining(i), session.elapsed(i)) for i in range(n)] == before
    elif op == "pause":
        session.pause()
        model.running = False
    elif op == "resume":
        session.resume()
        model.started = model.running = True
    elif op in ("next", "previous", "goto"):
        target = {"next": model.index + 1, "previous": model.index - 1}.get(op, arg)
        try:
            getattr(session, op)(*(() if op != "goto" else (arg,)))
        except SessionError:
            assert not 0 <= target < n
            return
        assert 0 <= target < n
        if not model.started:
            model.started = model.running = True
        model.index = target
    elif op == "extend":
        budget = model.planned[model.index] + model.extension[model.index]
        change = session.extend(arg)
        assert change == max(arg, -budget)
        model.extension[model.index] += change


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(ops=st.lists(OPS, max_size=60))
def test_random_operations_keep_time_consistent(name: str, ops: list[tuple[str, Any]]) -> None:
    clock = FakeClock(monotonic_start=123456.789)
    session = make(name, clock)
    model = Model(session)
    _check(session, model)
    for op, arg in ops:
        apply(session, clock, model, op, arg)
        _check(session, model)
    # The same session survives a snapshot, paused, with the same times.
    restored = restore(snapshot_data(session), FakeClock())
    assert restored.index == session.index
    assert restored.state is (State.PAUSED if model.started else State.NOT_STARTED)
    for i in range(len(session.runs)):
        assert restored.elapsed(i) == pytest.approx(session.elapsed(i), abs=1e-6)
        assert restored.runs[i].extension == session.runs[i].extension
    # Ending freezes the total.
    session.end()
    total = session.total_elapsed()
    clock.advance(1000)
    assert session.total_elapsed() == total
    assert math.isclose(total, model.run_time, abs_tol=1e-6)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0, 4000, allow_nan=False),
    st.floats(-1e-9, 1e-9, allow_nan=False),
)
def test_display_seconds_never_zero_with_time_left(used: float, nudge: float) -> None:
    clock = FakeClock(monotonic_start=987654.321)
    session = make(clock=clock)
    session.start()
    clock.advance(max(0.0, used + nudge))
    left = session.remaining()
    shown = session.display_seconds()
    if left > 0:
        assert shown >= 1
        assert shown - 1 < left <= shown
    else:
        assert shown <= 0
        assert abs(shown) <= -left < abs(shown) + 1


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_any_note_text_survives_snapshot(text: str) -> None:
    session = make()
    session.set_note(1, "clarifying-questions", text)
    data = snapshot_data(session)
    assert restore(data, FakeClock()).note(1, "clarifying-questions") == text


def test_until_display_changes_lands_on_the_next_displayed_second(clock: FakeClock) -> None:
    session = make(clock=clock)
    assert session.until_display_changes() == 1.0  # not started: nothing moves
    session.start()
    assert session.until_display_changes() == 1.0  # a whole second left to the next value
    shown = session.display_seconds()
    clock.advance(0.25)
    assert session.until_display_changes() == pytest.approx(0.75)
    assert session.display_seconds() == shown
    clock.advance(0.75)
    assert session.display_seconds() == shown - 1
    clock.advance(session.remaining() + 0.4)  # 0.4 s into overtime: shown as +00:00
    assert session.display_seconds() == 0
    assert session.until_display_changes() == pytest.approx(0.6)
    clock.advance(0.6)
    assert session.display_seconds() == -1
    session.pause()
    assert session.until_display_changes() == 1.0
