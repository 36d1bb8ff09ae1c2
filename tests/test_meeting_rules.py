"""The rules of a meeting, computed once in the core (issue 13): planned, adjusted and actual
time, the outcome label, which setup answer leads, who speaks, and when the countdown warns.

Each screen and export asks these functions; the tests here check the answers, and that the
summary, the record's view and the Markdown export show the very same numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import BUNDLED_DIR, BUNDLED_IDS

from protocolrunner.core.base.durations import format_duration
from protocolrunner.core.export.markdown import session_markdown
from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import FACILITATOR_ROLE, Protocol, lead_question
from protocolrunner.core.record.folder import session_record
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import (
    Session,
    State,
    natural_plan,
    record_lead,
    record_timing,
)
from protocolrunner.core.session.fit import fit_to_time
from protocolrunner.core.session.outcome import Outcome, outcome_label
from protocolrunner.core.session.roles import propose_fair
from protocolrunner.core.session.wording import timing_phrase, voice_lines

PEOPLE = ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay", "Gus", "Hal"]

ROLES = {
    "consultancy": {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]},
    "tuning": {
        "presenter": ["Ann"],
        "facilitator": ["Bea"],
        "participants": ["Cal", "Dev"],
        "recorder": ["Eli"],
    },
}


def load(name: str) -> Protocol:
    return load_protocol_file(BUNDLED_DIR / f"{name}.toml").protocol


def make(name: str, clock: FakeClock, minutes: int | None = None, **kw: Any) -> Session:
    """A session of a bundled protocol, fitted to ``minutes`` as setup does when given."""
    protocol = load(name)
    roles = ROLES[name]
    attendees = [n for names in roles.values() for n in names]
    plan = None
    if minutes is not None:
        plan = fit_to_time(natural_plan(protocol, attendees, roles), minutes * 60)
    return Session(
        protocol,
        attendees=attendees,
        roles=roles,
        plan=plan,
        clock=clock,
        session_id="0123abcd",
        **kw,
    )


def summary_text(session: Session) -> str:
    # Imported here so the core tests above never need Textual.
    from protocolrunner.ui.screens.summary import timing_content

    return timing_content(session).plain


def view_text(session: Session) -> str:
    from protocolrunner.ui.widgets.session_view import session_content

    return session_content(session_record(session)).plain


# -- planned, adjusted, actual -------------------------------------------------------------------
def test_one_minute_more_then_two_less_agrees_everywhere() -> None:
    """Consultancy fitted to 8 minutes, `+` then `-` `-` on step 1 (issue 13, #3)."""
    clock = FakeClock()
    session = make("consultancy", clock, minutes=8)
    session.start()
    clock.advance(100)
    session.extend(60)
    session.extend(-60)
    session.extend(-60)
    clock.advance(61.2)
    session.end()

    timing = session.timing()
    assert (timing.planned, timing.adjusted, timing.actual) == (480, 420, 161)
    assert timing.steps[0].given == -60
    assert record_timing(session_record(session)) == timing

    phrase = timing_phrase(timing)
    assert phrase == "2:41 (planned 8:00, adjusted 7:00)"
    assert f"**Time:** {phrase}" in session_markdown(session_record(session))
    assert phrase in view_text(session)
    total = next(line for line in summary_text(session).splitlines() if line.startswith("Total"))
    assert total.split()[1:] == ["8:00", "7:00", "2:41"]


def test_the_total_is_the_sum_of_the_steps_as_shown() -> None:
    """Tuning with F9 on step 6: the summary said 1:23 and the export 1:22 (issue 13, #3)."""
    clock = FakeClock()
    session = make("tuning", clock)
    session.start()
    for _ in range(5):
        clock.advance(16.4)  # each step rounds down; their sum (82 s) would round up
        session.next()
    session.extend(-60)
    session.end()

    timing = session.timing()
    assert [s.actual for s in timing.steps] == [16] * 5 + [0, 0, 0]
    assert timing.actual == 80 == sum(s.actual for s in timing.steps)
    record = session_record(session)
    assert record_timing(record) == timing
    assert record.actual_seconds == timing.actual
    total = next(line for line in summary_text(session).splitlines() if line.startswith("Total"))
    assert total.split()[-1] == format_duration(timing.actual) == "1:20"
    assert f"**Time:** {timing_phrase(timing)}" in session_markdown(record)
    assert timing_phrase(timing) == "1:20 (planned 1:00:00, adjusted 59:00)"


def test_over_means_more_than_the_adjusted_time() -> None:
    clock = FakeClock()
    session = make("consultancy", clock)
    session.start()
    session.extend(120)
    clock.advance(600 + 60)  # a minute over the plan, within the two minutes given
    session.end()
    step = session.timing().steps[0]
    assert (step.planned, step.adjusted, step.actual, step.over) == (600, 720, 660, False)
    assert not step.skipped
    assert session.timing().steps[1].skipped


# -- the outcome ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        (Outcome.COMPLETED, "completed"),
        (Outcome.ENDED_EARLY, "ended early"),
        ("completed", "completed"),
        ("ended-early", "ended early"),
    ],
)
def test_outcome_label(outcome: Outcome | str, label: str) -> None:
    assert outcome_label(outcome) == label


