"""Sessions as Markdown (to read, paste into an email or an LMS) and as JSON (for tools).

Every piece of text from people or files (names, titles, labels, notes, answers, action items, the
reflection, the community's name) goes into Markdown through ``core.export.escape``, so it renders
as the same text in CommonMark and GFM and never as markup or HTML; control characters are shown as
escapes there (see that module). JSON keeps the text exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..base.durations import format_duration, given_phrase
from ..record.models import SessionRecord
from ..session.engine import record_lead, record_timing
from ..session.outcome import outcome_label
from ..session.wording import timing_phrase
from .escape import is_blank, markdown_cell, markdown_inline, markdown_text, shown_lines


def _when(record: SessionRecord) -> str:
    start, end = record.started, record.ended
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"


def _title(record: SessionRecord) -> str:
    start = record.started
    return f"{markdown_inline(record.protocol.title)}, {start.day} {start:%b %Y}"


def _label(label: str) -> str:
    """``**label:** `` to lead a line, or nothing for a blank label."""
    shown = markdown_inline(label)
    return f"**{shown}:** " if shown else ""


def _names(names: Sequence[str]) -> str:
    return ", ".join(shown for shown in map(markdown_inline, names) if shown)


def session_markdown(record: SessionRecord, level: int = 1) -> str:
    """A session rendered for reading. ``level`` is the heading level of its title."""
    h = "#" * level
    timing = record_timing(record)
    lines = [f"{h} {_title(record)}", ""]
    answered = [s for s in record.setup if not is_blank(s.answer)]
    # The leading answer heads the page when it fits on a line; the others follow below.
    lead = record_lead(record)
    if lead in answered and len(shown_lines(lead.answer)) == 1:
        lines += [f"{_label(lead.label)}{markdown_inline(lead.answer)}", ""]
        answered.remove(lead)
    lines += [
        f"- **When:** {_when(record)}",
        f"- **Time:** {timing_phrase(timing)}",
        f"- **Status:** {outcome_label(record.status)}",
    ]
    if not is_blank(record.community):
        lines.append(f"- **Community:** {markdown_inline(record.community)}")
    if _names(record.attendees):
        lines.append(f"- **Present:** {_names(record.attendees)}")
    for role in record.roles:
        if _names(role.people):
            lines.append(f"- {_label(role.name)}{_names(role.people)}")
    lines.append("")

    if answered:
        lines += [f"{h}# Setup", ""]
        for item in answered:
            if not is_blank(item.label):
                lines += [f"**{markdown_inline(item.label)}**", ""]
            lines += [markdown_text(item.answer), ""]

    lines += [
        f"{h}# Timing",
        "",
        "| # | Step | Planned | Actual | Note |",
        "|---|------|--------:|-------:|------|",
    ]
    for number, step in enumerate(timing.steps, 1):
        note = given_phrase(step.given) or ("skipped" if step.skipped else "")
        lines.append(
            f"| {number} | {markdown_cell(step.title)} | {format_duration(step.planned)} | "
            f"{format_duration(step.actual)} | {note} |"
        )
    lines.append("")

    noted = [
        (n, step)
        for n, step in enumerate(record.steps, 1)
        if any(not is_blank(x.text) for x in step.notes)
    ]
    if noted:
        lines += [f"{h}# Notes", ""]
        for number, recorded in noted:
            lines += [f"{h}## {number}. {markdown_inline(recorded.title)}", ""]
            for field in recorded.notes:
                if not is_blank(field.text):
                    if not is_blank(field.label):
                        lines += [f"**{markdown_inline(field.label)}**", ""]
                    lines += [markdown_text(field.text), ""]

    if record.actions:
        lines += [f"{h}# Action items", ""]
        for action in record.actions:
            owner = f" ({markdown_inline(action.owner)})" if not is_blank(action.owner) else ""
            text = markdown_text(action.text, indent="  ")
            lines.append(f"- [{'x' if action.done else ' '}] {text}{owner}")
        lines.append("")
    if not is_blank(record.reflection):
        lines += [f"{h}# Reflection", "", markdown_text(record.reflection), ""]
    return "\n".join(lines)


def session_data(record: SessionRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    timing = record_timing(record)
    data["planned_seconds"] = timing.planned
    data["adjusted_seconds"] = timing.adjusted
    data["actual_seconds"] = timing.actual
    return data


# DEL and the C1 controls: JSON may hold them raw, but printed to a terminal U+009B is a CSI.
_RAW_CONTROL = re.compile("[\x7f-\x9f]")


def _json(data: Any) -> str:
    """``data`` as exact JSON. Letters beyond ASCII stay readable; C0 controls are escaped by
    ``json.dumps``, and DEL and C1 controls are escaped here (they occur only inside strings,
    so ``\\u009b`` is the same JSON). No raw control character reaches a terminal."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def session_json(record: SessionRecord) -> str:
    return _json(session_data(record))


def sessions_json(records: Sequence[SessionRecord]) -> str:
    return _json([session_data(r) for r in records])


def digest_markdown(records: Sequence[SessionRecord], title: str) -> str:
    """Several sessions, oldest first, in one document with a table of contents."""
    ordered = sorted(records, key=lambda r: r.started)
    lines = [f"# {markdown_inline(title)}", "", f"{len(ordered)} session(s).", ""]
    for record in ordered:
        focus = f": {markdown_inline(record.focus)}" if not is_blank(record.focus) else ""
        lines.append(f"- {_title(record)}{focus}")
    lines.append("")
    body = [session_markdown(record, level=2) for record in ordered]
    return "\n".join(lines) + "\n" + "\n".join(body)
