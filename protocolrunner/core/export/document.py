"""A session laid out for reading, once, for every format that draws it (HTML, PDF, the site).

The choices a reader's copy makes live here and nowhere else: which setup answer leads, which
answers and notes show at all (``markdown.is_blank``: blank as shown), the times and their totals
(``engine.record_timing``, ``describe``), how a session ended (``outcome.outcome_label``) and
where each action item stands (its follow-through ``state``). Renderers only escape and lay out.

Text stays as people wrote it: each renderer escapes it for its own format, and shows it as
``text_lines`` says (the lines a reader sees, as the Markdown export defines them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..base.durations import format_duration, given_phrase
from ..base.text import visible
from ..record.models import RecordedAction, SessionRecord
from ..session.engine import record_lead, record_timing
from ..session.outcome import outcome_label
from ..session.wording import timing_phrase
from .escape import is_blank, shown_lines

ACTION_STATE_WORDS = {
    "open": "open",
    "carried": "carried forward",
    "done": "done",
    "dropped": "dropped",
}
"""An action item's follow-through state (``RecordedAction.state``) in words."""


@dataclass(frozen=True, slots=True)
class Labelled:
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class TimingRow:
    number: int
    title: str
    planned: str
    actual: str
    note: str
    """``+1:00 given``, ``skipped`` or nothing."""
    over: bool


@dataclass(frozen=True, slots=True)
class NotedStep:
    number: int
    title: str
    notes: tuple[Labelled, ...]


@dataclass(frozen=True, slots=True)
class ActionLine:
    text: str
    owner: str
    state: str
    """open, carried, done or dropped."""
    state_words: str
    """The state in words, with the day of the review: ``carried forward 26 Sep 2026``."""


@dataclass(frozen=True, slots=True)
class SessionDocument:
    id: str
    protocol: str
    day: str
    """``1 Oct 2026``."""
    when: str
    """``Thu 1 Oct 2026, 16:00–16:50``."""
    time: str
    status: str
    community: str
    lead: Labelled | None
    attendees: tuple[str, ...]
    roles: tuple[Labelled, ...]
    """Role name and its people, joined by commas."""
    setup: tuple[Labelled, ...]
    """The answers other than the leading one."""
    timing: tuple[TimingRow, ...]
    planned: str
    actual: str
    notes: tuple[NotedStep, ...]
    actions: tuple[ActionLine, ...]
    reflection: str

    @property
    def title(self) -> str:
        """``Consultancy, 1 Oct 2026``: how the session is named in headings and lists (on one
        line, as shown)."""
        return f"{one_line(self.protocol)}, {self.day}"


def text_lines(text: str) -> list[list[str]]:
    """``text`` as the paragraphs a reader sees, each a list of lines (``markdown.shown_lines``:
    control characters as escapes, lines stripped, runs of blank lines a paragraph break)."""
    paragraphs: list[list[str]] = [[]]
    for line in shown_lines(text):
        if line is None:
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    return [p for p in paragraphs if p]


def one_line(text: str) -> str:
    """``text`` on one line, for a heading, a label, a name or a cell: its lines joined by a
    space, as ``markdown.markdown_inline`` shows it."""
    if "\n" not in text:
        return visible(text).strip()  # one line: what shown_lines would make of it
    return " ".join(line for line in shown_lines(text) if line is not None)


def day_text(record: SessionRecord) -> str:
    start = record.started
    return f"{start.day} {start:%b %Y}"


def action_state_words(action: RecordedAction) -> str:
    words = ACTION_STATE_WORDS[action.state]
    if action.reviewed is not None and action.state != "open":
        return f"{words} {action.reviewed.day} {action.reviewed:%b %Y}"
    return words


def _names(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name in names if not is_blank(name))


def session_document(record: SessionRecord) -> SessionDocument:
    """``record`` laid out for reading."""
    timing = record_timing(record)
    start, end = record.started, record.ended
    answered = [item for item in record.setup if not is_blank(item.answer)]
    lead = record_lead(record)
    if lead not in answered:
        lead = None
    rows = tuple(
        TimingRow(
            number=number,
            title=step.title,
            planned=format_duration(step.planned),
            actual=format_duration(step.actual),
            note=given_phrase(step.given) or ("skipped" if step.skipped else ""),
            over=step.over,
        )
        for number, step in enumerate(timing.steps, 1)
    )
    noted = tuple(
        NotedStep(
            number,
            step.title,
            tuple(Labelled(n.label, n.text) for n in step.notes if not is_blank(n.text)),
        )
        for number, step in enumerate(record.steps, 1)
        if any(not is_blank(n.text) for n in step.notes)
    )
    return SessionDocument(
        id=record.id,
        protocol=record.protocol.title,
        day=day_text(record),
        when=f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}",
        time=timing_phrase(timing),
        status=outcome_label(record.status),
        community=record.community,
        lead=Labelled(lead.label, lead.answer) if lead is not None else None,
        attendees=_names(record.attendees),
        roles=tuple(
            Labelled(role.name, ", ".join(_names(role.people)))
            for role in record.roles
            if _names(role.people)
        ),
        setup=tuple(Labelled(item.label, item.answer) for item in answered if item is not lead),
        timing=rows,
        planned=format_duration(timing.planned),
        actual=format_duration(timing.actual),
        notes=noted,
        actions=tuple(
            ActionLine(a.text, a.owner, a.state, action_state_words(a)) for a in record.actions
        ),
        reflection=record.reflection,
    )
