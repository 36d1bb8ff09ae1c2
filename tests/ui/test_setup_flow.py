"""Setup with the keyboard alone: every role picker seen and reached with Tab, a role picked by
hand, Escape that never drops what was typed, a focus mark on every Tab stop, and the plan.

The snapshots of the roles area are here too (a picker has focus, so the area is in view).
Update them after a deliberate visual change with
``.venv/bin/python -m pytest tests/ui/test_setup_flow.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

import re

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, SelectionList, Static
from ui_flow import (
    add_guest,
    move,
    plain,
    quit_key_shown,
    settle,
    still,
    sync,
    type_text,
    untick,
)

from protocolrunner.ui.dialogs.confirm import ConfirmDialog
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.setup import SetupScreen
from protocolrunner.ui.widgets.followthrough import ActionItemList

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]
PROTOCOLS = ["consultancy", "tuning", "atlas-looking-at-data"]


async def open_setup(pilot: Pilot, protocol_id: str) -> SetupScreen:
    app = pilot.app
    app.animation_level = "none"
    await settle(pilot)
    app.open_setup(app.context.library.resolve(protocol_id))
    await settle(pilot)
    setup = app.screen
    assert isinstance(setup, SetupScreen)
    return setup


async def tab_to(pilot: Pilot, wanted) -> Widget:
    """Press Tab until a widget for which ``wanted(widget)`` holds has focus."""
    for _ in range(len(pilot.app.screen.focus_chain) + 1):
        await pilot.press("tab")
        await settle(pilot)
        focused = pilot.app.focused
        if focused is not None and wanted(focused):
            return focused
    raise AssertionError("Tab never reached it")


def pickers(setup: SetupScreen) -> list[Select]:
    return list(setup.query(Select))


def picker_for(setup: SetupScreen, role_id: str, slot: int = 0) -> Select:
    return next(p for p in pickers(setup) if (p.role_id, p.slot) == (role_id, slot))


def covers(app, widget: Widget) -> bool:
    """Whether every row of ``widget`` is on screen and nothing else is drawn over it."""
    region = widget.region
    if region.height == 0 or not app.screen.region.contains_region(region):
        return False
    for y in range(region.y, region.bottom):
        for x in (region.x, region.right - 1):
            shown, _ = app.get_widget_at(x, y)
            if shown is not widget and widget not in shown.ancestors:
                return False
    return True


# -- #1: roles by hand -------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("protocol_id", PROTOCOLS)
@sync
async def test_every_role_picker_is_in_view_when_tab_reaches_it(make_app, protocol_id, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        setup = await open_setup(pilot, protocol_id)
        wanted = pickers(setup)
        assert wanted
        reached = []
        for _ in range(len(setup.focus_chain)):
            await pilot.press("tab")
            await settle(pilot)
            if isinstance(app.focused, Select):
                picker = app.focused
                reached.append(picker)
                assert picker.region.height == 3, picker.region
                assert covers(app, picker), (picker.role_id, picker.slot, picker.region)
        assert reached == wanted


@sync
async def test_a_role_picked_by_hand_moves_the_rest(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        before = {role: list(names) for role, names in setup.roles.items()}
        [presenter] = before["presenter"]
        newcomer = before["consultants"][2]
        picker = await tab_to(pilot, lambda w: w is picker_for(setup, "presenter"))
        await pilot.press("enter")
        await settle(pilot)
        # The list offers "nobody" first, then the people present in order.
        await move(pilot, "home", *["down"] * (setup.present.index(newcomer) + 1))
        await pilot.press("enter")
        await settle(pilot)
        assert picker.value == newcomer
        assert setup.roles["presenter"] == [newcomer]
        assert setup.roles["facilitator"] == before["facilitator"]
        # The former presenter is a consultant now; the new one is not.
        assert presenter in setup.roles["consultants"]
        assert newcomer not in setup.roles["consultants"]
        assert setup.reasons["presenter"] == "chosen by hand"
        summary = plain(setup.query_one("#roles-summary", Static))
        assert f"Presenter: {newcomer}" in summary
        assert presenter in summary.split("Consultants:")[1]

        # The presenter is picked to facilitate: presenting falls to nobody, and the line no
        # longer gives the old proposal's reason, which named someone else.
        facilitator_picker = await tab_to(pilot, lambda w: w is picker_for(setup, "facilitator"))
        await pilot.press("enter")
        await settle(pilot)
        await move(pilot, "home", *["down"] * (setup.present.index(newcomer) + 1))
        await pilot.press("enter")
        await settle(pilot)
        assert facilitator_picker.value == newcomer and setup.roles["presenter"] == []
        summary = plain(setup.query_one("#roles-summary", Static))
        assert summary.splitlines()[0] == "Presenter: nobody", summary


# -- #2: Escape --------------------------------------------------------------------------------


@sync
async def test_escape_leaves_the_box_then_asks_before_dropping_what_was_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        focus = setup.query_one("#setup-focus", Input)
        assert app.focused is focus
        await type_text(pilot, "How can I help?")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is setup and app.focused is None, "Escape first leaves the box"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is setup and focus.value == "How can I help?"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


@sync
async def test_escape_asks_when_who_is_here_changed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        await untick(pilot, setup, [setup.present[-1]])
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)


@sync
async def test_quit_stays_on_the_footer_with_the_follow_through_list_focused(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        items = await tab_to(pilot, lambda w: isinstance(w, ActionItemList))
        assert items.option_count  # the demo record has open action items
        assert quit_key_shown(setup)
        await pilot.press("f1")  # their keys are still told, in help
        await settle(pilot)
        assert "Carry forward" in "\n".join(str(s.render()) for s in app.screen.query(Static))


@sync
async def test_who_is_here_says_unticked_without_colour(make_app):
    """An unticked person's box shows no X: its glyph is drawn in its background's colour."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        absent = setup.present[-1]
        await untick(pilot, setup, [absent])
        attendees = setup.query_one("#attendees", SelectionList)
        attendees.focus()
        await settle(pilot)
        for row in range(attendees.option_count):
            name = str(attendees.get_option_at_index(row).prompt)
            attendees.highlighted = row  # the highlighted row has a style of its own
            await settle(pilot)
            button = list(attendees.render_line(row - attendees.scroll_offset.y))[1]
            assert button.text == "X" and button.style is not None
            drawn = button.style.color != button.style.bgcolor
            assert drawn == (name != absent), name


