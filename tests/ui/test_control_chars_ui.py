"""Control characters in a record never reach the terminal through the app's screens.

The record of ``tests/test_control_chars.py`` (``seed_record``: control characters in every text a
file or a person gives it) is opened, and every screen is visited: home, members, community,
timing, the record browser (with a search) and a session in it, setup and its help, run (with a
note typed), summary (with an action item and a reflection), and the preview of a protocol file
and of a broken one. On each, two things are looked at.

1. **What is sent to the terminal.** The app runs with a driver that is Textual's headless one in
   every way but one: it says it is not headless, so Textual renders each frame into the very
   escape sequences it would write to a real terminal and hands them to ``write``, which keeps
   them. This is the output itself (the SVG of ``export_screenshot`` is not: Rich drops or
   escapes some characters on the way into SVG; and a widget's strips are not sent until they
   are on screen). Textual writes escape sequences of its own (colours, cursor moves, and an
   OSC 22 pointer shape ended by BEL), so the check looks for what only the record could have
   put there: OSC 52, ``ESC [ 2J``, ``ESC [ 31m``, a BEL outside OSC 22, any DEL, C1 control,
   backspace or carriage return; and it checks that the clipboard sequence *was* shown, as the
   text ``\\x1b]52;c;SGVsbG8=\\x07``.
2. **What every widget renders, on screen or scrolled out of it.** Each widget's rendered lines
   (``render_lines``, or ``render_line`` for every line of a scrolling widget) must hold no
   control character at all: these are plain text, Textual's own sequences are only added when
   a frame is written. This covers text the terminal size left off screen.

Without ``core.base.text.visible`` in the screens (and the pictures of ``ui.widgets.editors`` in the
editors), both checks fail on every screen.
"""

from __future__ import annotations

import re
from pathlib import Path

from test_control_chars import ESCAPED, FORBIDDEN, PAYLOAD, PROTOCOL_ID, seed_record, taint
from textual.drivers.headless_driver import HeadlessDriver
from textual.geometry import Region
from textual.pilot import Pilot
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Input, TextArea
from ui_flow import end_meeting, pick_protocol, settle, still, sync

from protocolrunner.ui.app import ProtocolRunnerApp
from protocolrunner.ui.context import build_context
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.widgets.notes import NoteEditor

SIZE = (160, 50)

IN_A_BOX = PAYLOAD.replace("\r", "").replace("\x85", "")
"""What is typed (pasted) into a TextArea here: the payload but CR and NEL, which Textual's
TextArea takes for line breaks (its text then has a newline there, whatever draws it)."""


def boxed(text: str) -> str:
    return f"{text}{IN_A_BOX}"


TEXTUAL_OSC = re.compile(r"\x1b\]22;[a-z-]*\x07")
"""The one sequence Textual itself ends with BEL: the pointer shape (OSC 22)."""

FROM_THE_RECORD = {
    "OSC 52 (writes the clipboard)": "\x1b]52",
    "ESC [ 2J (clears the screen)": "\x1b[2J",
    "ESC [ 31m (red)": "\x1b[31mred",
}


