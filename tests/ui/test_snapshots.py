"""Snapshots of the facilitator app's screens, each at 80x24 and at 160x45.

Time never passes by itself here: the app runs on the frozen ``clock`` fixture and the tests move
it with ``clock.advance``, then ask the run screen to read the session at once (``tick``), so
nothing depends on how fast the machine is. Cursor blinking is switched off and notifications
stay up for as long as a snapshot takes, so every run draws the same picture.

Update after a deliberate visual change with
``.venv/bin/python -m pytest tests/ui/test_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from ui_flow import advance, still

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((160, 45), id="160x45"),
]

FOCUS = "How can I get my quieter Year 9 students to join whole-class discussions?"
DILEMMA = (
    "Six or seven students answer every question. I have tried cold calling and "
    "think-pair-share, but the same voices still dominate."
)
DISCUSSION_STEP = 3  # Consultancy's "Group discussion": consultants speak, the presenter is silent.


@pytest.fixture
def app(make_app):
    app = make_app()
    # Toasts normally vanish after a few seconds of real time: keep them for the snapshot.
    app.NOTIFICATION_TIMEOUT = 3600
    app.animation_level = "none"
    return app


async def open_consultancy_setup(pilot: Pilot) -> None:
    app = pilot.app
    entry = next(e for e in app.context.library if e.id == "consultancy")
    app.open_setup(entry)
    await pilot.pause()
    app.screen.query_one("#setup-focus", Input).value = FOCUS
    app.screen.query_one("#setup-dilemma", TextArea).text = DILEMMA
    await still(pilot)


async def start_consultancy(pilot: Pilot) -> None:
    await open_consultancy_setup(pilot)
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert type(pilot.app.screen).__name__ == "RunScreen"


async def go_to_discussion(pilot: Pilot, clock) -> None:
    """Start a Consultancy and move to the group discussion, spending time on each step."""
    await start_consultancy(pilot)
    # Overview a little short, clarifying questions over, probing on time.
    for seconds in (9 * 60 + 40, 5 * 60 + 50, 10 * 60):
        clock.advance(seconds)
        pilot.app.screen.tick()
        await pilot.press("f8")
        await pilot.pause()
    assert pilot.app.screen.session.index == DISCUSSION_STEP
    # The earlier steps' time-up toasts would have gone by now (they are kept for an hour here).
    pilot.app.clear_notifications()


# -- home and setup ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=still)


@pytest.mark.parametrize("size", SIZES)
def test_setup_consultancy(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=open_consultancy_setup)


# -- run ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_run_running(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        await advance(pilot, clock, 6 * 60 + 30)  # 08:30 left of 15:00
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_warning(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        await advance(pilot, clock, 14 * 60 + 20)  # 00:40 left; the warning starts at 01:00
        await still(pilot)
        assert pilot.app.screen.session.state.value == "warning"

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_overtime(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        await advance(pilot, clock, 15 * 60 + 83)  # +01:23, the time-up toast is up
        await still(pilot)
        assert pilot.app.screen.session.state.value == "overtime"

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_paused(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        await advance(pilot, clock, 6 * 60 + 30)
        await still(pilot)
        await pilot.press("f5")
        await advance(pilot, clock, 45)  # a paused countdown does not move
        await still(pilot)
        assert pilot.app.screen.session.state.value == "paused"

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_run_projector(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        await advance(pilot, clock, 6 * 60 + 30)
        await still(pilot)
        await pilot.press("f2")
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# -- summary -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_summary(snap_compare, app, clock, size):
    async def run_before(pilot: Pilot) -> None:
        await go_to_discussion(pilot, clock)
        editor = pilot.app.screen.query_one("#note-3-discussion-points", TextArea)
        editor.text = "Assumption: quiet means disengaged. Try: roles in small-group talk first."
        await pilot.pause()
        for seconds in (14 * 60 + 10, 5 * 60 + 30, 4 * 60):
            clock.advance(seconds)
            pilot.app.screen.tick()
            await pilot.press("f8")
            await pilot.pause()
        await pilot.press("y")  # "End the session?" after the last step
        await pilot.pause()
        screen = pilot.app.screen
        assert type(screen).__name__ == "SummaryScreen"
        pilot.app.clear_notifications()
        screen.query_one("#action-text", Input).value = "Try roles in small groups for two weeks"
        screen.query_one("#action-owner", Input).value = "Ana"
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
