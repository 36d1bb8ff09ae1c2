"""Follow-through in the app: open action items on home and in setup, marked and written back."""

from __future__ import annotations

from datetime import date

from textual.widgets import OptionList
from ui_flow import pick_protocol, settle, sync

from protocolrunner.core.record.folder import session_toml
from protocolrunner.core.record.followthrough import load_open_items
from protocolrunner.core.record.models import RecordedAction
from protocolrunner.ui.widgets.followthrough import FollowThrough

TODAY = date(2026, 10, 1)  # the frozen clock's day


def first_open(app):
    return load_open_items(app.context.record, today=TODAY)


@sync
async def test_home_lists_open_items_and_marks_one_done(make_app) -> None:
    app = make_app()
    expected = first_open(app)
    assert expected, "the demo record has open action items"
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#home-followthrough", FollowThrough)
        assert panel.display and panel.loaded
        assert [i.text for i in panel.shown] == [i.text for i in expected]
        listing = panel.query_one(OptionList)
        listing.focus()
        await pilot.press("space")
        await settle(pilot)
        item = expected[0]
        record = app.context.record
        action = record.load_session(item.path).actions[item.position]
        assert action.done is True and action.reviewed == TODAY
        assert [i.text for i in panel.shown] == [i.text for i in expected[1:]]
        # Carry the next one forward: it stays, with a note, and the record says so.
        await pilot.press("f")
        await settle(pilot)
        carried = expected[1]
        assert record.load_session(carried.path).actions[carried.position].status == "carried"
        assert "carried forward 1 Oct" in str(listing.get_option_at_index(0).prompt)
        await pilot.press("x")
        await settle(pilot)
        assert record.load_session(carried.path).actions[carried.position].status == "dropped"
        # Three reviews, three files; the sessions' own files are as they were saved.
        assert len(list(record.followthrough_dir.rglob("*.toml"))) == 3
        assert len(panel.shown) == len(expected) - 2


@sync
async def test_markup_like_action_text_is_literal(make_app) -> None:
    app = make_app()
    record = app.context.record
    path, _ = record.load_sessions().sessions[0]

    rec = record.load_session(path)
    item = RecordedAction(text="[bold]Try[/] [$error]x [/", owner="[b]Kim")
    path.write_text(session_toml(rec.model_copy(update={"actions": [item, *rec.actions]})))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one("#home-followthrough OptionList", OptionList)
        prompt = str(listing.get_option_at_index(0).prompt)
        assert "[bold]Try[/] [$error]x [/" in prompt and "[b]Kim" in prompt


@sync
async def test_setup_shows_items_of_the_people_present(make_app) -> None:
    app = make_app()
    expected = first_open(app)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        setup = await pick_protocol(pilot, "consultancy")
        panel = setup.query_one("#setup-followthrough", FollowThrough)
        assert [i.text for i in panel.shown] == [i.text for i in expected]
        owner = expected[0].owner
        attendees = setup.query_one("#attendees")
        attendees.deselect(owner)
        await settle(pilot)
        assert all(i.owner != owner for i in panel.shown)
        assert len(panel.shown) < len(expected)
