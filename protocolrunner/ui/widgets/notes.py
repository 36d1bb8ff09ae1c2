"""Note editors for the capture fields of one step."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, TextArea

from ...core.base.text import visible
from ...core.protocol.model import CaptureField
from .editors import SafeTextArea


class NoteEditor(SafeTextArea):
    """A plain-text editor for one capture field; the text is kept exactly as typed (and a
    control character in it is drawn as a picture of it, see ``editors``)."""

    DEFAULT_CSS = """
    NoteEditor {
        height: auto;
        min-height: 4;
        max-height: 12;
    }
    """

    def __init__(self, step_index: int, field: CaptureField, text: str) -> None:
        super().__init__(
            text,
            soft_wrap=True,
            tab_behavior="focus",
            placeholder=Content(visible(field.help or f"Type {field.label.lower()} here")),
            id=f"note-{step_index}-{field.id}",
        )
        self.step_index = step_index
        self.field_id = field.id
        # Protocol text is never markup: Content keeps brackets literal in the border too.
        self.border_title = Content(visible(field.label))

    def on_mount(self) -> None:
        # A box that already holds notes (back a step, a resumed session, the summary) goes on
        # where they stopped: typing must not land in front of what was written before.
        self.move_cursor(self.document.end)


class NotesPanel(Vertical):
    """One editor per capture field of a step; says so when a step keeps no notes."""

    DEFAULT_CSS = """
    NotesPanel {
        height: auto;
    }
    NotesPanel .notes-none {
        color: $text-muted;
        padding: 0 1;
    }
    """

    class Changed(Message):
        def __init__(self, step_index: int, field_id: str, text: str) -> None:
            super().__init__()
            self.step_index = step_index
            self.field_id = field_id
            self.text = text

    def __init__(self, fields: list[tuple[int, CaptureField, str]], *, id: str | None = None):
        super().__init__(id=id)
        self._fields = fields

    def compose(self) -> ComposeResult:
        if not self._fields:
            yield Label("This step keeps no notes.", classes="notes-none")
        for step_index, field, text in self._fields:
            yield NoteEditor(step_index, field, text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        editor = event.text_area
        if isinstance(editor, NoteEditor):
            event.stop()
            self.post_message(self.Changed(editor.step_index, editor.field_id, editor.text))
