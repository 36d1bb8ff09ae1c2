"""Help and the palette read from the bindings; the home list at 80x24; wording on record views.

Driven with Pilot over the demo record on the frozen clock (issue 13, items 10, 11 and 12).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Header, Input, OptionList, Static
from ui_flow import quit_key_shown, recording_notifications, settle, start_session, still, sync

from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import write_demo
from protocolrunner.ui.app import ProtocolRunnerApp
from protocolrunner.ui.dialogs.help import HelpDialog
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.screens.record_members import MembersScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen
from protocolrunner.ui.screens.record_timing import TimingScreen

SMALL = (80, 24)
BUNDLED_COUNT = 9


def help_text(app: ProtocolRunnerApp) -> str:
    dialog = app.screen
    assert isinstance(dialog, HelpDialog), dialog
    return "\n".join(str(s.render()) for s in dialog.query(Static))


def quit_key_fits(app: ProtocolRunnerApp, width: int) -> bool:
    keys = [k for k in app.screen.query("FooterKey") if getattr(k, "action", "").endswith("quit")]
    return any(k.region.width and k.region.right <= width for k in keys)


async def open_first_recorded_session(pilot: Pilot) -> RecordDetailScreen:
    """Home -> the record browser (c) -> the newest session (Enter)."""
    await settle(pilot)
    await pilot.press("c")
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, RecordDetailScreen)
    return detail


# -- help ----------------------------------------------------------------------------------------


@sync
async def test_help_on_home_lists_the_screen_its_lists_and_everywhere(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        text = help_text(app)
        # The home screen's own keys, those off the footer too.
        for words in ("Set up", "Record", "Members", "Community", "Timing", "Sync the record"):
            assert words in text, words
        # The follow-through list's keys work while it has focus: help names them.
        for words in ("Done", "Carry forward", "Drop"):
            assert words in text, words
        assert "space" in text
        # Keys that work everywhere, the palette among them.
        assert "Quit" in text and "^p" in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


@sync
async def test_help_on_run_has_one_line_per_action(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await start_session(pilot, "consultancy")
        await pilot.press("f1")
        await settle(pilot)
        lines = help_text(app).splitlines()
        pause = [line for line in lines if "Pause" in line or "Resume" in line]
        assert len(pause) == 1, pause
        assert "Resume" in pause[0] and "f5" in pause[0].lower() and "space" in pause[0]
        nexts = [line for line in lines if "Next" in line]
        assert len(nexts) == 1 and "f8" in nexts[0].lower() and " n " in nexts[0] + " ", nexts
        await pilot.press("escape", "f5")  # paused now: still one line
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        lines = help_text(app).splitlines()
        assert len([line for line in lines if "Pause" in line or "Resume" in line]) == 1


@sync
async def test_help_on_community_lists_the_member_list_keys(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        text = help_text(app)
        assert "Remove member" in text and "del" in text
        assert "Save" in text


def test_help_snapshot_on_home(snap_compare, make_app) -> None:
    app = make_app()
    app.animation_level = "none"

    async def open_help(pilot: Pilot) -> None:
        await still(pilot)
        await pilot.press("f1")
        await still(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=open_help)


# -- home ----------------------------------------------------------------------------------------


@pytest.fixture
def demo_app(tmp_path: Path, clock):
    """The app over the record ``protocolrunner demo DIR`` writes (40 sessions)."""
    from datetime import datetime, timedelta, timezone

    from protocolrunner.ui.context import build_context

    root = tmp_path / "demo"
    end = datetime(2026, 11, 17, 15, 30, tzinfo=timezone(timedelta(hours=1)))
    write_demo(root, load_library(default_sources()), sessions=40, end=end)

    def make() -> ProtocolRunnerApp:
        context = build_context(
            root, clock=clock, journal_dir=tmp_path / "journal", export_dir=tmp_path / "exports"
        )
        return ProtocolRunnerApp(context)

    return make


@sync
async def test_home_shows_every_protocol_at_80x24(demo_app) -> None:
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await still(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        library = home.query_one("#library", OptionList)
        assert library.option_count == BUNDLED_COUNT
        assert home.query_one("#home-followthrough").display  # the demo has open items
        # One line each, all of them inside the list's window.
        assert library.virtual_size.height <= library.scrollable_content_region.height
        assert library.region.bottom <= SMALL[1] - 1  # above the footer
        labels = [str(library.get_option_at_index(i).prompt) for i in range(BUNDLED_COUNT)]
        assert any(label.startswith("Tuning") for label in labels)
        assert all("\n" not in label for label in labels)


@sync
async def test_home_footer_keeps_quit_at_80_columns(demo_app) -> None:
    first = demo_app()
    async with first.run_test(size=SMALL) as pilot:
        await still(pilot)
        assert quit_key_fits(first, SMALL[0])
        # With the follow-through list's keys in the footer too.
        first.screen.query_one("#followthrough-items").focus()
        await settle(pilot)
        assert quit_key_fits(first, SMALL[0])
        first.screen.query_one("#library").focus()
        await start_session(pilot, "consultancy")
        # The app stops with the session running: the next start offers to resume it.
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await still(pilot)
        assert app.screen.query_one("#resume-banner").display
        assert quit_key_fits(app, SMALL[0])


@sync
async def test_the_title_names_the_community(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        header = app.screen.query_one(Header)
        assert header.screen_sub_title == app.context.community.name
        assert "record" not in f"{header.screen_title} {header.screen_sub_title}"
        # The browser and the members view say it too.
        await pilot.press("m")
        await settle(pilot)
        assert app.screen.query_one(Header).screen_sub_title == app.context.community.name


# -- record views --------------------------------------------------------------------------------


@sync
async def test_members_header_says_what_the_places_mean_in_one_line_each(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MembersScreen)
        title = screen.query_one("#members-title", Static)
        text = str(title.render())
        assert "rotation setup uses" not in text
        assert "#1" in text and "first" in text
        assert title.size.height == len(text.splitlines())  # no line wraps at 80 columns
        assert screen.query_one(DataTable).row_count > 0


@sync
async def test_timing_legend_and_durations(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimingScreen)
        table = screen.query_one("#timing-table", Static)
        lines = str(table.render()).splitlines()
        assert "Median" in lines[0] and "┃ plan" in lines[1]
        # Every line fits: none wraps onto the next.
        assert all(len(line) <= table.content_region.width for line in lines), lines[:2]
        summary = str(screen.query_one("#timing-summary", Static).render())
        assert " min" not in summary and "~" not in summary


@sync
async def test_export_toast_says_it_once(make_app) -> None:
    app = make_app()
    shown = recording_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_recorded_session(pilot)
        await pilot.press("e")
        await settle(pilot)
        title, message = shown[-1]
        assert f"{title} {message}".count("Exported") == 1, shown[-1]
        assert message.endswith(".md")


@sync
async def test_a_recorded_session_at_80x24_keeps_quit_on_the_footer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        detail = await open_first_recorded_session(pilot)
        assert quit_key_shown(detail)
        # The palette names the footer's short words in full, from the same bindings.
        commands = {c.title: c.help for c in app.get_system_commands(detail)}
        assert commands["Export Markdown"] == "Write this session as Markdown"
        assert "Export JSON" in commands and "Copy Markdown" in commands
        assert "Back" not in commands


@sync
async def test_an_invalid_date_in_the_filter_is_told(make_app) -> None:
    app = make_app()
    shown = recording_notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RecordSessionsScreen)
        field = screen.query_one("#filter-since", Input)
        field.focus()
        await pilot.pause()
        for ch in "2026-13-45":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot)
        assert field.has_class("-invalid"), (field.value, screen.pages)
        told = [m for _, m in shown if "2026-13-45" in m]
        assert told and "YYYY-MM-DD" in told[-1], shown
        count = str(screen.query_one("#record-count", Static).render())
        assert "date" in count
