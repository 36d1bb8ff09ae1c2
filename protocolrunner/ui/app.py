"""The protocolrunner app: wires screens, themes, keys and commands over the core.

Started from the command line, the app paints a first screen at once and opens the record and
the protocol library in a thread (``load``), because pydantic and the protocol models cost more
than Textual itself to import. Screens and the core are imported where they are first needed,
so nothing heavy stands between ``protocolrunner`` and its first frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.theme import Theme

from ..core.base.text import visible
from ..core.settings.config import DEFAULT_THEME, THEMES
from .dialogs.confirm import ConfirmDialog
from .dialogs.help import HelpDialog

if TYPE_CHECKING:
    from ..core.base.problems import Problem
    from ..core.protocol.library import LibraryEntry
    from ..core.session.engine import Session
    from ..core.session.journal import JournalEntry
    from .context import AppContext

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

THEME_COMMANDS = {
    "dark": ("Theme: dark", "Light text on a dark background"),
    "light": ("Theme: light", "Dark text on a light background"),
    "projector": (
        "Theme: projector (high contrast)",
        "Black and white with strong colours, for a washed-out projector",
    ),
}
"""The themes the palette offers, by their name in the settings
(``core.settings.config.THEMES``)."""


class StartupError(Exception):
    """A problem that stops the app from starting, told to the user in one line."""


class ProtocolRunnerApp(App[None]):
    """Run discussion protocols for a Community of Practice."""

    TITLE = "protocolrunner"
    # The screens shown at start-up are styled from the start: Textual parses every style sheet
    # afresh when a screen brings a new one, which held home back by tens of milliseconds.
    CSS_PATH = ["app.tcss", "screens/home.tcss", "screens/record_sessions.tcss"]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", id="app.quit-c", show=False, priority=True),
    ]

    def __init__(
        self,
        context: AppContext | None = None,
        *,
        load: Callable[[], AppContext] | None = None,
        start_with: LibraryEntry | str | None = None,
        browse_record: bool = False,
        preview: Path | None = None,
        theme: str = DEFAULT_THEME,
    ) -> None:
        """Give the ``context`` ready-made (tests), or a ``load`` function to build it in a
        thread after the first frame (the command line). ``start_with`` opens setup for a
        protocol (an entry, or an id or path to resolve in the library); ``preview`` shows one
        protocol file instead of home, and reloads it when it changes. ``theme`` (a name
        of ``core.settings.config.THEMES``) is the first frame's, until the settings are read."""
        from .served import PALETTE_KEY, is_served

        self.served = is_served()
        """Run by textual-serve for a web browser: keys the browser keeps have alternatives."""
        if self.served:
            # Per app, before Textual binds it: the footer shows the palette's key from here.
            setattr(self, "COMMAND_PALETTE_BINDING", PALETTE_KEY)  # noqa: B010
        super().__init__()
        if (context is None) == (load is None):
            raise ValueError("give either a context or a function that loads one")
        self._loaded_context = context
        self._load = load
        self.start_with = start_with
        self.browse_record = browse_record
        self.preview = preview
        self._library_told = False
        self.startup_error: str | None = None
        """Why the app could not start, if it could not; the command line prints it."""
        self.animation_level = "none"
        self.main_theme = theme if theme in THEMES else DEFAULT_THEME
        """The theme outside projector mode, by its settings name."""
        self.keymap: dict[str, str] = {}
        """The keymap in force (``set_keymap``), which help reads to show remapped keys."""

    @property
    def ready(self) -> bool:
        """Whether the record and library are open, so that ``context`` can be used."""
        return self._loaded_context is not None

    @property
    def context(self) -> AppContext:
        if self._loaded_context is None:
            raise RuntimeError("the record and library are still loading")
        return self._loaded_context

    @property
    def read_only(self) -> bool:
        """Whether the record is open for reading only (served without --facilitate)."""
        context = self._loaded_context
        return context is not None and context.record.read_only

    def on_mount(self) -> None:
        if self.served:
            from .served import SERVED_KEYMAP

            self.keymap = dict(SERVED_KEYMAP)
            self.set_keymap(self.keymap)
        self.register_theme(PROJECTOR_THEME)
        self.theme = THEMES[self.main_theme]
        if self._loaded_context is not None:
            self._open(self._loaded_context)
            return
        self.push_screen(self._first_screen())
        if self._opens_browser():
            return  # the browser is painted first (on_ready), then the record is opened
        # Opened in a thread while the first frame is painted: with nothing changed since the
        # last start, opening the record needs neither the models nor pydantic (the summary
        # cache has what home shows), so it holds the GIL for a few milliseconds only, and
        # home is often ready before the loading screen was ever painted.
        self.run_worker(self._load_context, thread=True, name="load", group="load")

    def on_ready(self) -> None:
        # Textual is ready once its start-up batch is over; the first frame is painted at the
        # next refresh. The browser's record is opened only then: its index is read on the
        # heels of the record, and would hold that frame back.
        if self._load is not None and self._loaded_context is None and self._opens_browser():
            self.call_after_refresh(
                self.run_worker, self._load_context, thread=True, name="load", group="load"
            )

    def _opens_browser(self) -> bool:
        return self.browse_record and self.start_with is None and self.preview is None

    def _first_screen(self) -> Screen:
        if self._opens_browser():
            # The browser is its own loading screen: its layout shows at once, the sessions
            # fill in when the record is open, and the reader can start typing a search.
            from .screens.record_sessions import RecordSessionsScreen

            return RecordSessionsScreen()
        from .screens.loading import LoadingScreen

        return LoadingScreen()

    def _load_context(self) -> None:
        assert self._load is not None
        try:
            context = self._load()
        except StartupError as exc:
            self.call_from_thread(self._fail, str(exc))
            return
        if self._opens_browser():
            # The browser's rows need only the record's index: it opens now, and the library
            # (for its filter lists) is loaded here meanwhile.
            self.call_from_thread(self._open, context)
            context.library  # noqa: B018
            self.call_from_thread(self.library_loaded)
            return
        context.library  # noqa: B018  (loaded here, off the UI thread: home lists it)
        from .screens import home  # noqa: F401  (imported here too: the UI thread is drawing)

        self.call_from_thread(self._open, context)

    def _fail(self, message: str) -> None:
        self.startup_error = message
        self.exit(return_code=1)

    def _open(self, context: AppContext) -> None:
        from .screens.home import HomeScreen

        if not self._opens_browser():
            context.library  # noqa: B018  (at once, for a context made ready beforehand)
        self._loaded_context = context
        self.apply_settings()
        self.show_community_name()
        if self.preview is not None:
            from .screens.preview import PreviewScreen

            self._replace_loading(PreviewScreen(self.preview))
            return
        start = self.start_with
        if isinstance(start, str):
            from ..core.protocol.library import ProtocolNotFound

            try:
                start = context.library.resolve(start)
            except ProtocolNotFound as exc:
                self._fail(str(exc.args[0] if exc.args else exc))
                return
        if self._opens_browser():
            # Straight into the browser: home is built when the reader goes back to it.
            from .screens.record_sessions import RecordSessionsScreen

            screen = self.screen
            if isinstance(screen, RecordSessionsScreen):
                # Queued on the screen, so it runs after the screen's own mount.
                screen.call_later(screen.open_record)
            else:
                self.push_screen(RecordSessionsScreen())
        else:
            self._replace_loading(HomeScreen())
            self.call_after_refresh(
                self.run_worker, self._warm_up, thread=True, name="warm-up", group="warm-up"
            )
        problems = list(context.problems)
        if context.library_loaded:
            problems[:0] = context.library.problems
            self._library_told = True
        self._tell_problems(problems)
        for problem in context.setting_problems:
            self.notify(
                visible(str(problem)),
                title="Settings: ignored",
                severity="warning",
                markup=False,
                timeout=20,
            )
        if start is not None:
            self.open_setup(start)

    def _warm_up(self) -> None:
        """Once home is shown, import what setting up a session needs (the models, pydantic)
        and read the community whole, so that the first Enter waits for neither."""
        from ..core.session import engine  # noqa: F401

        self.context.community  # noqa: B018

    def library_loaded(self) -> None:
        """Tell the protocol files the library skipped, once, if the record opened first."""
        if not self._library_told:
            self._library_told = True
            self._tell_problems(self.context.library.problems)

    def _tell_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.notify(
                visible(str(problem)), title="Skipped a file", severity="warning", markup=False
            )

    def _replace_loading(self, screen: Screen) -> None:
        from .screens.loading import LoadingScreen

        if isinstance(self.screen, LoadingScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # -- navigation (screens call these) ------------------------------------------------------
    def open_setup(self, entry: LibraryEntry) -> None:
        from .screens.setup import SetupScreen

        if self.read_only:
            return
        self.push_screen(SetupScreen(entry))

    def start_session(self, session: Session, protocol_sha256: str = "") -> None:
        from .screens.run import RunScreen

        self.switch_screen(RunScreen(session, protocol_sha256))

    def resume_session(self, entry: JournalEntry) -> None:
        from ..core.session.engine import State
        from .screens.run import RunScreen
        from .screens.summary import SummaryScreen

        session = entry.restore(self.context.clock)
        screen: Screen
        if session.state is State.FINISHED:
            screen = SummaryScreen(session, entry.protocol_sha256)
        else:
            screen = RunScreen(session, entry.protocol_sha256)
        self.push_screen(screen)

    def show_summary(self, session: Session, protocol_sha256: str = "") -> None:
        from .screens.summary import SummaryScreen

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

    def rehearse(self, session: Session) -> None:
        """Run ``session`` over the current screen (the preview's walk through the steps)."""
        from .screens.run import RunScreen

        self.push_screen(RunScreen(session))

    def go_home(self) -> None:
        from .screens.home import HomeScreen

        if self.read_only:
            # Served for reading: home runs meetings, so the record browser is as far as it goes.
            self.notify("This record is open for reading only.", markup=False)
            return
        if self.preview is not None:
            from .screens.preview import PreviewScreen

            while not isinstance(self.screen, PreviewScreen):
                self.pop_screen()
            return
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
                visible(f"Could not save the journal: {exc}"),
                severity="error",
                markup=False,
                timeout=10,
            )

    def show_community_name(self) -> None:
        """Name the community in the header of screens that name nothing else: the room
        knows its community, not the folder its record is kept in."""
        context = self.context
        self.sub_title = visible(context.community_info.name.strip() or context.record.root.name)

    def apply_settings(self) -> None:
        """The facilitator's theme and keys, from the settings (and the palette's last
        choice)."""
        context = self.context
        self.main_theme = context.theme
        self.theme = THEMES[self.main_theme]
        if context.keymap:
            # The facilitator's keys over those a browser needs when served.
            self.keymap = {**self.keymap, **context.keymap}
            self.set_keymap(self.keymap)

    def set_projector_theme(self, on: bool) -> None:
        if on:
            self.theme = THEMES[self.context.settings.settings.projector.theme]
        else:
            self.theme = THEMES[self.main_theme]

    def pick_theme(self, name: str) -> None:
        """Use the theme ``name`` from now on (the palette's choice), and remember it."""
        from ..core.settings.config import Remembered, remember_theme

        self.main_theme = name
        self.theme = THEMES[name]
        if self._loaded_context is None:
            return
        context = self.context
        try:
            remember_theme(name, context.configured_theme)
        except OSError as exc:
            self.notify(
                visible(f"Could not remember the theme: {exc}"), severity="warning", markup=False
            )
            return
        context.remembered = Remembered(name, context.configured_theme)

    # -- actions -------------------------------------------------------------------------------
    def _meeting_screen(self) -> Screen:
        """The screen under any dialogs (help, the blank screen): the meeting is still on."""
        return next(
            (s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)),
            self.screen,
        )

    def _session_in_progress(self) -> Session | None:
        from .screens.run import RunScreen
        from .screens.summary import SummaryScreen

        screen = self._meeting_screen()
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

        meeting = self._meeting_screen()

        def done(yes: bool | None) -> None:
            if yes:
                sha = getattr(meeting, "protocol_sha256", "")
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
        """Help for the screen the user is on: its keys, its lists' and editors' keys, and
        those that work everywhere, read from the bindings."""
        from .dialogs.help import key_groups
        from .screens.run import RunScreen

        screen = self.screen
        if isinstance(screen, HelpDialog):
            return
        name = self._screen_name(screen)
        about = (
            "Function keys work even while you type notes; letters work when no note box "
            "has focus (Escape leaves a note box)."
            if isinstance(screen, RunScreen)
            else ""
        )
        self.push_screen(HelpDialog(f"Keys: {name}", key_groups(self, screen), about))

    def _screen_name(self, screen: Screen) -> str:
        # Home's title is the app's own name: say which screen it is instead.
        if screen.title and screen.title != self.TITLE:
            return str(screen.title)
        return type(screen).__name__.removesuffix("Screen").lower() or "this screen"

    # -- sharing ------------------------------------------------------------------------------
    def action_sync_record(self) -> None:
        """Sync the record through git (``record sync``) in a thread; say how it went."""
        if self._loaded_context is None:
            return
        if self.read_only:
            self.notify("This record is open for reading only: not synced.", markup=False)
            return
        self.notify("Syncing the record…", timeout=3)
        self.run_worker(self._sync, thread=True, exclusive=True, group="sync", name="sync")

    def _sync(self) -> None:
        from ..core.record import sync

        def tell(step: str) -> None:
            self.call_from_thread(self.notify, visible(step.capitalize() + "…"), timeout=3)

        try:
            result = sync.sync(self.context.record, progress=tell)
        except sync.SyncError as exc:
            message = visible(str(exc))
            self.call_from_thread(
                self.notify, message, title="Not synced", severity="error", markup=False, timeout=20
            )
            return
        self.call_from_thread(self._synced, result)

    def _synced(self, result) -> None:
        from ..core.base.problems import FileProblems

        context = self.context
        try:
            context.community = context.record.load_community()
        except FileProblems as exc:
            context.problems.extend(exc.problems)
        self.show_community_name()
        for screen in self.screen_stack:
            changed = getattr(screen, "record_changed", None)
            if changed is not None:
                changed()
        lines = [result.summary()]
        for conflict in result.conflicts[:5]:
            lines.append(
                f"{conflict.get('file')} {conflict.get('key')}: kept “{conflict.get('kept')}”; "
                f"the other version was “{conflict.get('other')}”"
            )
        self.notify(
            visible("\n".join(lines)),
            title="Synced",
            severity="warning" if result.conflicts else "information",
            markup=False,
            timeout=30 if result.conflicts else 8,
        )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from .screens.home import HomeScreen
        from .screens.run import RunScreen

        # Textual's own theme picker offers a score of themes; these three are the app's.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Theme")
        for name, (title, help_text) in THEME_COMMANDS.items():
            if name != self.main_theme:
                yield SystemCommand(title, help_text, partial(self.pick_theme, name))
        if self._loaded_context is None:
            return  # still loading: nothing to act on yet
        if hasattr(screen, "COMMAND_NAMES"):
            yield from binding_commands(screen)
        if isinstance(screen, HomeScreen):
            for entry in self.context.library:
                yield SystemCommand(
                    visible(f"Run {entry.outline.title}"),
                    visible(entry.outline.summary),
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
            yield SystemCommand(
                "Sync the record",
                "Send this record's changes to the shared git repository and receive the others'",
                self.action_sync_record,
            )
        yield SystemCommand(
            "Help: keys", "The keys of this screen, its lists and everywhere", self.action_help
        )


def binding_commands(screen: Screen) -> Iterator[SystemCommand]:
    """The palette's commands for ``screen``: its own bindings that are enabled now, one per
    command name (``COMMAND_NAMES`` by action, else the binding's description), with the
    tooltip (else the description) as help. The app's actions (help) are offered apart."""
    names: dict[str, str] = getattr(screen, "COMMAND_NAMES", {})
    offered: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if active.node is not screen or not active.enabled or "." in binding.action:
            continue
        name = names.get(binding.action, binding.description)
        if not name or name in offered:
            continue
        offered.add(name)
        yield SystemCommand(
            name,
            binding.tooltip or binding.description,
            partial(screen.run_action, binding.action),
        )
