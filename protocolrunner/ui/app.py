"""The protocolrunner app: wires screens, themes, keys and commands over the core."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from ..core.engine import Session, State
from ..core.journal import JournalEntry
from ..core.library import LibraryEntry
from .context import AppContext
from .dialogs.confirm import ConfirmDialog
from .dialogs.help import HelpDialog
from .screens.home import HomeScreen
from .screens.run import RunScreen
from .screens.setup import SetupScreen
from .screens.summary import SummaryScreen

PROJECTOR_THEME = Theme(
    name="projector",
    # Pure black and white with saturated accents survive a washed-out projector.
    primary="#FFD700",
    secondary="#00BFFF",
    accent="#FFD700",
    warning="#FF8C00",
    error="#FF2020",
    success="#00E000",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
)

DEFAULT_THEME = "textual-dark"


class ProtocolRunnerApp(App[None]):
    """Run discussion protocols for a Community of Practice."""

    TITLE = "protocolrunner"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", id="app.quit-c", show=False, priority=True),
    ]

    def __init__(
        self,
        context: AppContext,
        *,
        start_with: LibraryEntry | None = None,
        browse_record: bool = False,
    ) -> None:
        super().__init__()
        self.context = context
        self.start_with = start_with
        self.browse_record = browse_record
        self.animation_level = "none"

    def on_mount(self) -> None:
        self.register_theme(PROJECTOR_THEME)
        self.theme = DEFAULT_THEME
        self.push_screen(HomeScreen())
        for problem in self.context.problems:
            self.notify(str(problem), title="Skipped a file", severity="warning", markup=False)
        if self.start_with is not None:
            self.open_setup(self.start_with)
        elif self.browse_record:
            self.open_record_browser()

    # -- navigation (screens call these) ------------------------------------------------------
    def open_setup(self, entry: LibraryEntry) -> None:
        self.push_screen(SetupScreen(entry))

    def start_session(self, session: Session, protocol_sha256: str = "") -> None:
        self.switch_screen(RunScreen(session, protocol_sha256))

    def resume_session(self, entry: JournalEntry) -> None:
        session = entry.restore(self.context.clock)
        screen: Screen
        if session.state is State.FINISHED:
            screen = SummaryScreen(session, entry.protocol_sha256)
        else:
            screen = RunScreen(session, entry.protocol_sha256)
        self.push_screen(screen)

    def show_summary(self, session: Session, protocol_sha256: str = "") -> None:
        self.set_projector_theme(False)
        self.switch_screen(SummaryScreen(session, protocol_sha256))

    def open_record_browser(self) -> None:
        # Imported here: the browser (and DataTable) costs nothing until it is opened.
        from .screens.record_sessions import RecordSessionsScreen

        if any(isinstance(s, RecordSessionsScreen) for s in self.screen_stack):
            while not isinstance(self.screen, RecordSessionsScreen):
                self.pop_screen()
            return
        self.push_screen(RecordSessionsScreen())

    def _open_record_view(self, screen: Screen) -> None:
        # One record view at a time over home or the browser: replace another one, if open.
        from .screens.record_community import CommunityScreen
        from .screens.record_members import MembersScreen
        from .screens.record_timing import TimingScreen

        if isinstance(self.screen, MembersScreen | CommunityScreen | TimingScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def open_members(self) -> None:
        from .screens.record_members import MembersScreen

        self._open_record_view(MembersScreen())

    def open_community(self) -> None:
        from .screens.record_community import CommunityScreen

        self._open_record_view(CommunityScreen())

    def open_timing(self, protocol_id: str | None = None) -> None:
        from .screens.record_timing import TimingScreen

        self._open_record_view(TimingScreen(protocol_id))

    def go_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, HomeScreen):
            self.switch_screen(HomeScreen())

    def save_journal(
        self, session: Session, protocol_sha256: str = "", force: bool = False
    ) -> None:
        try:
            self.context.journal.save(
                session,
                record=self.context.record.root,
                protocol_sha256=protocol_sha256,
                force=force,
            )
        except OSError as exc:
            self.notify(
                f"Could not save the journal: {exc}", severity="error", markup=False, timeout=10
            )

    def set_projector_theme(self, on: bool) -> None:
        self.theme = "projector" if on else DEFAULT_THEME

    # -- actions -------------------------------------------------------------------------------
    def _session_in_progress(self) -> Session | None:
        screen = self.screen
        session = getattr(screen, "session", None)
        if isinstance(screen, RunScreen):
            return session
        if isinstance(screen, SummaryScreen) and screen.unsaved:
            return session
        return None

    async def action_quit(self) -> None:
        session = self._session_in_progress()
        if session is None:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return

        def done(yes: bool | None) -> None:
            if yes:
                sha = getattr(self.screen, "protocol_sha256", "")
                if session.running:
                    session.pause()
                self.save_journal(session, sha, force=True)
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit now? The session is kept in the journal: start protocolrunner again and "
                "press r on the home screen to resume it.",
                yes="Quit",
                no="Stay",
            ),
            done,
        )

    def action_help(self) -> None:
        screen = self.screen
        keys: dict[str, list[str]] = {}
        descriptions: dict[str, str] = {}
        for binding in [*screen.BINDINGS, *self.BINDINGS]:
            if not isinstance(binding, Binding):
                continue
            for key in binding.key.split(","):
                keys.setdefault(binding.action, []).append(self.get_key_display(Binding(key, "")))
            descriptions.setdefault(binding.action, binding.description)
        rows = [(" / ".join(dict.fromkeys(keys[a])), descriptions[a]) for a in keys]
        about = (
            "Function keys work even while you type notes; letters work when no note box "
            "has focus (Escape leaves a note box)."
            if isinstance(screen, RunScreen)
            else ""
        )
        self.push_screen(HelpDialog(f"Keys: {screen.title or self.title}", rows, about))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, RunScreen):
            yield SystemCommand(
                "Pause or resume", "Pause or resume the countdown", screen.action_toggle_pause
            )
            yield SystemCommand("Next step", "Go to the next step", screen.action_next_step)
            yield SystemCommand("Previous step", "Go back one step", screen.action_previous_step)
            yield SystemCommand(
                "Add a minute", "Give this step one more minute", lambda: screen.action_extend(60)
            )
            yield SystemCommand(
                "Projector mode", "Toggle the big projector view", screen.action_toggle_projector
            )
            yield SystemCommand(
                "Bell on or off", "Ring at time-up, or not", screen.action_toggle_bell
            )
            yield SystemCommand(
                "End session", "Finish and go to the summary", screen.action_end_session
            )
        if isinstance(screen, SummaryScreen):
            yield SystemCommand(
                "Save to record", "Write this session to the record", screen.action_save
            )
            yield SystemCommand(
                "Export Markdown", "Write this session as Markdown", screen.action_export
            )
        if isinstance(screen, HomeScreen):
            for entry in self.context.library:
                yield SystemCommand(
                    f"Run {entry.protocol.title}",
                    entry.protocol.summary,
                    lambda e=entry: self.open_setup(e),
                )
        # Screens can offer their own commands (the record browser does).
        palette_commands = getattr(screen, "palette_commands", None)
        if palette_commands is not None:
            yield from palette_commands()
        if not isinstance(screen, RunScreen | ConfirmDialog):
            yield SystemCommand(
                "Browse the record",
                "Past sessions: filter, search, read and export them",
                self.open_record_browser,
            )
            yield SystemCommand(
                "Members",
                "Each member's sessions, roles, last time presenting, next in rotation",
                self.open_members,
            )
            yield SystemCommand(
                "Community: purpose, goals, norms, members",
                "Read and edit community.toml",
                self.open_community,
            )
            yield SystemCommand(
                "Timing: steps against their plan",
                "How long each step of a protocol really took in past sessions",
                self.open_timing,
            )
        yield SystemCommand("Help: keys", "Show every key of this screen", self.action_help)
