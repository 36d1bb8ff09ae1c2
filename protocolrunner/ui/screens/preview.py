"""Preview: a protocol file as facilitators will see it, reloaded whenever it is saved.

For authors: the left half is what the home screen shows of the protocol, and Enter walks
through its steps on the real run screen, with sample names. A file that stops being valid
shows its problems in place, with line numbers, while the last good version stays on screen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Footer, Header, Static

from ...core.base.durations import format_minutes
from ...core.base.problems import FileProblems, Problem
from ...core.base.text import visible
from ...core.protocol.library import LibraryEntry, load_protocol_file
from ...core.session.engine import Session
from ...core.session.roles import propose_fair
from ..app import ProtocolRunnerApp
from ..styles import StyledScreen
from ..widgets.preview import ProtocolPreview

POLL_SECONDS = 0.4
"""How often the file is checked: a save shows within a second."""

SAMPLE_NAMES = [
    "Ana Souza",
    "Ben Okafor",
    "Cleo Martin",
    "Dev Patel",
    "Eli Novak",
    "Fay Lindqvist",
    "Gus Moreno",
    "Hana Sato",
    "Ivo Petrov",
    "Jo Mensah",
    "Kai Berg",
    "Lena Roth",
    "Milo Grant",
    "Nia Adeyemi",
    "Omar Haddad",
    "Pia Conti",
    "Quinn Avery",
    "Rosa Vidal",
    "Sam Kerr",
    "Tess Morgan",
]


@dataclass(frozen=True)
class FileState:
    """Enough of ``os.stat`` to notice a save, including an editor's write-and-rename."""

    inode: int
    size: int
    mtime_ns: int


def file_state(path: Path) -> FileState | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileState(st.st_ino, st.st_size, st.st_mtime_ns)


def sample_session(entry: LibraryEntry, clock) -> Session:
    """A session of ``entry`` with sample people in every role, to walk through its steps."""
    protocol = entry.protocol
    size = min(max(protocol.typical_size, protocol.group_size.min), len(SAMPLE_NAMES))
    people = list(SAMPLE_NAMES[:size])
    roles = propose_fair(protocol, people, []).roles
    setup = {q.id: f"(the answer to '{q.label}' shows here)" for q in protocol.setup}
    return Session(
        protocol, attendees=people, roles=roles, setup=setup, clock=clock, check_roles=False
    )


class PreviewScreen(StyledScreen):
    """One protocol file, watched."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "preview.tcss"

    BINDINGS = [
        Binding("enter", "walk", "Walk through the steps", id="preview.walk"),
        Binding("f5", "reload", "Reload", id="preview.reload"),
        Binding("question_mark,f1", "app.help", "Help", id="preview.help"),
        Binding("ctrl+q", "app.quit", "Quit", id="preview.quit"),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.entry: LibraryEntry | None = None
        """The last version of the file that was valid."""
        self.problems: list[Problem] = []
        self._seen: FileState | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="preview-status")
        yield Static(id="preview-problems")
        yield ProtocolPreview(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Preview"
        self.sub_title = visible(str(self.path))
        self.reload()
        self.set_interval(POLL_SECONDS, self.reload_if_changed)

    def reload_if_changed(self) -> bool:
        """Read the file again if it changed on disk; return whether it did."""
        state = file_state(self.path)
        if state is not None and state == self._seen:
            return False
        if state is None and self._seen is None and (self.problems or self.entry):
            return False  # still missing: nothing new to say
        self.reload()
        return True

    def reload(self) -> None:
        self._seen = file_state(self.path)
        try:
            entry = load_protocol_file(self.path)
        except FileProblems as exc:
            self.problems = exc.problems
        else:
            self.entry, self.problems = entry, []
        self._show()

    def _show(self) -> None:
        status = self.query_one("#preview-status", Static)
        problems = self.query_one("#preview-problems", Static)
        problems.set_class(not self.problems, "-empty")
        if self.problems:
            count = len(self.problems)
            lines = [
                Content.styled(
                    f"{count} problem{'s' if count > 1 else ''}: fix the file and save; "
                    + (
                        "the last good version stays below."
                        if self.entry
                        else "nothing to show yet."
                    ),
                    "bold $error",
                )
            ]
            lines += [Content(visible(str(problem))) for problem in self.problems]
            problems.update(Content("\n").join(lines))
        if self.entry is not None:
            p = self.entry.protocol
            status.update(
                Content.assemble(
                    ("Valid" if not self.problems else "Last good version", "bold"),
                    f" · {visible(p.title)} · {format_minutes(p.seconds)} · {len(p.steps)} steps · "
                    "Enter walks through the steps; saving the file reloads it",
                )
            )
        else:
            status.update(Content(visible(f"Watching {self.path}")))
        self.query_one(ProtocolPreview).show(self.entry)

    def action_reload(self) -> None:
        self.reload()
        self.notify("Reloaded" if not self.problems else "The file has problems", timeout=2)

    def action_walk(self) -> None:
        if self.entry is None:
            self.notify("Nothing to walk through until the file is valid.", severity="warning")
            return
        session = sample_session(self.entry, self.app.context.clock)
        self.app.rehearse(session)
