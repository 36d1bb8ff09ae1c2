"""Plain-text renderings of protocols for the command line and exports."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .protocol import Protocol, Step

if TYPE_CHECKING:
    from .engine import Person


def format_duration(seconds: float) -> str:
    """``150`` -> ``2:30``; ``3600`` -> ``1:00:00``. Negative values get a minus sign."""
    sign = "-" if seconds < 0 else ""
    whole = int(abs(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def format_minutes(seconds: float) -> str:
    """``600`` -> ``10 min``; ``150`` -> ``2.5 min``."""
    minutes = seconds / 60
    text = f"{minutes:.1f}".rstrip("0").rstrip(".")
    return f"{text} min"


def role_names(protocol: Protocol, role_ids: list[str]) -> str:
    return ", ".join(protocol.role(role_id).name for role_id in role_ids)


def _block(text: str, indent: str, width: int = 78) -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().split("\n\n"):
        joined = " ".join(paragraph.split())
        lines.extend(textwrap.wrap(joined, width, initial_indent=indent, subsequent_indent=indent))
        lines.append("")
    return lines[:-1] if lines else lines


def _step_lines(protocol: Protocol, number: int, step: Step) -> list[str]:
    lines = [f"{number}. {step.title} ({format_minutes(step.seconds)})"]
    speakers = role_names(protocol, step.speakers) if step.speakers else "nobody (silent step)"
    lines.append(f"   Speak: {speakers}")
    if step.silent:
        lines.append(f"   Silent: {role_names(protocol, step.silent)}")
    if step.instructions.strip():
        lines.extend(_block(step.instructions, "   "))
    for prompt in step.prompts:
        lines.extend(textwrap.wrap(prompt, 78, initial_indent="   - ", subsequent_indent="     "))
    if step.capture:
        lines.append("   Notes kept: " + ", ".join(field.label for field in step.capture))
    return lines


def describe_protocol(protocol: Protocol, source: str = "") -> str:
    """A readable plain-text rendering of everything a facilitator needs."""
    p = protocol
    size = f"{p.group_size.min}" + (f"-{p.group_size.max}" if p.group_size.max else "+")
    lines = [
        f"{p.title}  (id {p.id}, version {p.version})",
        p.summary,
        f"Total time: {format_minutes(p.seconds)}   Group size: {size} people",
    ]
    if source:
        lines.append(f"From: {source}")
    if p.purpose.strip():
        lines += ["", "Purpose", *_block(p.purpose, "  ")]
    lines += ["", "Roles"]
    for role in p.roles:
        low, high = role.bounds
        if role.rest:
            how = "everyone else"
        elif low == high:
            how = f"{low}"
        else:
            how = f"{low}-{high}" if high is not None else f"{low} or more"
        lines.append(
            f"  {role.name} ({how})" + (f": {role.description}" if role.description else "")
        )
    if p.setup:
        lines += ["", "Before starting"]
        for question in p.setup:
            flag = " (required)" if question.required else ""
            lines.append(f"  {question.label}{flag}")
            if question.help:
                lines.extend(_block(question.help, "    "))
    lines += ["", "Steps"]
    for number, step in enumerate(p.steps, 1):
        lines.extend(_step_lines(p, number, step))
    if p.source.strip():
        lines += ["", "Source", *_block(p.source, "  ")]
    return "\n".join(lines) + "\n"


def people_phrase(people: Iterable[Person]) -> str:
    """``Ana (Presenter), Cleo, Dev (Consultants)``: names grouped by role, in order."""
    groups: dict[str, list[str]] = {}
    for person in people:
        groups.setdefault(person.role_name, []).append(person.name)
    return ", ".join(f"{', '.join(names)} ({role})" for role, names in groups.items())
