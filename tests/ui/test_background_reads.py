"""Reading the record off the UI thread (``ui/reading.py``): setup, members, timing and the
record browser's preview stay answerable while a large record is read, and show what was read,
the latest read winning.

The record here is a real demo record behind ``SlowRecord``: too large to read at once, and
held by the test so that a read in a thread waits until it is released. A read on the UI thread
is not made to wait (the app would freeze, and the test with it): it is counted, and every test
asserts there was none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from textual.widgets import DataTable, Input, Static, TextArea
from ui_flow import settle, sync, workers_done

from protocolrunner.core.record.folder import SMALL_RECORD, Record
from protocolrunner.core.record.models import SessionRecord
from protocolrunner.core.session.roles import propose_fair
from protocolrunner.ui.app import ProtocolRunnerApp
from protocolrunner.ui.reading import read_then_show
from protocolrunner.ui.screens.record_members import MembersScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen
from protocolrunner.ui.screens.record_timing import TimingScreen
from protocolrunner.ui.screens.setup import SetupScreen
from protocolrunner.ui.styles import match_style

SIZE = (100, 40)
RELEASE_GUARD = 60
"""Seconds a held read waits at most: a test that never releases fails instead of hanging."""


class SlowRecord(Record):
    """A record too large to read at once, whose sessions cannot be read while it is held."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._released = threading.Event()
        self._released.set()
        self.ui_thread_reads = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Reads in a thread wait until the block ends (a failing assertion ends it too)."""
        self._released.clear()
        try:
            yield
        finally:
            self._released.set()

    def is_small(self, limit: int = SMALL_RECORD) -> bool:
        return False

    def _wait(self) -> None:
        if self._released.is_set():
            return
        if threading.current_thread() is threading.main_thread():
            self.ui_thread_reads += 1
        else:
            assert self._released.wait(RELEASE_GUARD), "the test never released the record"

    @property
    def sessions_dir(self) -> Path:
        self._wait()
        return super().sessions_dir

    def load_session(self, path: Path, *, followthrough: bool = True) -> SessionRecord:
        self._wait()
        return super().load_session(path, followthrough=followthrough)


def slow_app(make_app) -> tuple[ProtocolRunnerApp, SlowRecord]:
    app = make_app()
    record = SlowRecord(app.context.record.root)
    app.context.record = record
    return app, record


@sync
async def test_setup_proposes_fair_roles_once_the_history_is_read_and_answers_keys_meanwhile(
    make_app,
) -> None:
    app, record = slow_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entry = next(e for e in app.context.library if e.id == "consultancy")
        with record.held():
            app.open_setup(entry)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SetupScreen)
            # No proposal yet, rather than one made without the history, or "nobody" in all.
            summary = str(screen.query_one("#roles-summary", Static).content)
            assert "reading who held which role" in summary and "nobody" not in summary
            assert screen.roles == {}
            # The screen answers keys while the record is read.
            focused = app.focused
            assert isinstance(focused, Input | TextArea)
            await pilot.press("x")
            assert (focused.value if isinstance(focused, Input) else focused.text) == "x"
            await pilot.press("backspace")
        await workers_done(pilot)
        assert record.ui_thread_reads == 0
        expected = propose_fair(entry.protocol, screen.present, record.history())
        assert screen.roles == expected.roles and screen.reasons == expected.reasons
        assert "reading" not in str(screen.query_one("#roles-summary", Static).content)
        # The proposal came by itself: the form is as setup opened it, so Escape leaves at once.
        screen.set_focus(None)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, SetupScreen)


@sync
async def test_members_and_timing_of_a_large_record_fill_in_once_read(make_app) -> None:
    app, record = slow_app(make_app)
    expected_sessions = len(record.history())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with record.held():
            app.open_members()
            await settle(pilot)
            members = app.screen
            assert isinstance(members, MembersScreen)
            title = str(members.query_one("#members-title", Static).content)
            assert "reading the record" in title
            assert members.query_one(DataTable).row_count == 0
        await workers_done(pilot)
        title = str(members.query_one("#members-title", Static).content)
        assert f"{expected_sessions} sessions" in title
        assert members.query_one(DataTable).row_count == len(members.histories) > 0

        await pilot.press("escape")
        with record.held():
            app.open_timing("consultancy")
            await settle(pilot)
            timing = app.screen
            assert isinstance(timing, TimingScreen)
            summary = str(timing.query_one("#timing-summary", Static).content)
            assert "Reading the record" in summary
        await workers_done(pilot)
        assert timing.sessions > 0 and timing.timings
        assert "session" in str(timing.query_one("#timing-summary", Static).content)
        assert record.ui_thread_reads == 0


@sync
async def test_the_browser_preview_reads_the_match_in_a_thread_and_shows_the_latest(
    make_app,
) -> None:
    app, record = slow_app(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_record_browser()
        await workers_done(pilot)
        screen = app.screen
        assert isinstance(screen, RecordSessionsScreen) and screen.pages is not None
        preview = screen.query_one("#record-preview", Static)
        with record.held():
            app.context.clock.advance(1)  # a pause before the first key: the search runs now
            screen.query_one("#record-search", Input).value = "students"
            await settle(pilot)
            assert screen.pages is not None and len(screen.pages.rows) >= 3
            # Down twice while the first match is still being read: the keys are answered.
            await pilot.press("down", "down")
            assert screen.query_one(DataTable).cursor_row == 2
            assert "match: " not in str(preview.content)
        await workers_done(pilot)
        assert record.ui_thread_reads == 0
        # The preview is the third session's, with its match: the earlier reads were dropped.
        row = screen.pages.rows[2]
        lines = str(preview.content).split("\n")
        assert lines[0] == " ".join(row.focus.split())
        assert lines[1].startswith("match: ") and "student" in lines[1].lower()
        style = match_style(screen)
        assert any(span.style == style for span in preview.content.spans)


@sync
async def test_a_failed_read_is_told_and_the_fallback_shown(make_app) -> None:
    app = make_app()
    told: list[str] = []
    app.notify = lambda message, **kwargs: told.append(message)  # type: ignore[method-assign]

    def read() -> list[str]:
        raise OSError("disk on fire")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown: list[list[str]] = []
        read_then_show(app.screen, read, shown.append, group="t", fallback=list, at_once=True)
        assert shown == [[]] and told == ["Could not read the record: disk on fire"]
        read_then_show(app.screen, read, shown.append, group="t", fallback=list, failure="No luck")
        # The demo record is small: read at once, on this thread.
        assert shown == [[], []] and told[-1] == "No luck: disk on fire"
        read_then_show(app.screen, lambda: ["read"], shown.append, group="t", fallback=list)
        assert shown[-1] == ["read"]
        read_then_show(
            app.screen, lambda: ["later"], shown.append, group="t", fallback=list, at_once=False
        )
        assert shown[-1] == ["read"]
        await workers_done(pilot)
        assert shown[-1] == ["later"]
