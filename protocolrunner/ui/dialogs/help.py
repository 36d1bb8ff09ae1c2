"""The keys of the screen the user was on, in a modal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...core.text import visible


def keys_table(bindings: list[tuple[str, str]]) -> Content:
    width = max((len(key) for key, _ in bindings), default=4)
    rows = [
        Content.assemble((f"{key:>{width}}", "bold $accent"), "  ", visible(what))
        for key, what in bindings
    ]
    return Content("\n").join(rows)


class HelpDialog(ModalScreen[None]):
    """Lists every key of a screen, including those the footer has no room for."""

    DEFAULT_CSS = """
    HelpDialog {
        align: center middle;
    }
    HelpDialog > VerticalScroll {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close")]

    def __init__(self, title: str, bindings: list[tuple[str, str]], about: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.bindings = bindings
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            # The title names the screen, which may name a protocol from a file.
            yield Static(Content.styled(visible(self.title_text), "bold"))
            if self.about:
                yield Static(Content(visible(self.about)), classes="help-about")
            yield Static(keys_table(self.bindings))
            yield Static(Content.styled("\nEscape closes this help.", "dim"))
