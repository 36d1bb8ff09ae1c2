"""The summary's layout at the sizes a meeting room has: the action item row fits 80 columns,
and step titles are shown whole, wrapped when the screen is narrow (issue 13, #11)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Button, Static
from ui_flow import end_meeting, settle, start_session, sync

from protocolrunner.ui.screens.summary import SummaryScreen
from protocolrunner.ui.widgets.notes import NoteEditor

# ATLAS has the longest step titles of the bundled protocols.
LONG_TITLE = "Interpreting the data: what does it suggest?"


async def atlas_summary(pilot: Pilot) -> SummaryScreen:
    await start_session(pilot, "atlas-looking-at-data")
    return await end_meeting(pilot)


def timing_lines(summary: SummaryScreen) -> list[str]:
    table = summary.query_one("#timing", Static)
    return [strip.text.rstrip() for strip in table.render_lines(table.region.reset_offset)]


@sync
async def test_the_add_button_fits_80_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await atlas_summary(pilot)
        add = summary.query_one("#action-add", Button)
        add.scroll_visible(animate=False, immediate=True)
        await settle(pilot)
        assert summary.region.contains_region(add.region), add.region
        assert "Add" in str(add.label)


@sync
async def test_a_long_step_title_is_shown_whole_at_160_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        summary = await atlas_summary(pilot)
        lines = timing_lines(summary)
        assert any(line.startswith(LONG_TITLE) for line in lines), lines
        # The numbers stay in their columns, one row per step.
        total = next(line for line in lines if line.startswith("Total"))
        assert total.split()[1:] == ["50:00", "50:00", "0:00"]


@sync
async def test_a_long_step_title_wraps_at_80_columns(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await atlas_summary(pilot)
        lines = timing_lines(summary)
        text = " ".join(line.split("  ")[0].strip() for line in lines)
        assert LONG_TITLE in text, lines
        assert not any("…" in line for line in lines), lines
        width = summary.query_one("#timing", Static).size.width
        assert all(len(line) <= width for line in lines), lines


@sync
async def test_the_footer_keeps_its_order_whatever_has_focus(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        summary = await atlas_summary(pilot)

        def footer_actions() -> list[str]:
            return [getattr(key, "action", "") for key in summary.query("FooterKey")]

        summary.set_focus(None)
        await settle(pilot)
        unfocused = footer_actions()
        assert unfocused[:3] == ["save", "export", "home"], unfocused
        summary.query_one(NoteEditor).focus()  # a TextArea: it binds ctrl+e and ctrl+w too
        await settle(pilot)
        assert footer_actions()[:3] == unfocused[:3]
