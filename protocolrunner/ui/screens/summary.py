"""Summary: planned against actual time, every note (still editable), action items, reflection,
then save to the record and export."""

from __future__ import annotations

import textwrap
from pathlib import Path

from textual import events, getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Static, TextArea

from ...core.base.atomic import write_atomic
from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.record.folder import RecordError, session_file_name, session_record, session_toml
from ...core.session.engine import Session
from ...core.session.outcome import outcome_label
from ..app import ProtocolRunnerApp
from ..exporting import export_sessions
from ..footer import SteadyFooterScreen
from ..widgets.editors import SafeInput, SafeTextArea
from ..widgets.notes import NotesPanel

SKIPPED = "  skipped"


def timing_content(session: Session, width: int | None = None) -> Content:
    """Planned, adjusted and actual time of each step and in all, as the record keeps them.

    The step column is as wide as the longest title, or as ``width`` leaves room for; a longer
    title wraps onto the lines below its numbers, never cut.
    """
    timing = session.timing()
    titles = [visible(step.title) for step in timing.steps]
    column = max(len("Total"), *(len(title) for title in titles))
    if width is not None:
        numbers = 3 * 9 + (len(SKIPPED) if any(s.skipped for s in timing.steps) else 0)
        column = max(12, min(column, width - numbers))
    rows = [
        Content.styled(f"{'Step':<{column}} {'Planned':>8} {'Adjusted':>8} {'Actual':>8}", "bold")
    ]
    for step, title in zip(timing.steps, titles, strict=True):
        first, *more = textwrap.wrap(title, column) or [""]
        rows.append(
            Content.assemble(
                f"{first:<{column}} {format_duration(step.planned):>8} "
                f"{format_duration(step.adjusted):>8} ",
                (f"{format_duration(step.actual):>8}", "$error" if step.over else ""),
                SKIPPED if step.skipped else "",
            )
        )
        rows.extend(Content(line) for line in more)
    rows.append(
        Content.styled(
            f"{'Total':<{column}} {format_duration(timing.planned):>8} "
            f"{format_duration(timing.adjusted):>8} {format_duration(timing.actual):>8}",
            "bold",
        )
    )
    return Content("\n").join(rows)


