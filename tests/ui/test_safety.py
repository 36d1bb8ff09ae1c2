"""What must never go wrong in a meeting: quitting by accident, a key typed into the notes
instead of acting (or acting instead of typing), names shown as markup, a resize that hides the
clock, and actions missing from the command palette."""

from __future__ import annotations

import json

import pytest
from textual.command import CommandList, CommandPalette
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, SelectionList, Static, TextArea
from ui_flow import (
    add_guest,
    advance,
    answer_setup,
    countdown,
    countdown_text,
    end_meeting,
    on_screen,
    pick_protocol,
    plain,
    settle,
    start_session,
    sync,
    type_text,
)

from protocolrunner.core.record.models import Member
from protocolrunner.core.session.engine import State
from protocolrunner.ui.dialogs.confirm import ConfirmDialog
from protocolrunner.ui.dialogs.help import HelpDialog
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.widgets.countdown import clock_text
from protocolrunner.ui.widgets.notes import NoteEditor


def rendered(widget: Widget) -> str:
    """Every line the widget renders (all of it, scrolled into view or not), as plain text."""
    width, height = widget.size
    assert width and height, f"{widget!r} has no size"
    if isinstance(widget, ScrollView):
        # Line-by-line widgets (option lists, text areas): ask for each line of the content.
        widget.scroll_to(0, 0, animate=False, immediate=True)
        strips = [widget.render_line(y) for y in range(widget.virtual_size.height)]
    else:
        strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(strip.text for strip in strips)


def footer_text(screen) -> str:
    """The keys the footer shows (those that fit), as plain text."""
    return " ".join(rendered(key) for key in screen.query("FooterKey") if on_screen(key))


# -- (a) quitting mid-session asks first ------------------------------------------------------


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
@sync
async def test_quitting_mid_session_asks_first(make_app, clock, key) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy")
        session = run.session
        await pilot.press("n")  # the second step keeps notes
        await settle(pilot)
        await advance(pilot, clock, 30)
        await pilot.press("f3")
        await type_text(pilot, "a note")
        assert session.note(1, "clarifying-questions") == "a note"

        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog), "quit must ask during a session"
        await pilot.press("n")  # Stay
        await settle(pilot)
        assert app.screen is run and app.is_running
        assert session.running and session.index == 1
        assert isinstance(app.focused, NoteEditor), "back in the note box"
        await advance(pilot, clock, 5)
        assert countdown_text(run) == clock_text(session.current.budget - 35)
        assert session.note(1, "clarifying-questions") == "a note"

        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")  # Quit
        await settle(pilot)
        assert not app.is_running
    journal = app.context.journal.path_for(session.id)
    assert journal.is_file(), "the journal keeps the session after quitting"
    saved = json.loads(journal.read_text(encoding="utf-8"))["session"]
    assert saved["id"] == session.id
    assert saved["running"] is False  # paused when the app quit
    assert saved["index"] == 1
    assert saved["runs"][1]["elapsed"] == 35
    assert saved["runs"][1]["notes"] == {"clarifying-questions": "a note"}


