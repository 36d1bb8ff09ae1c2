"""A facilitator's settings in the app: a broken file still starts it (and says what it
ignored), ``[keys]`` moves keys (footer and help follow), a clicker's keys drive the run screen,
the blank key blanks and pauses, and the theme picked in the palette is remembered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer
from ui_flow import settle, start_session, still, sync, type_text

from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.session.engine import State
from protocolrunner.core.settings.config import read_config, read_remembered
from protocolrunner.core.settings.model import load_settings
from protocolrunner.ui.app import ProtocolRunnerApp
from protocolrunner.ui.context import build_context
from protocolrunner.ui.dialogs.blank import BlankScreen
from protocolrunner.ui.dialogs.confirm import ConfirmDialog
from protocolrunner.ui.dialogs.help import HelpDialog
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.widgets.notes import NoteEditor

ANSWERS = {"focus": "How can I get my quieter Year 9 students to join in?"}
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]


@pytest.fixture
def settings_app(tmp_path: Path, clock):
    """The app over a demo record, with ``text`` as the settings file."""

    def make(text: str = "") -> ProtocolRunnerApp:
        root = tmp_path / "record"
        if not root.exists():
            end = datetime(2026, 9, 22, 15, 30, tzinfo=timezone(timedelta(hours=1)))
            write_demo(root, load_library(default_sources()), sessions=4, end=end)
        config = tmp_path / "config.toml"
        config.write_text(text, encoding="utf-8")
        context = build_context(
            root,
            clock=clock,
            journal_dir=tmp_path / "journal",
            export_dir=tmp_path / "exports",
            settings=load_settings(read_config(config)),
        )
        app = ProtocolRunnerApp(context)
        app.NOTIFICATION_TIMEOUT = 3600
        return app

    return make


def notices(app: ProtocolRunnerApp) -> list[tuple[str, str]]:
    return [(str(n.title), n.message) for n in app._notifications]


def footer_keys(app: ProtocolRunnerApp) -> dict[str, str]:
    """What the footer shows: the key as displayed, by the description beside it."""
    return {
        str(key.description): str(key.key_display)
        for key in app.screen.query("FooterKey")
        if key.region.width
    }


# -- a broken settings file ----------------------------------------------------------------------


@sync
async def test_a_settings_file_with_every_kind_of_mistake_starts_the_app_and_says_so(
    settings_app, tmp_path
) -> None:
    app = settings_app(
        "\n".join(
            [
                'theme = "blue"',
                "bell = false",
                "colour = 1",
                "[warning]",
                "percent = 0",
                "[keys]",
                '"run.nxt" = "x"',  # an unknown id
                '"run.next-key" = "pgdn"',  # an unknown key
                '"run.back-key" = "b"',  # b is the blank key on the run screen
                '"run.bell" = "z"',  # right: kept
            ]
        )
    )
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        told = [message for title, message in notices(app) if title == "Settings: ignored"]
        where = f"{tmp_path / 'config.toml'}:"
        assert [m.removeprefix(where).split(";")[0] for m in told] == [
            "1:1: theme: should be 'dark', 'light' or 'projector' (got 'blue')",
            "3:1: colour: unknown key 'colour' (allowed: record, bell, theme, warning, "
            "projector, keys)",
            "5:1: warning.percent: must be at least 1 (got 0)",
            "7:1: keys.\"run.nxt\": unknown binding id 'run.nxt' (did you mean 'run.next'?)",
            "8:1: keys.\"run.next-key\": unknown key 'pgdn' (did you mean 'pagedown'?)",
            "9:1: keys.\"run.back-key\": 'b' already means Blank (run.blank-key) in the run screen",
        ]
        # What was right applies.
        assert app.context.bell is False
        assert app.keymap["run.bell"] == "z"
        assert "run.next-key" not in app.keymap and "run.back-key" not in app.keymap


# -- keys ----------------------------------------------------------------------------------------


@sync
async def test_a_keymap_moves_next_step_to_another_key(settings_app) -> None:
    app = settings_app('[keys]\n"run.next-key" = "x"\n"run.next" = ["f4", "right"]\n')
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        assert run.session.index == 0
        await pilot.press("n")  # no longer next
        await settle(pilot)
        assert run.session.index == 0
        await pilot.press("x")
        await settle(pilot)
        assert run.session.index == 1
        await pilot.press("f8")  # moved to F4 and the right arrow
        await settle(pilot)
        assert run.session.index == 1
        await pilot.press("f4")
        await pilot.press("right")
        await settle(pilot)
        assert run.session.index == 3
        # The footer shows the key as remapped.
        assert footer_keys(app)["Next"] in ("f4", "→")


@sync
async def test_help_shows_the_remapped_keys(settings_app) -> None:
    app = settings_app('[keys]\n"run.next-key" = "x"\n"run.blank-key" = "w"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpDialog)
        lines = {line.text: line.keys for group in app.screen.groups for line in group.lines}
        assert lines["Next"] == ["f8", "x", "pgdn"]
        assert lines["Blank"] == ["w"]


@sync
async def test_remapping_pause_keeps_resume_on_its_own_key(settings_app) -> None:
    # F5 holds both Pause and Resume: moving one must not lose the other.
    app = settings_app('[keys]\n"run.pause" = "f11"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        await pilot.press("f11")
        await settle(pilot)
        assert run.session.state is State.PAUSED
        await pilot.press("f5")
        await settle(pilot)
        assert run.session.running


# -- a clicker on the run screen -----------------------------------------------------------------


@sync
async def test_pagedown_advances_and_pageup_goes_back_even_from_a_note_box(settings_app) -> None:
    app = settings_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        await pilot.press("pagedown")
        await settle(pilot)
        assert run.session.index == 1
        await pilot.press("f3")  # into step 2's note box, and type in it
        await settle(pilot)
        editor = app.focused
        assert isinstance(editor, NoteEditor)
        await type_text(pilot, "Ana asked about groups")
        field_id = editor.field_id
        await pilot.press("pageup")
        await settle(pilot)
        assert run.session.index == 0
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert run.session.index == 2
        # Neither key reached the note box: its text is what was typed, nothing more.
        assert run.session.note(1, field_id) == "Ana asked about groups"


@sync
async def test_the_blank_key_pauses_and_blanks_and_brings_the_meeting_back(settings_app) -> None:
    app = settings_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        assert run.session.running
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BlankScreen)
        assert run.session.state is State.PAUSED
        await pilot.press("pagedown")  # the meeting does not move while blank
        await settle(pilot)
        assert run.session.index == 0
        await pilot.press("full_stop")  # a clicker's other blank key
        await settle(pilot)
        assert app.screen is run and run.session.running
        # Paused before blanking: still paused after.
        await pilot.press("space")
        await pilot.press("b")
        await pilot.press("b")
        await settle(pilot)
        assert app.screen is run and run.session.state is State.PAUSED
        # In a note box b is a letter...
        await pilot.press("pagedown", "f3")
        await settle(pilot)
        editor = app.focused
        assert isinstance(editor, NoteEditor)
        await pilot.press("b")
        await settle(pilot)
        assert app.screen is run and editor.text == "b"
        # ...but the clicker's forward button leaves the note box, so its blank button blanks.
        await pilot.press("pagedown")
        await settle(pilot)
        assert run.session.index == 2 and not isinstance(app.focused, NoteEditor)
        await pilot.press("full_stop")
        await settle(pilot)
        assert isinstance(app.screen, BlankScreen)
        assert run.session.note(1, editor.field_id) == "b"


@sync
async def test_a_meeting_ends_from_the_clicker_too(settings_app) -> None:
    app = settings_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        last = len(run.session.runs) - 1
        for _ in range(last):
            await pilot.press("pagedown")
        await pilot.press("pagedown")  # on the last step: asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("pageup")  # keep going
        await settle(pilot)
        assert app.screen is run and run.session.index == last
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert run.session.state is State.FINISHED
        assert type(app.screen).__name__ == "SummaryScreen"


@sync
async def test_quitting_from_the_blank_screen_asks_first(settings_app) -> None:
    app = settings_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        await pilot.press("b")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)


# -- themes and projector ------------------------------------------------------------------------


@sync
async def test_the_theme_comes_from_the_settings_and_the_palettes_choice_is_remembered(
    settings_app,
) -> None:
    app = settings_app('theme = "light"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Theme: dark" in titles and "Theme: projector (high contrast)" in titles
        assert "Theme" not in titles  # Textual's own picker of a score of themes
        app.pick_theme("projector")
        assert app.theme == "projector"
    assert read_remembered().theme == "projector"
    again = settings_app('theme = "light"\n')
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "projector"
    # A newer word in the settings file wins over the palette's older choice.
    changed = settings_app('theme = "dark"\n')
    async with changed.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert changed.theme == "textual-dark"


@sync
async def test_projector_defaults_start_the_meeting_in_projector_mode(settings_app) -> None:
    app = settings_app('theme = "light"\n[projector]\nstart = true\ntheme = "dark"\n')
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(pilot, "consultancy", answers=ANSWERS)
        assert run.has_class("-projector")
        assert app.theme == "textual-dark"
        await pilot.press("f2")
        await settle(pilot)
        assert app.theme == "textual-light"


# -- snapshots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_blank_screen_snapshot(snap_compare, settings_app, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        await pilot.press("b")
        await still(pilot)

    assert snap_compare(settings_app(), terminal_size=size, run_before=run_before)


def test_help_with_a_remapped_key_snapshot(snap_compare, settings_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        pilot.app.clear_notifications()
        await pilot.press("f1")
        await still(pilot)

    app = settings_app('[keys]\n"run.next-key" = ["x", "right"]\n')
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_footer_with_a_remapped_key_snapshot(snap_compare, settings_app) -> None:
    async def run_before(pilot: Pilot) -> None:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        pilot.app.clear_notifications()
        await still(pilot)
        assert isinstance(pilot.app.screen.query_one(Footer), Footer)

    app = settings_app('[keys]\n"run.next" = "f4"\n')
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_light_theme_run_screen_snapshot(snap_compare, settings_app, clock) -> None:
    """Every state says itself in words in the light theme too."""

    async def run_before(pilot: Pilot) -> None:
        await start_session(pilot, "consultancy", answers=ANSWERS)
        clock.advance(9 * 60 + 20)  # 00:40 left: ALMOST OUT OF TIME
        pilot.app.screen.tick()
        await still(pilot)

    app = settings_app('theme = "light"\n')
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
