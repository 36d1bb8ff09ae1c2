"""Snapshots of the members and community views, at 80x24 and 160x45, on the frozen clock.

Update after a deliberate visual change with
``.venv/bin/python -m pytest tests/ui/test_record_views_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from ui_flow import still

SIZES = [
    pytest.param((80, 24), id="80x24"),
    pytest.param((160, 45), id="160x45"),
]


@pytest.fixture
def app(make_app):
    app = make_app()
    app.NOTIFICATION_TIMEOUT = 3600
    app.animation_level = "none"
    return app


async def open_members(pilot: Pilot) -> None:
    await still(pilot)
    pilot.app.open_members()
    await still(pilot)


async def open_community(pilot: Pilot) -> None:
    await still(pilot)
    pilot.app.open_community()
    await still(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_members(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=open_members)


@pytest.mark.parametrize("size", SIZES)
def test_community(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=open_community)