def recording_driver(sink: list[str]) -> type[HeadlessDriver]:
    """A driver that keeps everything the app writes to the terminal in ``sink``."""

    class TerminalRecorder(HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False  # so the app renders and writes every frame, as to a terminal

        def write(self, data: str) -> None:
            sink.append(data)

        def flush(self) -> None:
            pass

    return TerminalRecorder


def rendered_lines(widget: Widget) -> list[str]:
    """Every line the widget renders (all of it, scrolled into view or not), as plain text."""
    width, height = widget.size
    if not (width and height) or not widget.display:
        return []
    if isinstance(widget, ScrollView):
        widget.scroll_to(0, 0, animate=False, immediate=True)
        strips = [widget.render_line(y) for y in range(widget.virtual_size.height)]
    else:
        strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    return [strip.text for strip in strips]


class Checks:
    """The two checks of the module docstring, screen by screen. Every failure is kept, so
    that one run tells about every screen; ``done`` fails the test with all of them."""

    def __init__(self, pilot: Pilot, sink: list[str]) -> None:
        self.pilot = pilot
        self.sink = sink
        self.seen = 0
        self.screens: list[str] = []
        self.failures: list[str] = []

    async def screen(self, name: str) -> None:
        await still(self.pilot)
        await settle(self.pilot)
        app = self.pilot.app
        shown: list[str] = []
        raw = False
        for widget in [app.screen, *app.screen.query("*")]:
            for line in rendered_lines(widget):
                bad = FORBIDDEN.search(line)
                if bad is not None:
                    self.failures.append(f"{name}: {widget!r} renders {bad.group()!r}: {line!r}")
                    raw = True
                    break
                shown.append(line)
        if not raw and not re.search(r"\\x1b|␛", "\n".join(shown)):
            self.failures.append(f"{name}: no text from the record is shown (nothing checked)")
        written = "".join(self.sink[self.seen :])
        self.seen = len(self.sink)
        self.failures += [f"{name}: {what}" for what in terminal_problems(written)]
        self.screens.append(name)

    def done(self) -> None:
        assert not self.failures, "\n".join(self.failures)


def terminal_problems(written: str) -> list[str]:
    """What the record put into the terminal output ``written``."""
    problems = [
        f"{what} was sent to the terminal"
        for what, sequence in FROM_THE_RECORD.items()
        if sequence in written
    ]
    rest = TEXTUAL_OSC.sub("", written)
    problems += [
        f"{char!r} was sent to the terminal"
        for char in sorted(set(re.findall(r"[\x07\x08\x0d\x7f-\x9f]", rest)))
    ]
    return problems


def make_app(tmp_path: Path, clock, root: Path, **kwargs) -> tuple[ProtocolRunnerApp, list[str]]:
    context = build_context(
        root, clock=clock, journal_dir=tmp_path / "journal", export_dir=tmp_path / "exports"
    )
    app = ProtocolRunnerApp(context, **kwargs)
    sink: list[str] = []
    app.driver_class = recording_driver(sink)
    return app, sink


@sync
async def test_no_screen_sends_a_control_character(tmp_path: Path, clock) -> None:
    # The record's folder name is shown too (home's subtitle).
    root = tmp_path / f"record{PAYLOAD.strip()}"
    seed_record(root)

    app, sink = make_app(tmp_path, clock, root)
    async with app.run_test(headless=False, size=SIZE, notifications=True) as pilot:
        checks = Checks(pilot, sink)
        await checks.screen("home (skipped-file notices, follow-through, library)")

        for key, name in [("m", "members"), ("o", "community"), ("t", "timing")]:
            await pilot.press(key)
            await checks.screen(name)
            await pilot.press("escape")
            await settle(pilot)
            # Back at once: the community form, untouched, has nothing to save (a text its
            # boxes cannot hold exactly, such as a lone CR, is not a change).
            assert isinstance(app.screen, HomeScreen), app.screen

        await pilot.press("c")
        await checks.screen("record browser")
        browser = app.screen
        assert isinstance(browser, RecordSessionsScreen)
        browser.query_one("#record-search", Input).value = "SGVsbG8"
        await checks.screen("record browser, searching")
        browser.query_one("#record-table").focus()
        await pilot.press("enter")  # the newest session that matches
        await checks.screen("record detail")
        assert isinstance(app.screen, RecordDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        setup = await pick_protocol(pilot, PROTOCOL_ID)
        await checks.screen("setup")
        await pilot.press("f1")
        await checks.screen("setup's help")
        await pilot.press("escape")
        await settle(pilot)
        # Pasted, say: the value keeps the control characters, the box shows pictures.
        setup.query_one("#setup-focus", Input).value = taint("How?")
        setup.query_one("#setup-dilemma", TextArea).text = boxed("A dilemma")
        await checks.screen("setup, answered")
        await pilot.press("ctrl+s")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        assert run.session.setup["focus"] == taint("How?")
        await checks.screen("run")
        await pilot.press("n")
        await settle(pilot)
        editor = run.query_one(NoteEditor)
        editor.text = boxed("A note")
        await checks.screen("run, with a note")
        assert run.session.note(1, editor.field_id) == boxed("A note")

        summary = await end_meeting(pilot, "e")
        summary.query_one("#action-text", Input).value = taint("Try it")
        summary.query_one("#action-owner", Input).value = taint("Ana")
        await pilot.press("enter")
        summary.query_one("#reflection", TextArea).text = boxed("Went well")
        await checks.screen("summary")
        assert summary.session.actions[0].text == taint("Try it").strip()  # trimmed
        assert summary.session.reflection == boxed("Went well")
        await pilot.press("ctrl+s")
        await checks.screen("summary, saved")
        saved = app.context.record.load_session(summary.saved_path)
        assert saved.reflection == boxed("Went well")
        assert saved.steps[1].notes[0].text == boxed("A note")
        assert saved.setup[1].answer == boxed("A dilemma")
        assert saved.actions[0].owner == taint("Ana").strip()

    assert checks.screens[-1] == "summary, saved"
    checks.done()
    assert ESCAPED in "".join(sink)


@sync
async def test_the_preview_sends_no_control_character(tmp_path: Path, clock) -> None:
    root = tmp_path / "record"
    record = seed_record(root, sessions=1)
    protocols = record.protocols_dir

    async def scenario(path: Path, name: str) -> None:
        app, sink = make_app(tmp_path, clock, root, preview=path)
        async with app.run_test(headless=False, size=SIZE, notifications=True) as pilot:
            checks = Checks(pilot, sink)
            await checks.screen(name)
            await pilot.press("enter")  # walk through the steps
            await checks.screen(f"{name}: walking through")
        checks.done()
        assert ESCAPED in "".join(sink)

    await scenario(protocols / f"{PROTOCOL_ID}.toml", "preview")
    broken = protocols / f"broken{PAYLOAD.strip()}.toml"
    # A broken file shows its problems; the walk through has nothing to walk.
    await scenario(broken, "preview of a broken file")
