"""One recorded session laid out for reading, with search matches highlighted.

Every piece of recorded text becomes ``Content(visible(text))`` (never markup, and a control
character shows as an escape such as ``\\x1b``); matches are styled by the character spans
``core.record.browse.match_spans`` finds in that text, so ``[bold]`` in a note shows as typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from ...core.base.durations import format_duration, given_phrase
from ...core.base.text import visible
from ...core.record.browse import match_spans
from ...core.session.outcome import outcome_label
from ...core.session.wording import timing_phrase
from ..styles import HEADING, PLAIN, match_style

if TYPE_CHECKING:
    from ...core.record.models import SessionRecord

LABEL_STYLE = "bold"
ACTION_MARKS = {"open": "☐", "carried": "↻", "done": "☑", "dropped": "✗"}


def highlighted(text: str, query: str, match: Style) -> Content:
    """``text`` as plain content, where ``query`` matches it in the ``match`` style."""
    text = visible(text)
    content = Content(text)
    for start, end in match_spans(text, query):
        content = content.stylize(match, start, end)
    return content


def _block(text: str, query: str, match: Style, indent: str = "  ") -> list[Content]:
    """Multi-line text, each line indented, matches highlighted line by line."""
    lines = visible(text).strip().splitlines()
    return [Content(indent) + highlighted(line, query, match) for line in lines]


def _when(record: SessionRecord) -> str:
    start, end = record.started, record.ended
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"


def _action_state(action) -> str:
    # ``state`` arrives with follow-through (format 2); older models only know ``done``.
    return getattr(action, "state", "done" if action.done else "open")


def session_content(record: SessionRecord, query: str = "", match: Style = PLAIN) -> Content:
    """The whole session as one piece of content: title, people, steps, actions, reflection;
    where ``query`` matches, in the ``match`` style (``styles.match_style``)."""
    lines: list[Content] = []

    def heading(text: str) -> None:
        if lines:
            lines.append(Content(""))
        lines.append(Content.styled(text, HEADING))

    lines.append(
        Content.assemble(
            Content.styled(visible(record.protocol.title), HEADING),
            Content(f"  {_when(record)}"),
        )
    )
    # Imported here: the engine brings pydantic, which the browser's first frame must not wait
    # for (a session to show means the models are loaded already).
    from ...core.session.engine import record_lead, record_timing

    timing = record_timing(record)
    lines.append(
        Content.styled(
            f"{timing_phrase(timing)} · {outcome_label(record.status)}",
            "$text-muted",
        )
    )
    if record.community:
        lines.append(Content.styled(visible(record.community), "$text-muted"))
    answered = [item for item in record.setup if item.answer.strip()]
    lead = record_lead(record)
    if lead is not None:
        heading(visible(lead.label))
        lines += _block(lead.answer, query, match)

    heading("People")
    if record.attendees:
        lines.append(
            Content.assemble(
                Content.styled("Present: ", LABEL_STYLE),
                highlighted(", ".join(record.attendees), query, match),
            )
        )
    for role in record.roles:
        if role.people:
            lines.append(
                Content.assemble(
                    Content.styled(f"{visible(role.name)}: ", LABEL_STYLE),
                    highlighted(", ".join(role.people), query, match),
                )
            )

    others = [item for item in answered if item is not lead]
    if others:
        heading("Setup")
        for item in others:
            lines.append(Content.styled(visible(item.label), LABEL_STYLE))
            lines += _block(item.answer, query, match)

    heading("Steps")
    for number, (step, time) in enumerate(zip(record.steps, timing.steps, strict=True), 1):
        parts = [
            f"planned {format_duration(time.planned)}",
            f"actual {format_duration(time.actual)}",
        ]
        parts += [given_phrase(time.given)] if time.given else []
        parts += ["skipped"] if time.skipped else []
        lines.append(
            Content.assemble(
                Content.styled(f"{number}. ", LABEL_STYLE),
                Content.styled(visible(step.title), LABEL_STYLE),
                Content("  "),
                Content.styled(" · ".join(parts), "$warning" if time.over else "$text-muted"),
            )
        )
        for note in step.notes:
            if note.text.strip():
                lines.append(Content.styled(f"   {visible(note.label)}", "italic $text-muted"))
                lines += _block(note.text, query, match, indent="     ")

    if record.actions:
        heading("Action items")
        for action in record.actions:
            state = _action_state(action)
            owner = highlighted(action.owner, query, match)
            lines.append(
                Content.assemble(
                    Content(f"{ACTION_MARKS.get(state, '·')} "),
                    highlighted(action.text, query, match),
                    *((Content(" — "), owner) if action.owner else ()),
                    Content.styled(f"  ({state})", "$text-muted") if state != "open" else "",
                )
            )

    if record.reflection.strip():
        heading("Reflection")
        lines += _block(record.reflection, query, match)
    return Content("\n").join(lines)


class SessionView(VerticalScroll, can_focus=True):
    """A scrollable, read-only view of one session."""

    DEFAULT_CSS = """
    SessionView {
        height: 1fr;
        padding: 0 2;
    }
    SessionView > Static {
        width: 1fr;
    }
    """

    def __init__(self, record: SessionRecord, query: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record = record
        self.query_text = query
        self.match = PLAIN
        """The style the matches are drawn in (the theme's, as ``app.tcss`` says)."""

    def compose(self) -> ComposeResult:
        self.match = match_style(self)
        yield Static(self._content(), id="session-text")

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._restyle)

    def _content(self) -> Content:
        return session_content(self.record, self.query_text, self.match)

    def _restyle(self, _theme: object) -> None:
        self.match = match_style(self)
        self.query_one("#session-text", Static).update(self._content())

    @property
    def matches(self) -> int:
        """How many search matches are highlighted."""
        return sum(1 for span in self._content().spans if span.style == self.match)
