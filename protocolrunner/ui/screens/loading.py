"""The first frame: shown for the moment it takes to open the record and the library."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from ..styles import StyledScreen


class LoadingScreen(StyledScreen):
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
