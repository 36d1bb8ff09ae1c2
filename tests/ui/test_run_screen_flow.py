"""The run screen as a facilitator meets it: notices that belong to a step go with it, a crash
costs under 2 s of the timer, and 80x24 shows what a meeting needs without moving the clock."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea
from ui_flow import (
    advance,
    countdown_text,
    plain,
    quit_key_shown,
    settle,
    shown,
    start_session,
    still,
    sync,
)

from protocolrunner.core.session.engine import State
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.widgets.countdown import clock_text
from protocolrunner.ui.widgets.notes import NoteEditor
from protocolrunner.ui.widgets.plan import PlanView

FOCUS = "How can I get my quieter Year 9 students to join whole-class discussions?"
ANSWERS = {"focus": FOCUS}


def toasts(pilot: Pilot) -> list[str]:
    """The text of every notice on screen now."""
    return [plain(toast) for toast in pilot.app.screen.query("Toast") if isinstance(toast, Static)]


@sync
async def test_a_notice_about_a_step_goes_when_the_step_does(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        assert not run.session.current.step.capture
        await pilot.press("i")
        await settle(pilot)
        assert any("This step keeps no notes." in text for text in toasts(pilot))
        await pilot.press("n")
        await settle(pilot)
        assert run.session.current.step.capture, "step 2 keeps notes"
        assert not any("keeps no notes" in text for text in toasts(pilot)), toasts(pilot)
        editor = run.query_one(NoteEditor)
        assert shown(run, editor)


@sync
async def test_time_up_notice_goes_with_its_step(make_app, clock):
    app = make_app()
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        await advance(pilot, clock, 10 * 60 + 5)
        await settle(pilot)
        assert any("Time is up" in text for text in toasts(pilot))
        await pilot.press("n")
        await settle(pilot)
        assert run.session.index == 1
        assert not any("Time is up" in text for text in toasts(pilot))


@pytest.mark.parametrize("seconds", [6, 6.9])
@sync
async def test_a_crash_while_the_timer_runs_costs_under_two_seconds(make_app, clock, seconds):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        await advance(pilot, clock, 100)
        await pilot.press("n")  # a change of step: written at once
        await settle(pilot)
        # The clock runs with nothing else changing, the screen ticking once a second.
        for _ in range(int(seconds)):
            await advance(pilot, clock, 1)
        clock.advance(seconds - int(seconds))  # killed between two ticks
        expected = run.session.display_remaining()
        # The crash: the app is thrown away with the session running, never ended.
        assert run.session.running

    again = make_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, HomeScreen)
        await pilot.press("r")
        await settle(pilot)
        back = again.screen
        assert isinstance(back, RunScreen)
        assert back.session.state is State.PAUSED
        assert back.session.index == 1
        assert abs(back.session.display_remaining() - expected) < 2
        assert countdown_text(back) == clock_text(back.session.display_seconds())


# -- 80x24 ------------------------------------------------------------------------------------


async def open_clarifying_step(pilot: Pilot, clock) -> RunScreen:
    """A Consultancy at its second step, with prompts, a note box and the focusing question."""
    run = await start_session(pilot, "consultancy", answers=ANSWERS)
    await advance(pilot, clock, 9 * 60 + 40)
    await pilot.press("n")
    await settle(pilot)
    await advance(pilot, clock, 95)
    return run


@sync
async def test_on_a_wide_screen_the_plan_shows_whole_step_titles(make_app, clock):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        run = await start_session(pilot, "atlas-looking-at-data")
        plan = run.query_one(PlanView)
        narrow = plain(plan)
        assert "…" in narrow  # 120 columns: the longest titles are cut
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        wide = plain(plan)
        for step_run in run.session.runs:
            assert step_run.step.title in wide, (step_run.step.title, wide)


@sync
async def test_at_80x24_the_facilitator_sees_what_the_meeting_needs(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await open_clarifying_step(pilot, clock)
        step = run.session.current.step
        assert step.prompts and step.capture
        for selector in ("#countdown-digits", "#step-title", "#speakers", "#focus", "#prompts"):
            assert shown(run, run.query_one(selector)), selector
        assert FOCUS.split()[-1] in plain(run.query_one("#focus", Static))
        # How far through the meeting we are, in one line.
        top = plain(run.query_one("#step-heading", Static)) + plain(
            run.query_one("#clock-info", Static)
        )
        assert "Step 2 of 6" in top and "of 50 min" in top

        # Every prompt can be reached by scrolling the prompts: the countdown never moves.
        clock_region = run.query_one("#countdown-digits").region
        scroll = run.query_one("#run-scroll")
        scroll.scroll_end(animate=False)
        await settle(pilot)
        assert run.query_one("#countdown-digits").region == clock_region
        assert shown(run, run.query_one("#countdown-digits"))

        assert quit_key_shown(run)


# -- snapshots --------------------------------------------------------------------------------

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((160, 45), id="160x45"),
]


@pytest.mark.parametrize("size", SIZES)
def test_run_prompts_snapshot(snap_compare, make_app, clock, size):
    """The clarifying round: the focusing question, who speaks, the prompts and a note box."""
    app = make_app()
    app.animation_level = "none"

    async def run_before(pilot: Pilot) -> None:
        entry = next(e for e in app.context.library if e.id == "consultancy")
        app.open_setup(entry)
        await pilot.pause()
        app.screen.query_one("#setup-focus", Input).value = FOCUS
        app.screen.query_one("#setup-dilemma", TextArea).text = "Six or seven students answer."
        await still(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        clock.advance(9 * 60 + 40)
        app.screen.tick()
        await pilot.press("f8")
        await pilot.pause()
        clock.advance(95)
        app.screen.tick()
        app.clear_notifications()
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
