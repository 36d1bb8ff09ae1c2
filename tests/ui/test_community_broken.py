"""A community.toml that cannot be read (a bad merge, a crashed editor) is never shown as an
empty form one ctrl+s away from wiping it: the problem, and the last good content read-only."""

from __future__ import annotations

from textual.widgets import Input, Static
from ui_flow import settle, sync

from protocolrunner.ui.screens.record_community import CommunityScreen

CONFLICTED = """\
format = 1
<<<<<<< HEAD
name = "Maths CoP"
=======
name = "Maths Community"
>>>>>>> theirs
"""


@sync
async def test_a_conflicted_community_file_shows_the_problem_and_the_last_good_form(
    make_app,
) -> None:
    app = make_app()
    record = app.context.record
    good = record.load_community()  # read whole once on this computer
    record.community_path.write_text(CONFLICTED)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CommunityScreen)
        banner = str(screen.query_one("#community-broken", Static).render())
        assert "community.toml cannot be read" in banner
        assert "community.toml:2:1: TOML syntax" in banner
        assert screen.query_one("#edit-name", Input).value == good.name
        assert screen.query_one("#community-form").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert record.community_path.read_text() == CONFLICTED


@sync
async def test_a_community_file_never_read_whole_still_opens_read_only(make_app) -> None:
    app = make_app()
    record = app.context.record
    record.community_path.write_text(CONFLICTED)
    record._good_copy_path().unlink()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.open_community()
        await settle(pilot)
        assert app.screen.query_one("#community-form").disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert record.community_path.read_text() == CONFLICTED
