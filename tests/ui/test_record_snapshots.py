"""Snapshots of the record browser: the sessions table and one session, at 80x24 and 160x45.

The demo record is fixed (seed, end date) and the app runs on the frozen ``clock`` fixture; the
index is built before each picture is taken and no cursor blinks, so every run draws the same.

Update after a deliberate visual change with
``.venv/bin/python -m pytest tests/ui/test_record_snapshots.py --snapshot-update`` and look at
the SVGs.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from ui_flow import type_search

from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((160, 45), id="160x45"),
]


@pytest.fixture
def app(make_app):
    app = make_app(sessions=30, browse_record=True)
    app.animation_level = "none"
    return app


async def ready(pilot: Pilot) -> None:
    """Wait for the index, then stop every cursor from blinking."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RecordSessionsScreen) and screen.pages is not None
    for field in screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def search(pilot: Pilot, words: str) -> None:
    await pilot.press("slash")
    await type_search(pilot, words)
    await pilot.press("enter")  # back to the table
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_sessions_table(snap_compare, app, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_sessions_table_searching(snap_compare, app, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await search(pilot, "rubric")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_session_detail_with_matches(snap_compare, app, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await search(pilot, "wait time")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RecordDetailScreen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
