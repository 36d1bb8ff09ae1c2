"""The session plan: each step with its planned and actual time, the current one marked."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.session.engine import Session


def plan_content(session: Session, width: int = 34) -> Content:
    """Each step's adjusted time (what its countdown counts) and, once visited, its actual."""
    lines: list[Content] = []
    title_width = max(8, width - 17)
    timing = session.timing()
    for i, (run, time) in enumerate(zip(session.runs, timing.steps, strict=True)):
        current = i == session.index
        mark = "▶" if current else ("✓" if run.visited and i < session.index else " ")
        title = visible(run.step.title)
        if len(title) > title_width:
            title = title[: title_width - 1] + "…"
        planned = format_duration(time.adjusted)
        # The current step's time is the countdown's to show; here it would tick every second.
        spent = "now" if current else format_duration(time.actual) if run.visited else "-"
        style = "bold reverse" if current else ("" if run.visited else "dim")
        over = run.visited and not current and time.over
        lines.append(
            Content.assemble(
                (f"{mark} {title:<{title_width}} {planned:>6} ", style),
                (f"{spent:>6}", f"{style} $error" if over else style),
            )
        )
    return Content("\n").join(lines)


class PlanView(Static):
    """Re-rendered by the run screen when the step, the state or a minute changes."""

    _shown = False
    _session: Session | None = None

    DEFAULT_CSS = """
    PlanView {
        width: 1fr;
        height: auto;
    }
    """

    def show(self, session: Session) -> None:
        self._session = session
        width = self.content_size.width or 34
        # One line per step whatever the times say, so only a first showing needs a layout.
        self.update(plan_content(session, width), layout=not self._shown)
        self._shown = True

    def on_resize(self) -> None:
        # Titles are cut to the width: a new width cuts them anew.
        if self._session is not None:
            self.show(self._session)
