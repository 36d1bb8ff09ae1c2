"""A blank screen over the meeting, as a clicker's blank-screen button gives in slide shows.

The run screen pauses the countdown before showing it and resumes it after (if it was running),
so the room can look away from the screen without the step's time running out. Only a dim
line at the bottom says what it is and how to come back, in words: black alone would not tell
a facilitator whether the app is blanked or gone.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...core.base.text import visible

BLANK_TOOLTIP = "Blank the screen and pause the countdown (again: back to the meeting)"


class BlankScreen(ModalScreen[None]):
    """A black screen; the blank keys (or Escape) bring the meeting back."""

    DEFAULT_CSS = """
    BlankScreen {
        /* Black in every theme: a projector shows black as no light at all. */
        background: black;
        align: center bottom;
    }
    BlankScreen > #blank-hint {
        width: auto;
        color: $text-disabled;
        background: black;
    }
    """

    # The same ids as the run screen's blank keys, so a [keys] entry moves both.
    BINDINGS = [
        Binding(
            "b,full_stop",
            "unblank",
            "Blank",
            id="run.blank-key",
            tooltip=BLANK_TOOLTIP,
        ),
        Binding("escape", "unblank", "Back to the meeting", id="blank.close"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="blank-hint")

    def on_mount(self) -> None:
        keys = [
            self.app.get_key_display(active.binding)
            for active in self.active_bindings.values()
            if active.binding.action == "unblank"
        ]
        self.query_one("#blank-hint", Static).update(
            Content(visible(f"Paused · {' or '.join(dict.fromkeys(keys))}: back to the meeting"))
        )

    def action_unblank(self) -> None:
        self.dismiss(None)