def test_every_view_says_ended_early_the_same_way() -> None:
    clock = FakeClock()
    session = make("consultancy", clock)
    session.start()
    clock.advance(30)
    session.end()
    label = outcome_label(session.outcome)
    assert label == "ended early"
    assert f"**Status:** {label}" in session_markdown(session_record(session))
    assert f"· {label}" in view_text(session)


# -- which setup answer leads --------------------------------------------------------------------
def test_the_focusing_question_leads_even_when_asked_second() -> None:
    """Final Word asks for the text first and the focusing question second: the run screen led
    with the text, the record and the export with the question (issue 13)."""
    clock = FakeClock()
    protocol = load("final-word")
    attendees = PEOPLE[:4]
    session = Session(
        protocol,
        attendees=attendees,
        roles=propose_fair(protocol, attendees, []).roles,
        setup={"text": "A passage", "focus": "What does it ask of us?"},
        clock=clock,
    )
    assert session.lead is not None and session.lead.id == "focus"
    session.start()
    session.end()
    record = session_record(session)
    lead = record_lead(record)
    assert lead is not None and lead.id == "focus"
    markdown = session_markdown(record)
    assert markdown.splitlines()[2].endswith("What does it ask of us?")


@pytest.mark.parametrize(
    ("answers", "lead"),
    [
        ({"text": "A", "focus": "Q"}, "focus"),
        ({"text": "A", "focus": "  \n"}, "text"),
        ({"data": " ", "question": "Why?"}, "question"),
        ({"data": "", "question": ""}, None),
        ({}, None),
    ],
)
def test_lead_question(answers: dict[str, str], lead: str | None) -> None:
    assert lead_question(answers) == lead


# -- who speaks ----------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol_id", BUNDLED_IDS)
def test_who_speaks_in_every_bundled_step(protocol_id: str) -> None:
    protocol = load(protocol_id)
    size = protocol.group_size
    attendees = PEOPLE[: min(size.min + 2, size.max or len(PEOPLE), len(PEOPLE))]
    roles = propose_fair(protocol, attendees, []).roles
    session = Session(protocol, attendees=attendees, roles=roles, clock=FakeClock())
    keeping_time = list(roles.get(FACILITATOR_ROLE, []))
    assert keeping_time, "every bundled protocol has a facilitator"

    def holders(role_ids: list[str]) -> set[str]:
        # The file's lists, and the roles that join them: what the author wrote, no more.
        return {
            name
            for role in protocol.roles
            if role.id in role_ids or set(role.joins) & set(role_ids)
            for name in roles.get(role.id, [])
        }

    for i, run in enumerate(session.runs):
        voices = session.voices(i)
        speaking = {p.name for p in voices.speakers}
        silent = {p.name for p in voices.silent}
        assert speaking == holders(run.step.speakers), run.step.id
        assert silent == holders(run.step.silent) - speaking, run.step.id
        assert not speaking & silent
        assert [p.name for p in voices.facilitator] == keeping_time, run.step.id
        assert voices.silent_step == (not run.step.speakers)
        # The screen's old helpers give the same answer.
        assert session.speakers(i) == list(voices.speakers)
        assert session.silent(i) == list(voices.silent)
        lines = voice_lines(voices)
        kinds = [line.kind for line in lines]
        # One line says who speaks (or that nobody does), never both; time keeping is apart.
        assert kinds.count("speak") + kinds.count("silent-step") == 1
        assert kinds[-1] == "facilitator"
        if voices.silent_step:
            assert "silent" not in kinds


