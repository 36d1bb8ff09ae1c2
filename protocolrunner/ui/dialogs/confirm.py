"""A yes/no question in a modal dialog."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...core.base.text import visible


class ConfirmDialog(ModalScreen[bool]):
    """Ask before doing something that cannot be undone. Dismisses with True for yes."""

    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
    }
    ConfirmDialog > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmDialog #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            # The question may name a protocol or a person: shown, never sent as is.
            yield Static(Content(visible(self.question)), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(f"{self.no} (n)"), id="no")
                yield Button(Content(f"{self.yes} (y)"), id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ClickerConfirmDialog(ConfirmDialog):
    """A question a presentation clicker can answer: forward (PageDown) is yes, back (PageUp)
    is no. The run screen asks this way before ending, so a meeting driven from a clicker can
    end from it too."""

    BINDINGS = [
        Binding("pagedown", "answer(True)", "Yes", id="confirm.yes-page"),
        Binding("pageup", "answer(False)", "No", id="confirm.no-page"),
    ]

    def on_mount(self) -> None:
        super().on_mount()
        keys: dict[str, str] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.id in ("confirm.yes-page", "confirm.no-page"):
                keys.setdefault(binding.action, self.app.get_key_display(binding))
        if len(keys) == 2:
            hint = (
                f"{keys['answer(True)']}: {self.yes.lower()} · "
                f"{keys['answer(False)']}: {self.no.lower()}"
            )
            self.query_one("#confirm-question", Static).update(
                Content(visible(f"{self.question}\n\n{hint}"))
            )
