"""A community's first meeting: nobody is a member yet, so the people typed in at setup become
its members, and the next setup already knows them. Later, guests stay guests."""

from __future__ import annotations

from textual.widgets import Input
from ui_flow import settle, start_session, sync

from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.setup import SetupScreen

PEOPLE = ("Ana Souza", "[b]Ben[/b] Okafor", "Cleo Martin", "Dev Patel")


@sync
async def test_the_people_at_a_first_meeting_become_members(make_app) -> None:
    app = make_app(demo=False)
    record = app.context.record
    assert record.load_community().members == []
    told: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kwargs: told.append(message) or notify(message, **kwargs)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        run = await start_session(pilot, "consultancy", guests=PEOPLE)
        assert run.session.attendees == list(PEOPLE)
        assert record.load_community().member_names == list(PEOPLE)
        assert app.context.community.member_names == list(PEOPLE)
        assert "Added 4 people to the community's members" in told

        # The next setup lists them as members, ticked, and no longer says there are none.
        app.pop_screen()
        app.push_screen(HomeScreen())
        await settle(pilot)
        app.open_setup(app.context.library.resolve("tuning"))
        await settle(pilot)
        setup = app.screen
        assert isinstance(setup, SetupScreen)
        assert setup.attendees == list(PEOPLE) and setup.present == list(PEOPLE)
        assert not setup.query("#no-members")
        assert "guest" in str(setup.query_one("#guest", Input).placeholder)


@sync
async def test_guests_of_a_community_with_members_stay_guests(make_app) -> None:
    app = make_app()
    record = app.context.record
    members = record.load_community().member_names
    assert members
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        run = await start_session(pilot, "consultancy", guests=("Visiting Vera",))
        assert "Visiting Vera" in run.session.attendees
    assert record.load_community().member_names == members
