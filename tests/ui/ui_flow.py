"""Helpers shared by the Pilot end-to-end tests: drive the app with the keyboard, read widgets.

Nothing here sleeps or reads the wall clock: time moves only with ``clock.advance`` and the run
screen is asked to read it with ``tick``.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

from support import sync as sync  # the UI tests' async style, defined once for all tests
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Digits, Footer, Input, OptionList, SelectionList, TextArea
from textual_private import character_to_key

from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.record_sessions import SEARCH_DEBOUNCE
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.screens.setup import SetupScreen
from protocolrunner.ui.screens.summary import SummaryScreen
from protocolrunner.ui.widgets.countdown import Countdown

BUNDLED = Path(__file__).resolve().parent.parent.parent / "protocols"
GUEST = "Zoe Guest"


def _mentions_turns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(str(k).startswith("turn") or _mentions_turns(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions_turns(v) for v in value)
    return False


def bundled_ids_without_turns() -> list[str]:
    """Ids of the bundled protocols whose steps have no turn-taking."""
    ids = []
    for path in sorted(BUNDLED.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if not _mentions_turns(data):
            ids.append(data["id"])
    return ids


async def still(pilot: Pilot) -> None:
    """Let pending messages and workers finish, and stop every cursor blinking: a screen
    ready for a snapshot."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget.cursor_blink = False
    await pilot.pause()


async def settle(pilot: Pilot, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()


async def tick(pilot: Pilot) -> None:
    """Let the run screen read the (fake) clock now, as its poll timer would."""
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen), screen
    screen.tick()
    await pilot.pause()


async def advance(pilot: Pilot, clock, seconds: float) -> None:
    clock.advance(seconds)
    await tick(pilot)


async def type_search(pilot: Pilot, text: str) -> None:
    """Type ``text`` key by key as a burst, then its last key after a pause on the app's fake
    clock: the browser's debounced search runs on that key, with no real wait. Returns once the
    preview shows where the selected session matched (read from its file in a thread)."""
    for ch in text[:-1]:
        await pilot.press(ch)
    if pilot.app.ready:  # before the record is open nothing is searched, and there is no clock
        pilot.app.context.clock.advance(2 * SEARCH_DEBOUNCE)
    await pilot.press(text[-1])
    await workers_done(pilot)


async def workers_done(pilot: Pilot) -> None:
    """Let the screen start its reads, finish them, and show what they read (the app's own
    workers, such as opening the record, are not waited for)."""
    await pilot.pause()
    screen = pilot.app.screen
    # A read replaced by a newer one is cancelled: waiting for it would raise, not wait.
    await asyncio.gather(
        *(w.wait() for w in pilot.app.workers if w.node is screen), return_exceptions=True
    )
    await pilot.pause()


def key_event(ch: str) -> events.Key:
    """The Key event a terminal sends for the character ``ch`` (as ``Pilot.press`` builds it)."""
    if ch == "\n":
        return events.Key("enter", "\r")
    return events.Key(ch if ch.isalnum() else character_to_key(ch), ch)


NAVIGATION_KEYS = frozenset({"up", "down", "left", "right", "home", "end", "pageup", "pagedown"})


async def move(pilot: Pilot, *keys: str) -> None:
    """Press arrow-like keys in one burst, as a key held down repeats, then let the app settle.

    Each key goes through the real key path, as with ``pilot.press``; only Pilot's wait for
    idle after every key is left out, so the screen is drawn once at the end rather than after
    each key (five times the work for ten keys). For keys that only move a highlight or a
    cursor: a key that opens or closes something goes through ``pilot.press``.
    """
    app = pilot.app
    for key in keys:
        assert key in NAVIGATION_KEYS, key
        event = events.Key(key, None)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()


async def type_text(pilot: Pilot, text: str) -> None:
    """Type ``text`` into whatever has focus, as a fast typist would (a newline is Enter).

    Each character goes through the real key path (driver, priority bindings, the focused
    widget, then the other bindings), like ``pilot.press``; only the wait for the app to go
    idle after every single key is left out, as it makes long notes very slow to type.
    """
    app = pilot.app
    for ch in text:
        # What the driver does with a key read from the terminal: post it to the app.
        event = key_event(ch)
        event.set_sender(app)
        app.post_message(event)
    await pilot.pause()
    await pilot.pause()


def countdown_text(screen: Widget) -> str:
    return str(screen.query_one("#countdown-digits", Digits).value)


def countdown(screen: Widget) -> Countdown:
    return screen.query_one(Countdown)


async def pick_protocol(pilot: Pilot, protocol_id: str) -> SetupScreen:
    """On the home screen, move the highlight to ``protocol_id`` with the arrow keys, Enter."""
    home = pilot.app.screen
    assert isinstance(home, HomeScreen)
    library = home.query_one("#library", OptionList)
    assert pilot.app.focused is library
    ids = [entry.id for entry in home.entries]
    assert protocol_id in ids, ids
    await move(pilot, "home", *["down"] * ids.index(protocol_id))
    assert home.selected is not None and home.selected.id == protocol_id
    await pilot.press("enter")
    await settle(pilot)
    setup = pilot.app.screen
    assert isinstance(setup, SetupScreen), setup
    assert setup.protocol.id == protocol_id
    return setup


