"""Home: the community, the protocol library with a preview, and any interrupted session."""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ...core.base.durations import format_minutes
from ...core.base.text import visible
from ...core.protocol.library import LibraryEntry
from ...core.session.journal import JournalEntry
from ..app import ProtocolRunnerApp
from ..styles import StyledScreen
from ..widgets.followthrough import FollowThrough
from ..widgets.preview import ProtocolPreview

LABEL_WIDTH = 32
"""The library list's width (home.tcss) less its padding and a scroll bar's room."""


def library_label(entry: LibraryEntry) -> Content:
    """One line: the title, and its minutes right-aligned; the preview beside says the rest.
    At 80x24 every bundled protocol must show under the follow-through panel."""
    p = entry.outline
    # A protocol in turns by person takes as long as the group is big: say so.
    minutes = ("about " if p.varies else "") + format_minutes(p.seconds)
    room = LABEL_WIDTH - len(minutes) - 1
    title = visible(p.title)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return Content.assemble(
        (title, "bold"), " " * (LABEL_WIDTH - len(title) - len(minutes)), (minutes, "dim")
    )


class LibraryList(OptionList):
    """The protocol library. Its own Enter binding, unlike OptionList's, is in the footer."""

    HELP_PLACE = "the protocol list"

    BINDINGS = [
        Binding("enter", "select", "Set up", tooltip="Set up the selected protocol"),
    ]


class HomeScreen(StyledScreen):
    """Where a meeting starts."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "home.tcss"

    BINDINGS = [
        Binding(
            "enter", "start", "Set up", id="home.start", tooltip="Set up the selected protocol"
        ),
        Binding("r", "resume", "Resume", id="home.resume"),
        Binding("d", "discard", "Discard", id="home.discard", show=False),
        Binding("c", "browse_record", "Record", id="home.record"),
        Binding("m", "members", "Members", id="home.members"),
        # Off the footer, which must keep ^q Quit at 80 columns even with the follow-through
        # list's keys and Resume in it: these are in help and the palette.
        Binding("o", "community", "Community", id="home.community", show=False),
        Binding("t", "timing", "Timing", id="home.timing", show=False),
        Binding(
            "s",
            "app.sync_record",
            "Sync the record",
            id="home.sync",
            show=False,
            tooltip="Send and receive the record's changes through git",
        ),
        Binding("question_mark,f1", "app.help", "Help", id="home.help"),
        Binding("ctrl+q", "app.quit", "Quit", id="home.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LibraryEntry] = []
        self.interrupted: list[JournalEntry] = []
        self._told: set[str] = set()
        """Unreadable journals already named: home is shown again after every screen."""

    def compose(self) -> ComposeResult:
        community = self.app.context.community_info
        yield Header()
        with Vertical(id="home-community"):
            yield Static(Content.styled(visible(community.name), "bold"), id="community-name")
            if community.purpose.strip():
                purpose = " ".join(visible(community.purpose).split())
                yield Static(Content(purpose), id="community-purpose")
        yield Static(id="resume-banner")
        yield Static(id="home-problems")
        yield FollowThrough(id="home-followthrough")
        with Horizontal(id="home-main"):
            yield LibraryList(id="library")
            yield ProtocolPreview(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "protocolrunner"
        self.refresh_library()
        self.refresh_interrupted()
        self.query_one("#library", OptionList).focus()

    def on_follow_through_loaded(self, message: FollowThrough.Loaded) -> None:
        # Nothing in the record is left out in silence: the browser names each file.
        banner = self.query_one("#home-problems", Static)
        files = len({p.file for p in message.problems})
        banner.display = bool(files)
        if files:
            many = files != 1
            banner.update(
                Content(
                    f"⚠ {files} file{'s' if many else ''} in the record could not be read and "
                    f"{'are' if many else 'is'} left out: press c to see which"
                )
            )

    def record_changed(self) -> None:
        """A sync brought others' changes: show them."""
        self.on_screen_resume()

    def on_screen_resume(self) -> None:
        self.refresh_interrupted()
        # A session saved meanwhile may have left new action items.
        self.query_one(FollowThrough).reload()
        # The community may have been edited meanwhile.
        self.app.show_community_name()
        community = self.app.context.community_info
        self.query_one("#community-name", Static).update(
            Content.styled(visible(community.name), "bold")
        )
        for purpose in self.query("#community-purpose").results(Static):
            purpose.update(Content(" ".join(visible(community.purpose).split())))

    def refresh_library(self) -> None:
        self.entries = list(self.app.context.library)
        options = self.query_one("#library", OptionList)
        options.clear_options()
        for entry in self.entries:
            options.add_option(Option(library_label(entry), id=entry.id))
        if self.entries:
            options.highlighted = 0
            self.query_one(ProtocolPreview).show(self.entries[0])

    def refresh_interrupted(self) -> None:
        entries, problems = self.app.context.journal.pending()
        self.interrupted = entries
        banner = self.query_one("#resume-banner", Static)
        banner.display = bool(entries)
        if entries:
            latest = entries[0]
            saved = latest.saved_at
            more = f" (and {len(entries) - 1} more)" if len(entries) > 1 else ""
            banner.update(
                Content.assemble(
                    ("Interrupted session: ", "bold"),
                    visible(latest.protocol_title),
                    f", last saved {saved:%d %b %H:%M}{more}. ",
                    ("r", "bold reverse"),
                    " resume  ",
                    ("d", "bold reverse"),
                    " discard",
                )
            )
        for problem in map(str, problems):
            if problem not in self._told:
                self._told.add(problem)
                self.notify(visible(problem), severity="warning", markup=False)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resume", "discard"):
            return bool(self.interrupted)
        if action == "start":
            return bool(self.entries)
        return True

    @property
    def selected(self) -> LibraryEntry | None:
        index = self.query_one("#library", OptionList).highlighted
        return self.entries[index] if index is not None and self.entries else None

    @on(OptionList.OptionHighlighted, "#library")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one(ProtocolPreview).show(self.entries[event.option_index])

    @on(OptionList.OptionSelected, "#library")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_start()

    def action_start(self) -> None:
        entry = self.selected
        if entry is not None:
            self.app.open_setup(entry)

    def action_resume(self) -> None:
        if self.interrupted:
            self.app.resume_session(self.interrupted[0])

    def action_discard(self) -> None:
        if not self.interrupted:
            return
        entry = self.interrupted[0]

        def done(yes: bool | None) -> None:
            if yes:
                self.app.context.journal.discard(entry.session_id)
                self.refresh_interrupted()

        from ..dialogs.confirm import ConfirmDialog

        self.app.push_screen(
            ConfirmDialog(
                f"Discard the interrupted {entry.protocol_title} session? Its notes will be lost.",
                yes="Discard",
                no="Keep",
            ),
            done,
        )

    def action_members(self) -> None:
        self.app.open_members()

    def action_community(self) -> None:
        self.app.open_community()

    def action_timing(self) -> None:
        entry = self.selected
        self.app.open_timing(entry.id if entry is not None else None)

    def action_browse_record(self) -> None:
        self.app.open_record_browser()
