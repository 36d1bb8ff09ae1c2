"""Members, community and timing views, driven with Pilot over the demo record."""

from __future__ import annotations

import tomllib

from textual.widgets import DataTable, Input, Static, TextArea
from ui_flow import settle, sync

from protocolrunner.core.record.members import member_histories
from protocolrunner.core.record.models import Member
from protocolrunner.ui.screens.record_community import CommunityScreen
from protocolrunner.ui.screens.record_members import MembersScreen
from protocolrunner.ui.screens.record_timing import TimingScreen

MARKUP_NAME = "[bold]Kim[/] [$error]x"


@sync
async def test_members_history_numbers(make_app) -> None:
    app = make_app()
    record = app.context.record
    expected = member_histories(
        record.load_community().members, record.history(), ["presenter", "facilitator"]
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MembersScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == len(expected)
        for row, h in enumerate(expected):
            cells = [str(c).strip() for c in table.get_row_at(row)]
            assert cells[0] == h.name
            assert cells[1] == str(h.sessions)
            assert cells[3] == f"#{h.rotation['presenter']}"
            assert cells[4] == f"#{h.rotation['facilitator']}"
        # The demo's eight sessions: everyone came, and the rotation is a permutation.
        assert sorted(int(str(table.get_row_at(r)[3])[1:]) for r in range(len(expected))) == list(
            range(1, len(expected) + 1)
        )
        await pilot.press("down")
        await settle(pilot)
        detail = str(screen.query_one("#member-detail", Static).render())
        assert expected[1].name in detail and "Roles:" in detail


@sync
async def test_markup_like_member_names_are_literal(make_app) -> None:
    app = make_app()
    record = app.context.record
    community = record.update_community(
        lambda c: c.model_copy(update={"members": [*c.members, Member(name=MARKUP_NAME)]})
    )
    app.context.community = community
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_members()
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        names = [str(table.get_row_at(r)[0]) for r in range(table.row_count)]
        assert MARKUP_NAME in names
        app.open_community()
        await settle(pilot)
        listing = app.screen.query_one("#edit-members")
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert any(MARKUP_NAME in p for p in prompts)


@sync
async def test_editing_norms_and_members_round_trips_through_the_file(make_app) -> None:
    app = make_app()
    path = app.context.record.community_path
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CommunityScreen)
        norms = screen.query_one("#edit-norms", TextArea)
        norms.text = "- Hard on the content, soft on the people.\n\n[b]Phones away[/]\n"
        screen.query_one("#edit-purpose", TextArea).text = "Look at student work together."
        # Add a member with a note, then remove the first one with Delete.
        screen.query_one("#member-name", Input).focus()
        await pilot.press(*"Zoe New")
        await pilot.press("tab", *"Art", "enter")
        await settle(pilot)
        screen.query_one("#edit-members").focus()
        await pilot.press("home", "delete")
        await pilot.press("ctrl+s")
        await settle(pilot)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert data["norms"] == ["Hard on the content, soft on the people.", "[b]Phones away[/]"]
        assert data["purpose"] == "Look at student work together."
        names = [m["name"] for m in data["members"]]
        assert "Ana Souza" not in names
        assert data["members"][-1] == {"name": "Zoe New", "note": "Art"}
        assert data["goals"]  # untouched fields stay as they were
        assert app.context.community.norms == data["norms"]
        assert not screen.unsaved


@sync
async def test_invalid_community_is_not_saved_and_says_why(make_app) -> None:
    app = make_app()
    path = app.context.record.community_path
    before = path.read_text(encoding="utf-8")
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        app.open_community()
        await settle(pilot)
        screen = app.screen
        screen.query_one("#edit-name", Input).value = "   "
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = screen.query_one("#community-errors", Static)
        assert errors.display
        assert "Name: must not be empty" in str(errors.render())
        assert path.read_text(encoding="utf-8") == before
        # Leaving asks first: the changes are not saved.
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"


@sync
async def test_timing_view_shows_every_step(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_timing("consultancy")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimingScreen)
        sessions = [
            s
            for _, s in app.context.record.load_sessions().sessions
            if s.protocol.id == "consultancy"
        ]
        assert screen.sessions == len(sessions) > 0
        table = str(screen.query_one("#timing-table", Static).render())
        for step in sessions[0].steps:
            assert step.title[:20] in table
