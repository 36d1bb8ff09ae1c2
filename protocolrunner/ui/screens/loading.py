"""The first frame: shown for the moment it takes to open the record and the library."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class LoadingScreen(Screen):
    """What the app shows until its record and protocol library are open."""

    DEFAULT_CSS = """
    LoadingScreen #loading {
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Opening the community record and the protocol library…", id="loading")
        yield Footer()
