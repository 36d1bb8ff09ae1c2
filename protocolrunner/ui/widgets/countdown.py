"""The big countdown of the current step."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Digits, Label

from ...core.session.engine import State
from .bigclock import BigClock

STATE_WORDS = {
    State.NOT_STARTED: "READY",
    State.RUNNING: "",
    State.PAUSED: "PAUSED",
    State.WARNING: "ALMOST OUT OF TIME",
    State.OVERTIME: "TIME IS UP",
    State.FINISHED: "FINISHED",
}


def clock_text(seconds: int) -> str:
    """``300`` -> ``05:00``; ``-83`` -> ``+01:23`` (overtime counts up with a plus sign)."""
    sign = "+" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    return f"{sign}{minutes:02d}:{secs:02d}"


class Countdown(Widget):
    """Minutes and seconds left in large digits, coloured by state.

    It shows what it is told: the run screen reads the session's deadline-based remaining time
    and calls ``show``, so nothing here counts ticks.
    """

    DEFAULT_CSS = """
    Countdown {
        height: auto;
        width: 1fr;
        align-horizontal: center;
    }
    Countdown Digits {
        width: 1fr;
        text-align: center;
        color: $text;
    }
    Countdown BigClock {
        display: none;
    }
    Countdown.-big {
        height: 1fr;
    }
    Countdown.-big Digits {
        display: none;
    }
    Countdown.-big BigClock {
        display: block;
    }
    Countdown #countdown-state {
        width: 1fr;
        text-align: center;
        text-style: bold;
    }
    /* While it simply runs there is no word to show, and a small screen needs the row. */
    Countdown #countdown-state.-blank {
        display: none;
    }
    Countdown.-warning Digits, Countdown.-warning BigClock, Countdown.-warning #countdown-state {
        color: $warning;
    }
    Countdown.-overtime {
        background: $error;
    }
    Countdown.-overtime Digits, Countdown.-overtime BigClock, Countdown.-overtime #countdown-state {
        color: $text;
    }
    Countdown.-paused Digits, Countdown.-paused BigClock, Countdown.-paused #countdown-state {
        color: $text-muted;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: tuple[int, State] | None = None

    def compose(self) -> ComposeResult:
        yield Digits("00:00", id="countdown-digits")
        yield BigClock("00:00", id="countdown-big")
        yield Label("", id="countdown-state")

    def show(self, seconds: int, state: State) -> None:
        if self._shown == (seconds, state):
            return
        state_changed = self._shown is None or self._shown[1] is not state
        self._shown = (seconds, state)
        # Called every second for an hour: only what changed is touched, since a Label update
        # asks for a new layout of the whole screen.
        self.query_one(Digits).update(clock_text(seconds))
        self.query_one(BigClock).update(clock_text(seconds))
        if not state_changed:
            return
        word = STATE_WORDS[state]
        label = self.query_one("#countdown-state", Label)
        label.update(word)
        label.set_class(not word, "-blank")
        self.set_class(state is State.WARNING, "-warning")
        self.set_class(
            state is State.OVERTIME or (state is State.PAUSED and seconds <= 0), "-overtime"
        )
        self.set_class(state is State.PAUSED, "-paused")
