"""One session of the record, for reading: export it to Markdown or JSON, or copy it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import getters
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from ...core.atomic import write_atomic
from ...core.export import session_json, session_markdown
from ...core.models import SessionRecord
from ...core.text import visible
from ..app import ProtocolRunnerApp
from ..widgets.session_view import SessionView


class RecordDetailScreen(Screen):
    """A recorded session, with the search that led here highlighted."""

    app = getters.app(ProtocolRunnerApp)

    BINDINGS = [
        Binding("escape", "back", "Back", id="record-detail.back"),
        Binding("ctrl+e,e", "export('md')", "Export Markdown", id="record-detail.export-md"),
        Binding("j", "export('json')", "Export JSON", id="record-detail.export-json"),
        Binding("c", "copy", "Copy Markdown", id="record-detail.copy"),
        Binding("question_mark,f1", "app.help", "Help", id="record-detail.help"),
    ]

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

    def export_path(self, suffix: str) -> Path:
        return self.app.context.export_dir / self.path.with_suffix(f".{suffix}").name

    def action_export(self, kind: str) -> None:
        text = session_json(self.record) if kind == "json" else session_markdown(self.record)
        path = self.export_path("json" if kind == "json" else "md")
        try:
            write_atomic(path, text)
        except OSError as exc:
            self.notify(
                visible(f"Could not export: {exc}"), severity="error", markup=False, timeout=10
            )
            return
        what = "JSON" if kind == "json" else "Markdown"
        self.notify(visible(str(path)), title=f"Exported as {what}", markup=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(session_markdown(self.record))
        self.notify("Copied the session as Markdown to the clipboard.", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands for the command palette while this screen is shown."""
        yield SystemCommand(
            "Export Markdown", "Write this session as Markdown", lambda: self.action_export("md")
        )
        yield SystemCommand(
            "Export JSON", "Write this session as JSON", lambda: self.action_export("json")
        )
        yield SystemCommand(
            "Copy Markdown", "Copy this session as Markdown to the clipboard", self.action_copy
        )