@sync
async def test_quitting_from_home_does_not_ask(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        assert not app.is_running


@sync
async def test_quitting_from_an_unsaved_summary_asks_first(make_app, clock) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy")
        await advance(pilot, clock, 10)
        summary = await end_meeting(pilot, "e")  # ended early
        assert summary.unsaved
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is summary
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not summary.unsaved and summary.saved_path is not None
        assert not app.context.journal.path_for(run.session.id).exists()
        await pilot.press("ctrl+q")  # saved: nothing to lose, no question
        await settle(pilot)
        assert not app.is_running


# -- (b) control keys never type into a note box; letters in a note box never act -------------


@sync
async def test_function_keys_act_from_a_note_box_and_type_nothing(make_app, clock) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy")
        s = run.session
        await pilot.press("n")  # step 2 keeps notes
        await settle(pilot)
        await advance(pilot, clock, 30)
        await pilot.press("f3")
        editor = app.focused
        assert isinstance(editor, NoteEditor)
        text = "Kim: how many?"
        await type_text(pilot, text)
        field = editor.field_id

        def unchanged() -> None:
            assert s.note(1, field) == text
            for e in run.query(NoteEditor):
                assert e.text == (text if e.step_index == 1 else "")

        await pilot.press("f5")
        assert s.state is State.PAUSED and app.focused is editor
        unchanged()
        await pilot.press("f5")
        assert s.running and app.focused is editor
        budget = s.current.budget
        await pilot.press("f10")
        assert s.current.budget == budget + 60
        await pilot.press("f9")
        assert s.current.budget == budget
        unchanged()
        await pilot.press("f8")
        await settle(pilot)
        assert s.index == 2
        assert isinstance(app.focused, NoteEditor) and app.focused.step_index == 2
        unchanged()
        await pilot.press("f7")  # back (and not the text box's select-all)
        await settle(pilot)
        assert s.index == 1
        editor = app.focused
        assert isinstance(editor, NoteEditor) and editor.step_index == 1
        assert editor.selected_text == ""
        unchanged()
        await pilot.press("f2")  # projector mode leaves the note box
        await settle(pilot)
        assert run.has_class("-projector") and countdown(run).has_class("-big")
        assert not isinstance(app.focused, NoteEditor)
        await pilot.press("f2")
        await settle(pilot)
        assert not run.has_class("-projector")
        await pilot.press("f3")
        assert isinstance(app.focused, NoteEditor)
        await pilot.press("f1")  # help, from the note box
        await settle(pilot)
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is run
        unchanged()
        await pilot.press("f3")
        assert isinstance(app.focused, NoteEditor)
        await type_text(pilot, "!")  # typing goes on at the end of the note
        assert s.note(1, field) == text + "!"


@sync
async def test_letters_in_a_note_box_type_and_do_not_act(make_app, clock, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy")
        s = run.session
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("i")
        editor = app.focused
        assert isinstance(editor, NoteEditor)
        # space n b p e i m + - = ? o .: every letter key of the run screen.
        text = "plan b: ping me +1 -1 = ok? yes."
        await type_text(pilot, text)
        assert editor.text == text
        assert s.note(1, editor.field_id) == text
        assert s.index == 1 and s.running
        assert s.current.extension == 0
        assert not run.has_class("-projector")
        assert app.context.bell is True
        assert app.screen is run  # no help, no end-of-session question
        assert app.focused is editor

        # Escape leaves the note box; then the letters act.
        await pilot.press("escape")
        assert not isinstance(app.focused, NoteEditor)
        await pilot.press("space")
        assert s.state is State.PAUSED
        await pilot.press("space", "plus")
        assert s.running and s.current.extension == 60
        await pilot.press("minus", "n")
        await settle(pilot)
        assert s.current.extension == 0 and s.index == 2
        await pilot.press("backspace")
        await settle(pilot)
        assert s.index == 1
        assert s.note(1, editor.field_id) == text


@sync
async def test_setup_keys_work_from_a_text_field(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        setup = await pick_protocol(pilot, "consultancy")
        await answer_setup(pilot, setup, {"dilemma": "Line one"})
        field = setup.query_one("#setup-dilemma", TextArea)
        assert app.focused is field
        fair = {k: list(v) for k, v in setup.roles.items()}
        for _ in range(5):  # a shuffle may by chance draw the fair roles again
            await pilot.press("ctrl+r")
            if setup.roles != fair:
                break
        assert setup.roles != fair
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert setup.roles == fair
        assert field.text == "Line one" and app.focused is field
        await pilot.press("ctrl+s")  # the focusing question is required: not started
        await settle(pilot)
        assert app.screen is setup
        assert app.focused is setup.query_one("#setup-focus", Input)
        await type_text(pilot, "How?")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        assert app.screen.session.setup == {"focus": "How?", "dilemma": "Line one"}


# -- (c) markup-like text is shown literally ---------------------------------------------------

MARKUP_MEMBERS = ["[bold]Kim", "[link=x]y", "[$error]z"]
MARKUP_GUESTS = ["[/]", "[B]x"]
MARKUP_TEXT = "[bold]Kim [/] [link=x]y [$error]z [B]x"


@sync
async def test_markup_like_text_is_shown_literally(make_app, clock) -> None:
    app = make_app()  # writes the demo record; then members with markup-like names join
    app.context.record.update_community(
        lambda c: c.model_copy(
            update={"members": [*c.members, *(Member(name=n) for n in MARKUP_MEMBERS)]}
        )
    )
    app = make_app()
    assert app.context.community.member_names[-3:] == MARKUP_MEMBERS
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        setup = await pick_protocol(pilot, "consultancy")
        await answer_setup(pilot, setup, {"focus": MARKUP_TEXT, "dilemma": MARKUP_TEXT})
        for guest in MARKUP_GUESTS:
            await add_guest(pilot, setup, guest)
        # The same guest twice: told so (literally), not added.
        await add_guest(pilot, setup, MARKUP_GUESTS[0])
        assert setup.guests == MARKUP_GUESTS
        names = MARKUP_MEMBERS + MARKUP_GUESTS

        attendance = setup.query_one("#attendees", SelectionList)
        shown = rendered(attendance)
        for name in MARKUP_MEMBERS:
            assert name in shown
        for name in MARKUP_GUESTS:
            assert f"{name} (guest)" in shown
        # Give the markup names roles by hand, so that they show in the role summary.
        presenter = setup.picker("presenter")
        presenter.value = "[bold]Kim"
        await settle(pilot)
        facilitator = setup.picker("facilitator")
        facilitator.value = "[/]"
        await settle(pilot)
        assert setup.roles["presenter"] == ["[bold]Kim"]
        assert setup.roles["facilitator"] == ["[/]"]
        assert "[bold]Kim" in rendered(presenter.query_one("SelectCurrent #label"))
        assert "[/]" in rendered(facilitator.query_one("SelectCurrent #label"))
        summary = rendered(setup.query_one("#roles-summary", Static))
        assert "Presenter: [bold]Kim" in summary
        assert "Facilitator: [/]" in summary
        consultants = plain(setup.query_one("#roles-summary", Static))
        for name in ["[link=x]y", "[$error]z", "[B]x"]:
            assert name in consultants
        assert setup.query_one("#setup-focus", Input).value == MARKUP_TEXT
        assert setup.query_one("#setup-dilemma", TextArea).text == MARKUP_TEXT

        await pilot.press("ctrl+s")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        s = run.session
        assert s.setup["focus"] == MARKUP_TEXT
        assert f"Focusing question: {MARKUP_TEXT}" in rendered(run.query_one("#focus"))
        # Step 1: the presenter speaks, the consultants are silent.
        assert "Speak: [bold]Kim (Presenter)" in rendered(run.query_one("#speakers"))
        silent = plain(run.query_one("#silent", Static))
        for name in ["[link=x]y", "[$error]z", "[B]x"]:
            assert name in silent
        assert "Silent: [/] (Facilitator), " in silent
        await pilot.press("n")
        await settle(pilot)
        speakers = plain(run.query_one("#speakers", Static))
        for name in names:
            assert name in speakers
        await pilot.press("f3")
        await type_text(pilot, MARKUP_TEXT)
        editor = app.focused
        assert isinstance(editor, NoteEditor)
        assert MARKUP_TEXT in rendered(editor)
        assert s.note(1, editor.field_id) == MARKUP_TEXT
        await advance(pilot, clock, 10)

        summary_screen = await end_meeting(pilot)
        notes = [e for e in summary_screen.query(NoteEditor) if e.text]
        assert [e.text for e in notes] == [MARKUP_TEXT]
        assert MARKUP_TEXT in rendered(notes[0])
        await type_text(pilot, MARKUP_TEXT)
        await pilot.press("tab")
        await type_text(pilot, "[bold]Kim")
        await pilot.press("enter")
        await settle(pilot)
        box = summary_screen.query_one(Checkbox)
        assert f"{MARKUP_TEXT} ([bold]Kim)" in rendered(box)
        assert s.actions[0].text == MARKUP_TEXT and s.actions[0].owner == "[bold]Kim"
        summary_screen.query_one("#reflection", TextArea).focus()
        await type_text(pilot, MARKUP_TEXT)
        assert MARKUP_TEXT in rendered(summary_screen.query_one("#reflection"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert summary_screen.saved_path is not None
        assert s.reflection == MARKUP_TEXT
        assert app.is_running


# -- (d) resizing keeps the clock, the step and the footer in view ---------------------------


@sync
async def test_resizing_keeps_the_essentials_visible(make_app, clock) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy")
        await advance(pilot, clock, 61)

        def check(width: int, height: int) -> None:
            assert app.screen is run
            assert run.region == Region(0, 0, width, height)
            # Digits on a small screen, block letters on a big one: one of them shows.
            clocks = [
                w
                for w in (run.query_one("#countdown-digits"), run.query_one("#countdown-big"))
                if on_screen(w)
            ]
            assert len(clocks) == 1, f"no clock (or two) at {width}x{height}"
            for widget in (
                countdown(run),
                clocks[0],
                run.query_one("#step-title"),
                run.query_one(Footer),
            ):
                assert on_screen(widget), f"{widget!r} is not shown at {width}x{height}"
                region = widget.region
                assert region.width > 0 and region.height > 0, widget
                assert run.region.contains_region(region), (widget, region)
            assert countdown_text(run) == clock_text(run.session.current.budget - 61)
            assert run.session.current.step.title in rendered(run.query_one("#step-title"))
            footer = footer_text(run)
            assert "Pause" in footer and "Next" in footer

        for size in [(80, 24), (160, 45), (80, 24)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            check(*size)

        # Projector mode, the big clock, at both sizes.
        await pilot.press("f2")
        for size in [(160, 45), (80, 24)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
            big = run.query_one("#countdown-big")
            assert on_screen(big)
            assert big.region.width > 0 and run.region.contains_region(big.region)
            assert "█" in rendered(big)


# -- (e) the command palette offers the main actions -----------------------------------------


async def palette_titles(pilot, search: str) -> list[str]:
    app = pilot.app
    await pilot.press("ctrl+p")
    await settle(pilot)
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    await type_text(pilot, search)
    commands = palette.query_one(CommandList)
    for _ in range(100):  # the palette gathers its hits in a worker
        if commands.option_count:
            break
        await pilot.pause()
    return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]


@sync
async def test_the_command_palette_offers_the_main_actions(make_app, clock) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home_titles = [c.title for c in app.get_system_commands(app.screen)]
        for entry in app.context.library:
            assert f"Run {entry.protocol.title}" in home_titles

        run = await start_session(pilot, "consultancy")
        titles = [c.title for c in app.get_system_commands(run)]
        for wanted in [
            "Pause or resume",
            "Next step",
            "Previous step",
            "Add a minute",
            "Projector mode",
            "Bell on or off",
            "End session",
            "Help: keys",
            "Take a minute off",
        ]:
            assert wanted in titles
        # Built from the screen's bindings: a key's tooltip is its command's help.
        helps = {c.title: c.help for c in app.get_system_commands(run)}
        assert helps["Next step"] == next(
            b.tooltip for b in RunScreen.BINDINGS if b.id == "run.next"
        )
        assert len(titles) == len(set(titles)), titles
        # Only what applies now: Consultancy's steps are not taken in turns, and no note
        # box has focus.
        assert "Shuffle the turns" not in titles
        assert "Leave the note box" not in titles

        # From a note box too: ctrl+p opens the palette, and its commands act.
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f3")
        assert isinstance(app.focused, NoteEditor)
        assert "Leave the note box" in [c.title for c in app.get_system_commands(run)]
        hits = await palette_titles(pilot, "next step")
        assert hits and "Next step" in hits[0]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is run and run.session.index == 2
        assert all(e.text == "" for e in run.query(NoteEditor))

        hits = await palette_titles(pilot, "pause")
        assert "Pause or resume" in hits[0]
        await pilot.press("enter")
        await settle(pilot)
        assert run.session.state is State.PAUSED

        await advance(pilot, clock, 1)
        summary = await end_meeting(pilot)
        titles = [c.title for c in app.get_system_commands(summary)]
        assert "Save to record" in titles and "Export Markdown" in titles
        hits = await palette_titles(pilot, "save to record")
        assert "Save to record" in hits[0]
        await pilot.press("enter")
        await settle(pilot)
        assert summary.saved_path is not None and summary.saved_path.is_file()
