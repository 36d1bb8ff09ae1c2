"""Home says when files of the record were left out, instead of leaving them out in silence."""

from __future__ import annotations

from textual.widgets import Static
from ui_flow import settle, sync


@sync
async def test_home_says_how_many_files_were_left_out(make_app) -> None:
    app = make_app()
    sessions = app.context.record.sessions_dir / "2026"
    (sessions / "broken.toml").write_text("x = [[[[")
    (sessions / "gone.toml").symlink_to(sessions / "moved.toml")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        banner = app.screen.query_one("#home-problems", Static)
        assert banner.display
        assert str(banner.render()) == (
            "⚠ 2 files in the record could not be read and are left out: press c to see which"
        )


@sync
async def test_home_shows_no_banner_for_a_sound_record(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#home-problems", Static).display
