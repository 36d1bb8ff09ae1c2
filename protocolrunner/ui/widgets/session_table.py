"""The table of sessions in the record browser: one row per session, newest first.

Cells are Rich ``Text`` built from plain strings (never parsed as markup, so a note or a name
with ``[bold]`` shows as typed, and a control character shows as an escape such as ``\\x1b``),
with search matches styled by the spans the core finds, in the look ``app.tcss`` gives ``.match``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console, ConsoleOptions, JustifyMethod
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.record.browse import Span, match_spans
from ...core.record.index import SessionRow
from ...core.session.outcome import outcome_label
from ..styles import match_style

# (key, label, width in a narrow terminal, in a wide one); the focusing question takes whatever
# width is left.
COLUMNS = [
    ("date", "Date", 10, 10),
    ("protocol", "Protocol", 12, 22),
    ("presenter", "Presenter", 11, 18),
    ("focus", "Focusing question", 0, 0),
    ("time", "Time", 7, 7),
    ("status", "Status", 11, 11),
]
WIDE = 120
MIN_FOCUS = 12


class MatchedText(Text):
    """A cell's text whose search matches take the match style when it is drawn: a change of
    theme restyles them too."""

    def __init__(self, table: DataTable, text: str, matches: list[Span], **kwargs) -> None:
        super().__init__(text, **kwargs)
        self.table = table
        self.matches = matches

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterable[Segment]:
        text = self.copy()
        style = match_style(self.table).rich_style
        for start, end in self.matches:
            text.stylize(style, start, end)
        return text.__rich_console__(console, options)


class SessionTable(DataTable):
    """Sessions as rows; the row key is the session file's path."""

    DEFAULT_CSS = """
    SessionTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", tooltip="Read the selected session"),
        # Rows, not columns: Home and End go to the first and the last loaded session.
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        # The cells' own colours (a match's dark text) over the cursor row's.
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable"
        )
        self._widths: list[int] = []

    def column_widths(self, width: int) -> list[int]:
        """The width of each column in a table ``width`` cells wide."""
        fixed = [wide if width >= WIDE else narrow for _, _, narrow, wide in COLUMNS]
        # Cell padding on both sides of each column, and room for the vertical scrollbar.
        used = sum(fixed) + 2 * self.cell_padding * len(COLUMNS) + 2
        return [w or max(MIN_FOCUS, width - used) for w in fixed]

    def set_width(self, width: int) -> bool:
        """Size the columns for ``width`` cells; True when they changed (rows must be re-added)."""
        widths = self.column_widths(width)
        if widths == self._widths and self.columns:
            return False
        self._widths = widths
        self.clear(columns=True)
        for (key, label, _, _), size in zip(COLUMNS, widths, strict=True):
            self.add_column(Text(label, no_wrap=True, overflow="ellipsis"), width=size, key=key)
        return True

    def show(self, rows: Sequence[SessionRow], query: str = "") -> None:
        """Replace every row."""
        self.clear()
        self.append(rows, query)
        if rows:
            self.move_cursor(row=0, animate=False)

    def append(self, rows: Sequence[SessionRow], query: str = "") -> None:
        for row in rows:
            self.add_row(*self.cells(row, query), key=row.path_text)

    def cells(self, row: SessionRow, query: str = "") -> list[Text]:
        return [
            Text(row.day, no_wrap=True),
            self._cell(row.protocol_title),
            self._cell(row.presenters or "-"),
            self._cell(row.focus, query),
            self._cell(format_duration(row.actual), justify="right"),
            self._cell(outcome_label(row.status)),
        ]

    def _cell(self, text: str, query: str = "", justify: JustifyMethod = "left") -> Text:
        flat = " ".join(visible(text).split())
        matches = match_spans(flat, query)
        if not matches:
            return Text(flat, no_wrap=True, overflow="ellipsis", justify=justify)
        return MatchedText(self, flat, matches, no_wrap=True, overflow="ellipsis", justify=justify)
