"""The record browser: every session of the community record, newest first, with filters and
full-text search as you type.

The screen stays thin: the search index answers every question (``core.record.index``), and
``core.record.browse.SessionPages`` fetches one page of rows at a time, the next only when the
reader nears the end of what is loaded, so a record of ten thousand sessions scrolls and searches as
quickly as one of ten. The index is brought up to date in a thread when the screen opens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from textual import getters, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.style import Style
from textual.timer import Timer
from textual.validation import Function
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from ...core.base.problems import FileProblems, Problem
from ...core.base.text import visible
from ...core.record.browse import (
    MAX_TERMS,
    PAGE_SIZE,
    SessionPages,
    Span,
    describe_problem,
    parse_day,
    session_snippet,
)
from ...core.record.index import (
    LONG_REFRESH,
    Facets,
    IndexBusy,
    RefreshStats,
    SessionFilter,
    SessionIndex,
    SessionRow,
    default_index_path,
)
from ..app import ProtocolRunnerApp
from ..reading import read_then_show
from ..styles import PLAIN, StyledScreen, match_style
from ..widgets.editors import SafeInput
from ..widgets.session_table import SessionTable
from ..widgets.session_view import highlighted

SEARCH_DEBOUNCE = 0.06
"""Seconds of quiet typing before a search runs again; a keystroke after a pause runs at once."""
SHOWN_PROBLEMS = 3


def _is_day(text: str) -> bool:
    try:
        parse_day(text)
    except ValueError:
        return False
    return True


class RecordSessionsScreen(StyledScreen):
    """Browse, filter and search the sessions of the community record."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "record_sessions.tcss"

    BINDINGS = [
        Binding("enter", "open", "Open", id="record.open", tooltip="Read the selected session"),
        Binding("slash", "focus_search", "Search", id="record.search"),
        Binding("x", "clear_filters", "Clear filters", id="record.clear"),
        Binding("s", "app.sync_record", "Sync", id="record.sync", tooltip="Sync the record (git)"),
        Binding("escape", "back", "Back", id="record.back"),
        Binding("question_mark,f1", "app.help", "Help", id="record.help"),
        # While typing a search, the arrows still move through the sessions.
        Binding("down", "move(1)", "Next", id="record.next", show=False),
        Binding("up", "move(-1)", "Previous", id="record.previous", show=False),
        Binding("pagedown", "move(10)", "Page down", id="record.page-down", show=False),
        Binding("pageup", "move(-10)", "Page up", id="record.page-up", show=False),
    ]

    page_size = PAGE_SIZE

    def __init__(self, db_path: Path | None = None) -> None:
        super().__init__()
        self._db_path = db_path
        self.index: SessionIndex | None = None
        self.pages: SessionPages | None = None
        self.problems: list[Problem] = []
        self.total = 0
        self._search_timer: Timer | None = None
        self._last_search = 0.0
        self._opened = False
        self._filters_mounted = False
        self._filters_requested = False
        self._reload_after_refresh = False
        self._told_invalid: dict[str | None, str] = {}
        """The invalid date last told of, per date field: each is told once."""

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="record-filters"):
            with Horizontal(classes="record-filter-row"):
                yield SafeInput(
                    placeholder="Search notes, setup answers and action items",
                    id="record-search",
                    compact=True,
                )
                yield Static(Content("reading…"), id="record-count")
            # The filters come once the index is ready (see _mount_filters), in a row kept
            # for them so that nothing moves when they do.
            yield Horizontal(classes="record-filter-row", id="record-filter-fields")
        yield Static(id="record-problems")
        yield SessionTable(id="record-table")
        yield Static(id="record-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Community record"
        table = self.query_one(SessionTable)
        table.set_width(self.size.width)
        table.focus()
        self.watch(table, "scroll_y", self._scrolled, init=False)
        # The matches are drawn in the theme's colours: another theme draws them again.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._show_preview())
        if self.app.ready:
            self.open_record()

    def open_record(self) -> None:
        """Bring the index up to date and show the sessions, once the app's record is open.

        Opened straight from the command line, the browser is the app's first screen: it is
        painted while the record and library are still loading, and the app calls this when
        they are ready. Whatever the reader typed into the search box meanwhile is kept.
        """
        if self._opened:
            return
        self._opened = True
        context = self.app.context
        self.sub_title = visible(context.community_info.name or context.record.root.name)
        if self._show_known_rows():
            # Once they are painted: the refresh's scan of every file would slow that frame.
            self.call_after_refresh(self._refresh_index)
        else:
            self._refresh_index()

    def _show_known_rows(self) -> bool:
        """Show the sessions as the index listed them at its last refresh, if there was one,
        while this refresh looks for changes: the rows are there at once, and a change found
        replaces them a moment later. A first open waits for the index to be built."""
        index = SessionIndex(self.app.context.record, self.db_path)
        try:
            if not index.was_refreshed():
                index.close()
                return False
            self.total = index.count()
        except (OSError, sqlite3.Error, IndexBusy):
            index.close()
            return False
        self.index = index
        self.reload()
        return True

    def record_changed(self) -> None:
        """A sync brought others' changes: read them into the index and show them."""
        if not self._opened:
            return
        self.pages = None
        self._reload_after_refresh = True
        self._refresh_index()

    def on_unmount(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def on_resize(self) -> None:
        table = self.query_one(SessionTable)
        if table.set_width(self.size.width) and self.pages is not None:
            table.append(self.pages.rows, self._highlight)

    # -- the index -----------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self._db_path or default_index_path(self.app.context.record.root)

    @work(thread=True, exclusive=True, group="record-index", name="refresh-index")
    def _refresh_index(self) -> tuple[RefreshStats, Facets]:
        # The thread has its own connection (SQLite connections stay in their thread); the
        # screen opens another once the index is up to date. What the filter menus list is
        # read here too (the refresh stores it), never on the UI thread.
        with SessionIndex(self.app.context.record, self.db_path) as index:
            stats = index.refresh(progress=self._reading)
            return stats, index.facets()

    def _reading(self, done: int, total: int) -> None:
        # In the refresh thread. Worth telling only when many files are new to the index: the
        # first open of a large record, where reading them all takes seconds.
        if total >= LONG_REFRESH:
            self.app.call_from_thread(self._show_reading, done, total)

    def _show_reading(self, done: int, total: int) -> None:
        if self.index is None:
            text = Content(f"reading {done:,} of {total:,} files…")
            self.query_one("#record-count", Static).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "refresh-index":
            return
        if event.state == WorkerState.SUCCESS:
            assert isinstance(event.worker.result, tuple)
            result, facets = event.worker.result
            assert isinstance(result, RefreshStats)
            if result.warning:
                self.notify(visible(result.warning), severity="warning", markup=False, timeout=10)
            self._index_ready(result, facets)
        elif event.state == WorkerState.ERROR:
            self.notify(
                visible(f"Could not read the record: {event.worker.error}"),
                severity="error",
                markup=False,
                timeout=10,
            )

    def _index_ready(self, stats: RefreshStats, facets: Facets) -> None:
        changed = stats.added or stats.updated or stats.removed
        if self.index is None or changed or self._reload_after_refresh:
            self._reload_after_refresh = False
            if self.index is not None:
                self.index.close()
            self.index = SessionIndex(self.app.context.record, self.db_path)
            self.total = self.index.count()
            self.pages = None  # the rows shown (if any) were the index's before this refresh
            self._show_problems(stats.problems)
            self.reload()
        else:
            self._show_problems(stats.problems)
        if not self._filters_requested:  # after a sync, the filters are there already
            self._filters_requested = True
            self.call_later(self._mount_filters, facets)

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        banner = self.query_one("#record-problems", Static)
        banner.display = bool(problems)
        if not problems:
            return
        root = self.app.context.record.root
        count = len(problems)
        files = len({p.file for p in problems})
        many = files != 1
        title = (
            f"⚠ {files} session file{'s' if many else ''} could not be read "
            f"and {'are' if many else 'is'} not listed:"
        )
        lines = [Content.styled(title, "bold")]
        lines += [Content("  " + describe_problem(p, root)) for p in problems[:SHOWN_PROBLEMS]]
        if count > SHOWN_PROBLEMS:
            lines.append(Content(f"  … and {count - SHOWN_PROBLEMS} more"))
        banner.update(Content("\n").join(lines))

    async def _mount_filters(self, facets: Facets) -> None:
        # Mounted once the index can say what there is to filter by; three Selects also cost
        # more to build than the rest of the screen, so the first frame is quicker without them.
        context = self.app.context
        protocols = dict(facets.protocols)
        for entry in context.library:
            protocols.setdefault(entry.id, entry.outline.title)
        by_title = sorted(protocols.items(), key=_by_label)
        people = dict.fromkeys([*context.community_info.member_names, *facets.people])
        await self.query_one("#record-filter-fields").mount_all(
            [
                Select(
                    [(Content(visible(title)), pid) for pid, title in by_title],
                    prompt="Any protocol",
                    id="filter-protocol",
                    compact=True,
                ),
                Select(
                    [(Content(visible(name)), name) for name in people],
                    prompt="Anyone",
                    id="filter-member",
                    compact=True,
                ),
                Select(
                    [(Content(visible(name)), rid) for rid, name in facets.roles],
                    prompt="Any role",
                    id="filter-role",
                    compact=True,
                ),
                # The validator keeps the field marked when it loses focus: Input checks
                # its validators then, and would clear a mark it did not set.
                SafeInput(
                    placeholder="from YYYY-MM-DD",
                    id="filter-since",
                    compact=True,
                    validators=[Function(_is_day, "not a date (YYYY-MM-DD)")],
                ),
                SafeInput(
                    placeholder="to YYYY-MM-DD",
                    id="filter-until",
                    compact=True,
                    validators=[Function(_is_day, "not a date (YYYY-MM-DD)")],
                ),
            ]
        )
        self._filters_mounted = True

    # -- filtering -------------------------------------------------------------------------------
    @property
    def current_filter(self) -> SessionFilter:
        text = self.query_one("#record-search", Input).value
        if not self._filters_mounted:
            return SessionFilter(text=text)

        def chosen(selector: str) -> str | None:
            value = self.query_one(selector, Select).value
            return value if isinstance(value, str) else None

        return SessionFilter(
            text=text,
            protocol=chosen("#filter-protocol"),
            member=chosen("#filter-member"),
            role=chosen("#filter-role"),
            since=self._day("#filter-since"),
            until=self._day("#filter-until"),
        )

    def _day(self, selector: str):
        field = self.query_one(selector, Input)
        try:
            day = parse_day(field.value)
        except ValueError:
            field.set_class(True, "-invalid")
            return None
        field.set_class(False, "-invalid")
        return day

    def reload(self) -> None:
        """Fetch the first page for the current filter into the table; once it is drawn,
        count the matches and show the selected session's preview."""
        if self.index is None:
            return
        wanted = self.current_filter
        if self.pages is not None and self.pages.filter == wanted:
            return
        self.pages = SessionPages(self.index, wanted, page_size=self.page_size)
        self.query_one(SessionTable).show(self.pages.fetch_more(), self._highlight)
        self.call_after_refresh(self._after_reload, self.pages)

    def _after_reload(self, pages: SessionPages) -> None:
        if pages is not self.pages:
            return  # a newer search replaced it meanwhile
        self._show_count()
        self._show_preview()

    def _show_count(self) -> None:
        assert self.pages is not None
        found, total = self.pages.count(), self.total
        noun = "session" if total == 1 else "sessions"
        text = f"{total:,} {noun}" if self.pages.filter.is_empty else f"{found:,} of {total:,}"
        if self.pages.filter.too_many_words:
            text += f" · the first {MAX_TERMS} words searched"
        if self.query("#filter-since.-invalid, #filter-until.-invalid"):
            text += " · a date ignored"
        self.query_one("#record-count", Static).update(Content(text))

    @property
    def _highlight(self) -> str:
        """The words of the search to highlight: the ones searched."""
        return " ".join(self.pages.filter.words) if self.pages is not None else ""

    def _load_more(self, position: int) -> None:
        if self.pages is None or not self.pages.needs_more(position):
            return
        self.query_one(SessionTable).append(self.pages.fetch_more(), self._highlight)

    def _scrolled(self, scroll_y: float) -> None:
        table = self.query_one(SessionTable)
        self._load_more(int(scroll_y) + table.size.height)

    @on(Input.Changed, "#record-search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if self.index is None:
            return  # still opening: the first page will be for whatever has been typed by then
        now = self.app.context.clock.monotonic()
        if now - self._last_search >= SEARCH_DEBOUNCE:
            # The first keystroke after a pause searches at once; a burst waits for quiet.
            self._run_search()
        else:
            self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._run_search)

    def _run_search(self) -> None:
        self._search_timer = None
        self._last_search = self.app.context.clock.monotonic()
        self.reload()

    @on(Input.Changed, "#filter-since, #filter-until")
    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.reload()
        if self.pages is not None:
            # A date becoming invalid leaves the filter as it was: the count says so anyway.
            self._show_count()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self._tell_invalid_date(event.input)
        self.query_one(SessionTable).focus()

    @on(Input.Blurred, "#filter-since, #filter-until")
    def _left_date(self, event: Input.Blurred) -> None:
        self._tell_invalid_date(event.input)

    def _tell_invalid_date(self, field: Input) -> None:
        """Say once, when the reader leaves it, that a date field is not used: while they type,
        its colour and the count say so; the field stays marked until it is a date."""
        if not field.has_class("-invalid"):
            self._told_invalid.pop(field.id, None)
            return
        if field.value == self._told_invalid.get(field.id):
            return
        self._told_invalid[field.id] = field.value
        which = "From" if field.id == "filter-since" else "To"
        self.notify(
            visible(
                f"{which} date “{field.value}” is not a date: type it as YYYY-MM-DD "
                "(2026-10-01). The sessions are not filtered by it."
            ),
            title="Date ignored",
            severity="warning",
            markup=False,
        )

    # -- the cursor ------------------------------------------------------------------------------
    @property
    def selected(self) -> SessionRow | None:
        table = self.query_one(SessionTable)
        if self.pages is None or not self.pages.rows or table.row_count == 0:
            return None
        return self.pages.rows[min(table.cursor_row, len(self.pages.rows) - 1)]

    @on(DataTable.RowHighlighted, "#record-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._load_more(event.cursor_row)
        self._show_preview()

    @on(DataTable.RowSelected, "#record-table")
    def _row_selected(self) -> None:
        self.action_open()

    def _show_preview(self) -> None:
        preview = self.query_one("#record-preview", Static)
        row = self.selected
        if row is None:
            nothing = "No sessions match." if self.total else "No sessions in the record yet."
            preview.update(Content(nothing))
            return
        query = self._highlight
        focus = " ".join(visible(row.focus).split())

        def first(match: Style) -> Content:
            return highlighted(focus, query, match) if focus else Content("(no focusing question)")

        if not query.strip():
            preview.update(first(PLAIN))
            return
        # Where the search matched is read from the session file: in a thread, so that an
        # arrow key held down a list of results never waits for the disk. The preview changes
        # once, when the match is found, and only for the session still selected.
        record = self.app.context.record
        width = max(40, self.size.width - 4)

        def read() -> tuple[str, list[Span]]:
            try:
                session = record.load_session(row.path)
            except (FileProblems, OSError):
                return "", []
            return session_snippet(session, query, width=width)

        def show(snippet: tuple[str, list[Span]]) -> None:
            if self.selected != row or self._highlight != query:
                return
            text, spans = snippet
            style = match_style(self)
            parts = [first(style)]
            if text:
                found = Content(text)
                for start, end in spans:
                    found = found.stylize(style, start, end)
                parts.append(Content.styled("match: ", "$text-muted") + found)
            preview.update(Content("\n").join(parts))

        read_then_show(
            self, read, show, group="record-preview", fallback=lambda: ("", []), at_once=False
        )

    # -- actions -------------------------------------------------------------------------------
    def action_open(self) -> None:
        row = self.selected
        if row is None:
            return
        try:
            record = self.app.context.record.load_session(row.path)
        except FileProblems as exc:
            root = self.app.context.record.root
            message = "\n".join(describe_problem(p, root) for p in exc.problems)
            self.notify(message, title="Cannot open", severity="error", markup=False, timeout=10)
            return
        from .record_detail import RecordDetailScreen

        self.app.push_screen(RecordDetailScreen(row.path, record, self._highlight))

    def action_move(self, rows: int) -> None:
        table = self.query_one(SessionTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + rows)))

    def action_focus_search(self) -> None:
        self.query_one("#record-search", Input).focus()

    def action_clear_filters(self) -> None:
        for field in self.query("#record-search, #filter-since, #filter-until").results(Input):
            with field.prevent(Input.Changed):
                field.value = ""
        for select in self.query(Select):
            with select.prevent(Select.Changed):
                select.clear()
        self.reload()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(SessionTable).focus()
            return
        if not self.app.ready:
            return  # home needs the record: going back waits until it is open
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.go_home()  # opened straight from the command line: home is not built yet

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.selected is not None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands for the command palette while this screen is shown."""
        yield SystemCommand("Search the record", "Full-text search", self.action_focus_search)
        yield SystemCommand("Clear filters", "Show every session", self.action_clear_filters)
        if self.selected is not None:
            yield SystemCommand("Open session", "Read the selected session", self.action_open)


def _by_label(item: tuple[str, str]) -> str:
    return item[1].casefold()
