"""One session of the record, for reading: export it (Markdown, JSON, HTML, PDF), or copy it."""

from __future__ import annotations

from pathlib import Path

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header

from ...core.base.text import visible
from ...core.export.markdown import session_markdown
from ...core.record.models import SessionRecord
from ..app import ProtocolRunnerApp
from ..exporting import export_sessions
from ..styles import StyledScreen
from ..widgets.session_view import SessionView


class RecordDetailScreen(StyledScreen):
    """A recorded session, with the search that led here highlighted."""

    app = getters.app(ProtocolRunnerApp)

    # Short words in the footer, so that it still holds ^q Quit at 80 columns; the palette
    # names them in full (COMMAND_NAMES), with the tooltip as help.
    BINDINGS = [
        Binding("escape", "back", "Back", id="record-detail.back"),
        Binding(
            "ctrl+e,e",
            "export('md')",
            "Export",
            tooltip="Write this session as Markdown",
            id="record-detail.export-md",
        ),
        Binding(
            "j",
            "export('json')",
            "JSON",
            tooltip="Write this session as JSON",
            id="record-detail.export-json",
        ),
        Binding(
            "h",
            "export('html')",
            "HTML",
            tooltip="Write this session as a web page",
            id="record-detail.export-html",
            show=False,
        ),
        Binding(
            "p",
            "export('pdf')",
            "PDF",
            tooltip="Write this session as a PDF",
            id="record-detail.export-pdf",
            show=False,
        ),
        Binding(
            "c",
            "copy",
            "Copy",
            tooltip="Copy this session as Markdown to the clipboard",
            id="record-detail.copy",
        ),
        Binding("question_mark,f1", "app.help", "Help", id="record-detail.help"),
    ]
    COMMAND_NAMES = {
        "back": "",  # Escape is enough; the palette offers where to go instead
        "export('md')": "Export Markdown",
        "export('json')": "Export JSON",
        "export('html')": "Export HTML",
        "export('pdf')": "Export PDF",
        "copy": "Copy Markdown",
    }

    def __init__(self, path: Path, record: SessionRecord, query: str = "") -> None:
        super().__init__()
        self.path = path
        self.record = record
        self.query_text = query

    def compose(self) -> ComposeResult:
        yield Header()
        yield SessionView(self.record, self.query_text, id="record-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = visible(self.record.protocol.title)
        self.sub_title = visible(f"{self.record.started:%Y-%m-%d} · {self.record.id}")
        self.query_one(SessionView).focus()

    def action_export(self, kind: str) -> None:
        export_sessions(self.app, self.app.context.export_dir, kind, [self.record], self.path.stem)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(session_markdown(self.record))
        self.notify("Copied the session as Markdown to the clipboard.", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
