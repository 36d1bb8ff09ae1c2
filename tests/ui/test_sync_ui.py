"""Sync from the app: one key on home and in the browser, the result in words, and the screens
showing what came in."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from ui_flow import settle, sync

from protocolrunner.core.record import sync as record_sync
from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.models import RecordedProtocol, SessionRecord
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.slow,
]


def heard(app) -> list[tuple[str, str]]:
    """Record every notification the app shows, as (title, message)."""
    said: list[tuple[str, str]] = []
    notify = app.notify

    def hear(message, *, title="", **kwargs):
        said.append((title, str(message)))
        return notify(message, title=title, **kwargs)

    app.notify = hear
    return said


async def finish_sync(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await settle(pilot)
    await app.workers.wait_for_complete()
    await settle(pilot)


@sync
async def test_s_in_the_browser_syncs_and_shows_the_others_sessions(make_app, tmp_path) -> None:
    app = make_app()
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(hub)], check=True)
    record_sync.init(app.context.record, str(hub))
    record_sync.sync(app.context.record)
    other = Record.open(tmp_path / "school-b")
    record_sync.init(other, str(hub))
    started = datetime(2026, 9, 29, 16, 0, tzinfo=timezone(timedelta(hours=1)))
    other.save_session(
        SessionRecord(
            id="0000beef",
            status="completed",
            started=started,
            ended=started + timedelta(minutes=45),
            protocol=RecordedProtocol(id="tuning", title="Tuning"),
        )
    )
    record_sync.sync(other)
    said = heard(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await finish_sync(app, pilot)
        browser = app.screen
        assert isinstance(browser, RecordSessionsScreen)
        assert browser.total == 8
        await pilot.press("s")
        await finish_sync(app, pilot)
        assert browser.total == 9
        [result] = [message for title, message in said if title == "Synced"]
        assert result == "sent: nothing new; received: 1 session (Tuning 29 Sep)"


@sync
async def test_s_on_home_in_a_record_not_shared_says_what_to_do(make_app) -> None:
    app = make_app()
    said = heard(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await finish_sync(app, pilot)
        [(_, message)] = [item for item in said if item[0] == "Not synced"]
        assert "record sync --init URL" in message