class TimingTable(Static):
    """The timing table, drawn again for its width (so titles get the room there is)."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__(timing_content(session), id=id)
        self.session = session

    def on_resize(self, event: events.Resize) -> None:
        self.update(timing_content(self.session, event.size.width))


class SummaryScreen(SteadyFooterScreen):
    """After the last step: tidy the notes, add action items, reflect, save."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "summary.tcss"

    BINDINGS = [
        # Priority: the note and action boxes have their own ctrl+e and ctrl+w (line editing).
        Binding(
            "ctrl+s",
            "save",
            "Save to record",
            id="summary.save",
            priority=True,
            tooltip="Write this session to the record",
        ),
        Binding(
            "ctrl+e",
            "export",
            "Export Markdown",
            id="summary.export",
            priority=True,
            tooltip="Write this session as Markdown to the export folder",
        ),
        Binding(
            "f3",
            "export('html')",
            "Export HTML",
            id="summary.export-html",
            priority=True,
            show=False,
            tooltip="Write this session as a web page to the export folder",
        ),
        Binding(
            "f4",
            "export('pdf')",
            "Export PDF",
            id="summary.export-pdf",
            priority=True,
            show=False,
            tooltip="Write this session as a PDF to the export folder",
        ),
        Binding(
            "ctrl+w",
            "home",
            "Home",
            id="summary.home",
            priority=True,
            tooltip="Back to the home screen (asks first if not saved)",
        ),
        Binding(
            "f1",
            "app.help",
            "Help",
            id="summary.help",
            priority=True,
            tooltip="The keys of this screen, its lists and everywhere",
        ),
    ]

    # The palette's names for these bindings (see RunScreen.COMMAND_NAMES).
    COMMAND_NAMES = {
        "save": "Save to record",
        "export": "Export Markdown",
        "export('html')": "Export HTML",
        "export('pdf')": "Export PDF",
        "home": "Back home",
    }

    def __init__(self, session: Session, protocol_sha256: str = "") -> None:
        super().__init__()
        self.session = session
        self.protocol_sha256 = protocol_sha256
        self.saved_path: Path | None = None
        self._saved_revision: int | None = None

    def compose(self) -> ComposeResult:
        s = self.session
        # A summary opened before the end (it never is, today) reads as the record would.
        status = outcome_label(s.outcome or "completed")
        yield Header()
        with VerticalScroll(id="summary-body"):
            yield Static(
                Content.assemble(
                    ("Summary: ", "bold"), (visible(s.protocol.title), "bold"), f" · {status}"
                ),
                id="summary-title",
            )
            yield TimingTable(s, id="timing")
            for i, run in enumerate(s.runs):
                if not run.step.capture:
                    continue
                yield Label(Content(f"{i + 1}. {visible(run.step.title)}"), classes="heading")
                yield NotesPanel([(i, f, s.note(i, f.id)) for f in run.step.capture])
            yield Label(Content("Action items"), classes="section heading")
            yield Vertical(id="actions")
            with Horizontal(id="action-new"):
                yield SafeInput(
                    placeholder="New action item, e.g. Try wait time for two weeks",
                    id="action-text",
                )
                yield SafeInput(placeholder="Who", id="action-owner")
                yield Button("Add", id="action-add")
            yield Label(Content("Closing reflection"), classes="section heading")
            yield SafeTextArea(s.reflection, soft_wrap=True, id="reflection")
            yield Static(id="saved-path")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Summary"
        self._show_actions()
        self.query_one("#action-text", Input).focus()

    # -- editing ------------------------------------------------------------------------------
    @on(NotesPanel.Changed)
    def _note_changed(self, event: NotesPanel.Changed) -> None:
        self.session.set_note(event.step_index, event.field_id, event.text)
        self._journal()

    @on(TextArea.Changed, "#reflection")
    def _reflection_changed(self, event: TextArea.Changed) -> None:
        self.session.set_reflection(event.text_area.text)
        self._journal()

    @on(Input.Submitted, "#action-text")
    @on(Input.Submitted, "#action-owner")
    @on(Button.Pressed, "#action-add")
    def _add_action(self) -> None:
        text_input = self.query_one("#action-text", Input)
        owner_input = self.query_one("#action-owner", Input)
        text = text_input.value.strip()
        if not text:
            text_input.focus()
            return
        self.session.add_action(text, owner_input.value.strip())
        text_input.value = ""
        owner_input.value = ""
        text_input.focus()
        self._show_actions()
        self._journal()

    def _show_actions(self) -> None:
        box = self.query_one("#actions", Vertical)
        box.remove_children()
        if not self.session.actions:
            box.mount(Label(Content.styled("No action items yet.", "dim")))
            return
        for i, item in enumerate(self.session.actions):
            owner = f" ({item.owner})" if item.owner else ""
            label = Content(visible(item.text + owner))
            box.mount(Checkbox(label, item.done, id=f"action-{i}"))

    @on(Checkbox.Changed)
    def _action_toggled(self, event: Checkbox.Changed) -> None:
        index = int((event.checkbox.id or "action-0").removeprefix("action-"))
        self.session.update_action(index, done=event.value)
        self._journal()

    def _journal(self) -> None:
        self.app.save_journal(self.session, self.protocol_sha256)

    # -- saving ------------------------------------------------------------------------------
    @property
    def unsaved(self) -> bool:
        return self._saved_revision != self.session.revision

    def action_save(self) -> None:
        record = self.app.context.record
        saved = session_record(self.session, self.protocol_sha256)
        # The journal first holds exactly what is saved: after a crash between the save and the
        # discard below, the resumed session saves to the very same file, and that is success.
        self.app.save_journal(self.session, self.protocol_sha256, force=True)
        try:
            if self.saved_path is None:
                self.saved_path = record.save_session(saved)
            else:
                write_atomic(self.saved_path, session_toml(saved))
        except (OSError, RecordError) as exc:
            self.notify(
                visible(f"Could not save: {exc}"), severity="error", markup=False, timeout=10
            )
            return
        self._saved_revision = self.session.revision
        self.app.context.journal.discard(self.session.id)
        self.query_one("#saved-path", Static).update(
            Content.assemble(("Saved to ", "bold $success"), visible(str(self.saved_path)))
        )
        self.notify(visible(f"Saved to {self.saved_path}"), markup=False)

    def action_export(self, kind: str = "md") -> None:
        saved = session_record(self.session, self.protocol_sha256)
        stem = session_file_name(saved).removesuffix(".toml")
        path = export_sessions(self.app, self.app.context.export_dir, kind, [saved], stem)
        if path is not None:
            self.query_one("#saved-path", Static).update(
                Content.assemble(("Exported to ", "bold $success"), visible(str(path)))
            )

    def action_home(self) -> None:
        if not self.unsaved:
            self.app.go_home()
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.app.go_home()

        from ..dialogs.confirm import ConfirmDialog

        self.app.push_screen(
            ConfirmDialog(
                "Leave without saving? The session stays in the journal and can be resumed "
                "from the home screen.",
                yes="Leave",
                no="Stay",
            ),
            done,
        )