def test_consultancy_facilitator_joins_the_consultants() -> None:
    """The facilitator's role joins the consultants: silent with them in the presentation,
    speaking with them in the questions, and keeping time in both."""
    session = make("consultancy", FakeClock())
    overview, clarifying = session.voices(0), session.voices(1)
    assert "Bea" in [p.name for p in overview.silent]
    assert "Bea" in [p.name for p in clarifying.speakers]
    assert [p.name for p in overview.facilitator] == ["Bea"]
    assert voice_lines(overview)[-1].plain == "Keeping time: Bea (Facilitator)"


def test_tuning_silent_step_is_one_line() -> None:
    """Tuning step 4 said "Silent step: nobody speaks." and then "Silent: <everyone>"."""
    session = make("tuning", FakeClock())
    examining = next(i for i, r in enumerate(session.runs) if r.step.id == "examining")
    lines = voice_lines(session.voices(examining))
    assert [line.kind for line in lines] == ["silent-step", "facilitator"]
    assert lines[0].label == "Silent step"
    assert lines[0].text == (
        "Ann (Presenter), Bea (Facilitator), Cal, Dev (Critical friends), Eli (Recorder) "
        "work without speaking."
    )
    # The facilitator is shown in Tuning too, where the file names them in four steps only.
    assert voice_lines(session.voices(1))[-1].plain == "Keeping time: Bea (Facilitator)"


# -- almost out of time --------------------------------------------------------------------------
def test_a_fitted_minute_does_not_warn_from_its_first_second() -> None:
    """Consultancy fitted to 8 minutes: step 2 lasts a minute and showed `00:59 ALMOST OUT OF
    TIME` at once (issue 13, #5). The warning is the last fifth of the step as it runs."""
    clock = FakeClock()
    session = make("consultancy", clock, minutes=8)
    session.start()
    session.next()
    assert session.current.budget == 60
    assert session.warn_at() == 12
    clock.advance(1)
    assert session.state is State.RUNNING
    clock.advance(60 - 12 - 1 - 0.5)
    assert session.state is State.RUNNING
    clock.advance(0.5)
    assert session.state is State.WARNING


@pytest.mark.parametrize(
    ("seconds", "warn"),
    [(600, 60), (300, 60), (180, 36), (60, 12), (40, 10), (16, 8), (1, 0)],
)
def test_the_default_warning_is_a_fifth_between_ten_and_sixty_seconds(
    seconds: int, warn: int
) -> None:
    step = load("consultancy").steps[0].model_copy(update={"warn_seconds": None})
    assert step.warn_for(seconds) == warn


def test_warn_seconds_scales_with_a_fitted_step() -> None:
    """Chalk Talk's writing step (15 minutes) warns 2 minutes before its end; fitted to 5
    minutes it warns 40 seconds before, the same share of the step."""
    protocol = load("chalk-talk")
    writing = next(s for s in protocol.steps if s.id == "writing")
    assert writing.warn_seconds == 120
    assert writing.warn_for(900) == 120
    assert writing.warn_for(300, scale=300 / 900) == 40
    # Given more time than written, the author's seconds stand.
    assert writing.warn_for(960) == 120


def test_the_warning_follows_minutes_given_and_taken() -> None:
    clock = FakeClock()
    session = make("tuning", clock)
    writing = next(i for i, r in enumerate(session.runs) if r.step.id == "writing")
    session.goto(writing)
    assert session.warn_at() == 36
    session.extend(-120)  # a one-minute step now
    assert session.warn_at() == 12
    assert session.state is State.RUNNING


def test_turns_warn_by_their_own_length() -> None:
    protocol = load("final-word")
    attendees = PEOPLE[:4]
    session = Session(
        protocol,
        attendees=attendees,
        roles=propose_fair(protocol, attendees, []).roles,
        clock=FakeClock(),
    )
    turns = next(i for i, r in enumerate(session.runs) if r.turns)
    session.goto(turns)
    turn = session.current.current_turn
    assert turn is not None
    assert session.warn_at() == session.current.step.warn_for(turn.budget, scale=1.0)


def test_docs_state_the_rules() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "authoring.md").read_text()
    assert "## Who speaks" in text
    assert "Keeping time" in text
    assert "a fifth of the step" in text
