"""Time at a glance: each step of a protocol, actual against planned, across past sessions."""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Select, Static

from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.record.stats import StepTiming, load_step_timings
from ..app import ProtocolRunnerApp
from ..reading import read_then_show
from ..styles import StyledScreen

TITLE_WIDTH = 24


def timing_table(timings: list[StepTiming], width: int) -> Content:
    """A bar per step: the median actual time (red when over the plan), the range to the
    longest run, and a marker at the plan."""
    if not timings:
        return Content.styled("No sessions of this protocol in the record yet.", "dim")
    title_width = min(TITLE_WIDTH, max(len(visible(t.title)) for t in timings))
    fixed = title_width + 6 + 7 + 13 + 6 + 5
    bar_width = max(10, width - fixed)
    scale = max(max(t.longest, t.planned) for t in timings) or 1

    def at(seconds: int) -> int:
        return min(bar_width, round(seconds / scale * bar_width))

    header = f"{'Step':<{title_width}} {'Plan':>5} {'Median':>6} {'Range':>12} {'Over':>5}"
    # The legend has a line of its own, over the bars as far as it fits: beside the header
    # it wrapped at 80 columns.
    legend = "█ median  ─ range  ┃ plan"
    indent = max(0, min(title_width + 34, width - len(legend)))
    rows = [Content.styled(header, "bold"), Content.styled(" " * indent + legend, "dim")]
    for t in timings:
        title = visible(t.title)
        title = title if len(title) <= title_width else title[: title_width - 1] + "…"
        span = f"{format_duration(t.shortest)}–{format_duration(t.longest)}" if t.runs else ""
        over = f"{round(t.over_share * 100)}%" if t.runs else ""
        late = t.median > t.planned
        bar: list[tuple[str, str]] = []
        plan, median, longest = at(t.planned), at(t.median), at(t.longest)
        for i in range(bar_width):
            if i == plan or (i == bar_width - 1 and plan >= bar_width):
                bar.append(("┃", "$text-warning"))
            elif i < median:
                bar.append(("█", "$text-error" if late else "$text-success"))
            elif i < longest:
                bar.append(("─", "dim"))
            else:
                bar.append((" ", ""))
        rows.append(
            Content.assemble(
                (f"{title:<{title_width}} ", ""),
                f"{format_duration(t.planned):>5} ",
                (f"{format_duration(t.median) if t.runs else '–':>6} ", "bold" if late else ""),
                f"{span:>12} ",
                (f"{over:>5}  ", "$text-error" if t.over_share > 0.5 else ""),
                *bar,
            )
        )
        if t.skipped:
            rows.append(Content.styled(f"{'':<{title_width}}  skipped {t.skipped}×", "dim"))
    return Content("\n").join(rows)


class TimingScreen(StyledScreen):
    """Pick a protocol; see how its steps really run."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "record_timing.tcss"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="timing.back"),
        Binding("f1", "app.help", "Help", id="timing.help"),
    ]

    def __init__(self, protocol_id: str | None = None) -> None:
        super().__init__()
        self.entries = list(self.app.context.library)
        ids = [e.id for e in self.entries]
        self.protocol_id = protocol_id if protocol_id in ids else (ids[0] if ids else None)
        self.timings: list[StepTiming] = []
        self.sessions = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="timing-body"):
            yield Select[str](
                [(Content(visible(e.protocol.title)), e.id) for e in self.entries],
                value=self.protocol_id if self.protocol_id else Select.NULL,
                allow_blank=False,
                id="timing-protocol",
            )
            yield Static(id="timing-summary")
            yield Static(id="timing-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Timing"
        self.load()

    @on(Select.Changed, "#timing-protocol")
    def _picked(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.protocol_id:
            self.protocol_id = str(event.value)
            self.load()

    def load(self) -> None:
        protocol_id = self.protocol_id
        if protocol_id is None:
            return
        record = self.app.context.record
        small = record.is_small()
        if not small:
            self.query_one("#timing-summary", Static).update(
                Content.styled("Reading the record…", "dim")
            )
        read_then_show(
            self,
            lambda: load_step_timings(record, protocol_id),
            self._show,
            group="timing",
            fallback=lambda: ([], 0),
            at_once=small,
        )

    def _show(self, read: tuple[list[StepTiming], int]) -> None:
        self.timings, self.sessions = timings, sessions = read
        planned = sum(t.planned for t in timings)
        actual = sum(t.median for t in timings)
        self.query_one("#timing-summary", Static).update(
            Content.assemble(
                (f"{sessions} session{'s' if sessions != 1 else ''}", "bold"),
                f" · planned {format_duration(planned)}, typically {format_duration(actual)}",
                " (sum of the step medians)",
            )
            if sessions
            else Content("")
        )
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = max(40, self.size.width - 4)
        self.query_one("#timing-table", Static).update(timing_table(self.timings, width))