@sync
async def test_escape_asks_when_a_guest_was_added_even_if_unticked(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        await add_guest(pilot, setup, "Visiting Vera")
        await untick(pilot, setup, ["Visiting Vera"])
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)


@sync
async def test_an_untouched_setup_is_left_without_asking(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        assert isinstance(app.focused, Input)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen), app.screen
        assert setup not in app.screen_stack


# -- #9: the keyboard flow ---------------------------------------------------------------------


def drawn(widget: Widget) -> list:
    """What ``widget`` and the widgets inside it draw (a Select's box is its child's)."""
    lines = []
    for part in [widget, *widget.query("*")]:
        width, height = part.outer_size
        lines.append([list(strip) for strip in part.render_lines(Region(0, 0, width, height))])
    return lines


@pytest.mark.parametrize("first_meeting", [False, True], ids=["members", "first-meeting"])
@sync
async def test_every_tab_stop_shows_its_focus(make_app, first_meeting):
    app = make_app(demo=not first_meeting)
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        chain = setup.focus_chain
        assert setup.query_one("#setup-form") not in chain, "the scroll area is no Tab stop"
        attendees = setup.query_one("#attendees", SelectionList)
        assert (attendees in chain) is not first_meeting, "an empty list is no Tab stop"
        for widget in chain:
            widget.focus()
            await settle(pilot)
            focused = drawn(widget)
            setup.set_focus(None)
            await settle(pilot)
            assert drawn(widget) != focused, f"{widget!r} looks the same with focus"
        if first_meeting:
            await add_guest(pilot, setup, "Ana Souza")
            assert attendees in setup.focus_chain


@sync
async def test_the_minutes_box_left_empty_is_no_error(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_setup(pilot, "consultancy")
        minutes = await tab_to(pilot, lambda w: w.id == "minutes")
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused is not minutes
        assert not minutes.has_class("-invalid")
        minutes.focus()
        await type_text(pilot, "x")  # an integer box takes no letters
        await pilot.press("tab")
        await settle(pilot)
        assert not minutes.has_class("-invalid")


@sync
async def test_the_title_shows_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        assert setup.title == "Set up: Consultancy"
        assert "Consultancy" not in plain(setup.query_one("#setup-summary", Static))


# -- #11: the plan -----------------------------------------------------------------------------


@sync
async def test_the_plan_lines_up_with_an_hour_or_more(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = await open_setup(pilot, "consultancy")
        await tab_to(pilot, lambda w: w.id == "minutes")
        await type_text(pilot, "75")
        lines = plain(setup.query_one("#plan-preview", Static)).splitlines()
        assert lines[-1].strip() == "1:15:00  in all"
        starts = {re.match(r"^ *\S+  ", line).end() for line in lines}
        assert len(starts) == 1, lines


# -- snapshots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("protocol_id", ["consultancy", "tuning"])
def test_roles_area(snap_compare, make_app, protocol_id, size):
    app = make_app()
    app.NOTIFICATION_TIMEOUT = 3600

    async def run_before(pilot: Pilot) -> None:
        setup = await open_setup(pilot, protocol_id)
        await tab_to(pilot, lambda w: w is picker_for(setup, "presenter"))
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
