"""The table of sessions in the record browser: one row per session, newest first.

Cells are Rich ``Text`` built from plain strings (never parsed as markup, so a note or a name
with ``[bold]`` shows as typed, and a control character shows as an escape such as ``\\x1b``),
with search matches styled by the spans the core finds.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import JustifyMethod
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.record.browse import match_spans
from ...core.record.index import SessionRow
from ...core.session.outcome import outcome_label

MATCH_STYLE = "bold reverse"

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


def _cell(text: str, query: str = "", justify: JustifyMethod = "left") -> Text:
    flat = " ".join(visible(text).split())
    cell = Text(flat, no_wrap=True, overflow="ellipsis", justify=justify)
    for start, end in match_spans(flat, query):
        cell.stylize(MATCH_STYLE, start, end)
    return cell


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
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
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

    @staticmethod
    def cells(row: SessionRow, query: str = "") -> list[Text]:
        return [
            Text(row.day, no_wrap=True),
            _cell(row.protocol_title),
            _cell(row.presenters or "-"),
            _cell(row.focus, query),
            _cell(format_duration(row.actual), justify="right"),
            _cell(outcome_label(row.status)),
        ]
