"""Sessions as Markdown (to read, paste into an email or an LMS) and as JSON (for tools)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .describe import format_duration
from .models import SessionRecord


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _when(record: SessionRecord) -> str:
    start, end = record.started, record.ended
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"


def _title(record: SessionRecord) -> str:
    start = record.started
    return f"{record.protocol.title}, {start.day} {start:%b %Y}"


def session_markdown(record: SessionRecord, level: int = 1) -> str:
    """A session rendered for reading. ``level`` is the heading level of its title."""
    h = "#" * level
    planned = sum(step.planned_seconds for step in record.steps)
    lines = [f"{h} {_title(record)}", ""]
    answered = [s for s in record.setup if s.answer.strip()]
    # The focusing question (or the protocol's first answer) leads; the others follow below.
    lead = next((s for s in answered if s.id == "focus"), answered[0] if answered else None)
    if lead is not None and "\n" not in lead.answer.strip():
        lines += [f"**{lead.label}:** {lead.answer.strip()}", ""]
        answered.remove(lead)
    lines += [
        f"- **When:** {_when(record)}",
        f"- **Time:** {format_duration(record.actual_seconds)} "
        f"(planned {format_duration(planned)})",
        "- **Status:** " + ("completed" if record.status == "completed" else "ended early"),
    ]
    if record.community:
        lines.append(f"- **Community:** {record.community}")
    if record.attendees:
        lines.append(f"- **Present:** {', '.join(record.attendees)}")
    for role in record.roles:
        if role.people:
            lines.append(f"- **{role.name}:** {', '.join(role.people)}")
    lines.append("")

    if answered:
        lines += [f"{h}# Setup", ""]
        for item in answered:
            lines += [f"**{item.label}**", "", item.answer.strip(), ""]

    lines += [
        f"{h}# Timing",
        "",
        "| # | Step | Planned | Actual | Note |",
        "|---|------|--------:|-------:|------|",
    ]
    for number, step in enumerate(record.steps, 1):
        note = "skipped" if step.skipped else ""
        if step.extended_seconds:
            change = f"{'+' if step.extended_seconds > 0 else '-'}"
            note = f"{change}{format_duration(abs(step.extended_seconds))} given"
        lines.append(
            f"| {number} | {_cell(step.title)} | {format_duration(step.planned_seconds)} | "
            f"{format_duration(step.actual_seconds)} | {note} |"
        )
    lines.append("")

    noted = [(n, step) for n, step in enumerate(record.steps, 1) if any(x.text for x in step.notes)]
    if noted:
        lines += [f"{h}# Notes", ""]
        for number, step in noted:
            lines += [f"{h}## {number}. {step.title}", ""]
            for field in step.notes:
                if field.text.strip():
                    lines += [f"**{field.label}**", "", field.text.rstrip(), ""]

    if record.actions:
        lines += [f"{h}# Action items", ""]
        for action in record.actions:
            owner = f" ({action.owner})" if action.owner else ""
            lines.append(f"- [{'x' if action.done else ' '}] {action.text}{owner}")
        lines.append("")
    if record.reflection.strip():
        lines += [f"{h}# Reflection", "", record.reflection.strip(), ""]
    return "\n".join(lines)


def session_data(record: SessionRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    data["planned_seconds"] = sum(step.planned_seconds for step in record.steps)
    data["actual_seconds"] = record.actual_seconds
    return data


def session_json(record: SessionRecord) -> str:
    return json.dumps(session_data(record), indent=2, ensure_ascii=False) + "\n"


def sessions_json(records: Sequence[SessionRecord]) -> str:
    return json.dumps([session_data(r) for r in records], indent=2, ensure_ascii=False) + "\n"


def digest_markdown(records: Sequence[SessionRecord], title: str) -> str:
    """Several sessions, oldest first, in one document with a table of contents."""
    ordered = sorted(records, key=lambda r: r.started)
    lines = [f"# {title}", "", f"{len(ordered)} session(s).", ""]
    for record in ordered:
        focus = f": {_cell(record.focus)}" if record.focus else ""
        lines.append(f"- {_title(record)}{focus}")
    lines.append("")
    body = [session_markdown(record, level=2) for record in ordered]
    return "\n".join(lines) + "\n" + "\n".join(body)