async def answer_setup(pilot: Pilot, setup: SetupScreen, answers: dict[str, str]) -> None:
    """Type each answer into its field (Input or TextArea), focusing it first."""
    for question_id, text in answers.items():
        field = setup.query_one(f"#setup-{question_id}")
        field.focus()
        await pilot.pause()
        await type_text(pilot, text)
        value = field.text if isinstance(field, TextArea) else field.value
        assert value == text


async def untick(pilot: Pilot, setup: SetupScreen, names: list[str]) -> None:
    """Untick members in the attendance list with the arrow keys and space."""
    attendance = setup.query_one("#attendees", SelectionList)
    attendance.focus()
    await pilot.pause()
    values = [attendance.get_option_at_index(i).value for i in range(attendance.option_count)]
    for name in names:
        target = values.index(name)
        # The shorter way there: down from the top, or up from the bottom.
        if target <= len(values) // 2:
            await move(pilot, "home", *["down"] * target)
        else:
            await move(pilot, "end", *["up"] * (len(values) - 1 - target))
        assert attendance.highlighted == target
        await pilot.press("space")
    await pilot.pause()
    for name in names:
        assert name not in attendance.selected


async def add_guest(pilot: Pilot, setup: SetupScreen, name: str) -> None:
    guest = setup.query_one("#guest")
    guest.focus()
    await pilot.pause()
    await type_text(pilot, name)
    await pilot.press("enter")
    await settle(pilot)
    assert name in setup.present


async def pick_role(pilot: Pilot, setup: SetupScreen, role_id: str, name: str) -> None:
    """Choose ``name`` for the first slot of ``role_id`` with the keyboard (Enter, arrows)."""
    select = setup.picker(role_id)
    select.focus()
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    # The overlay lists "nobody" first, then the people present in order.
    target = setup.present.index(name) + 1
    last = len(setup.present)
    if target <= last // 2:
        await move(pilot, "home", *["down"] * target)
    else:
        await move(pilot, "end", *["up"] * (last - target))
    await pilot.press("enter")
    await settle(pilot)
    assert select.value == name


async def start_session(
    pilot: Pilot,
    protocol_id: str,
    *,
    answers: dict[str, str] | None = None,
    absent: tuple[str, ...] = (),
    guests: tuple[str, ...] = (),
) -> RunScreen:
    """Home -> setup (required answers typed) -> ctrl+s -> the run screen."""
    await settle(pilot)
    setup = await pick_protocol(pilot, protocol_id)
    if answers is None:
        answers = {q.id: f"Answer to {q.label}" for q in setup.protocol.setup if q.required}
    await answer_setup(pilot, setup, answers)
    if absent:
        await untick(pilot, setup, list(absent))
    for guest in guests:
        await add_guest(pilot, setup, guest)
    await pilot.press("ctrl+s")
    await settle(pilot)
    run = pilot.app.screen
    assert isinstance(run, RunScreen), run
    return run


async def end_meeting(pilot: Pilot, key: str = "f12") -> SummaryScreen:
    """End the session from the run screen (``key``, then yes): the summary."""
    await pilot.press(key)
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    summary = pilot.app.screen
    assert isinstance(summary, SummaryScreen), summary
    return summary


def recording_notifications(app: App[Any]) -> list[tuple[str, str]]:
    """(title, message) of every toast the app shows from now on."""
    shown: list[tuple[str, str]] = []
    notify = app.notify

    def record(message, *args, **kwargs):
        shown.append((str(kwargs.get("title") or ""), str(message)))
        return notify(message, *args, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return shown


def plain(widget: Widget) -> str:
    """The text a widget shows, as plain text (styles dropped, markup never interpreted)."""
    from textual.content import Content

    visual = widget.render()
    if isinstance(visual, Content):
        return visual.plain
    if isinstance(visual, str):
        return visual
    plain_text = getattr(visual, "plain", None)
    if plain_text is not None:
        return str(plain_text)
    raise TypeError(f"cannot read the text of {widget!r} ({type(visual)})")


def shown(screen: Widget, widget: Widget) -> bool:
    """Whether all of ``widget`` is on screen: inside the screen and not under anything else."""
    region = widget.region
    if not region or not screen.region.contains_region(region):
        return False
    for y in (region.y, region.bottom - 1):
        for x in (region.x, region.right - 1):
            found, _ = screen.get_widget_at(x, y)
            if found is not widget and widget not in found.ancestors:
                return False
    return True


def on_screen(widget: Widget) -> bool:
    """Whether any of ``widget`` was laid out inside its screen (hidden or scrolled out of
    the screen, it was not)."""
    region = widget.region
    return bool(region) and widget.screen.region.overlaps(region)


def quit_key_shown(screen: Widget) -> bool:
    """Whether the footer shows ``^q Quit`` whole."""
    footer = screen.query_one(Footer)
    key = next(k for k in footer.query("FooterKey") if getattr(k, "action", "") == "quit")
    return shown(screen, key)
