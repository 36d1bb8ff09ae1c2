"""Plain-text renderings of protocols for the command line and exports.

Everything here is for showing: text from protocol files and people passes through
``core.base.text.visible``, so a control character in a title or a name is shown as an escape
(``\\x1b``) instead of reaching the terminal. Nothing here is written back to a file.
"""

from __future__ import annotations

import textwrap
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from ..base.durations import format_minutes
from ..base.text import visible

if TYPE_CHECKING:
    from .model import Protocol, Step


def role_names(protocol: Protocol, role_ids: list[str]) -> str:
    return visible(", ".join(protocol.role(role_id).name for role_id in role_ids))


def step_minutes(protocol: Protocol, step: Step, people: int | None = None) -> str:
    """``10 min``; for a step in turns, ``about 28 min for 5 people`` (the typical group)."""
    if step.turns is None:
        return format_minutes(step.seconds)
    if step.turns.seats is not None:  # small groups at once: the same for any group size
        return format_minutes(protocol.step_seconds(step))
    present = protocol.typical_size if people is None else people
    return f"about {format_minutes(protocol.step_seconds(step, present))} for {present} people"


def varies_with_group(protocol: Protocol) -> bool:
    """Whether the protocol's length depends on how many people come (turns by person)."""
    return any(step.turns is not None and step.turns.seats is None for step in protocol.steps)


def total_minutes(protocol: Protocol, people: int | None = None) -> str:
    if not varies_with_group(protocol):
        return format_minutes(protocol.seconds)
    present = protocol.typical_size if people is None else people
    return f"about {format_minutes(protocol.seconds_for(present))} for {present} people"


def turns_phrase(protocol: Protocol, step: Step) -> str:
    """How a step's turns go, in words: ``In turns, one round led by each participant: ...``."""
    turns = step.turns
    if turns is None:
        return ""
    if turns.seats is not None:
        who = f"seat in each group of {turns.seats} (Speaker A, B...)"
    elif turns.role is not None:
        who = f"one of the {protocol.role(turns.role).name.lower()}"
    else:
        who = "person present"
    parts = []
    for part in turns.parts:
        person = {"leader": "the leader", "others": "each of the others", "each": f"each {who}"}
        label = f" ({part.label})" if part.label else ""
        parts.append(f"{person[part.who]} {format_minutes(part.seconds)}{label}")
    if turns.rounds == "each":
        rounds = f"one round led by each {who}"
    else:
        rounds = "one round" if turns.rounds == 1 else f"{turns.rounds} rounds"
        if turns.rotate:
            rounds += ", the first speaker moving along each round"
    return visible(f"In turns, {rounds}: " + ", then ".join(parts) + ".")


@dataclass(frozen=True, slots=True)
class StepOutline:
    """A step as the library's preview shows it: ``speakers`` is "" for a silent step,
    ``turns`` "" for a step not in turns."""

    title: str
    minutes: str
    speakers: str
    turns: str


@dataclass(frozen=True, slots=True)
class ProtocolOutline:
    """What the library shows of a protocol (the list, ``protocolrunner list``, the preview
    beside the list), in plain values: kept in the summary cache, so that showing the library
    again needs neither the file's validation nor the protocol models.

    Text from the file is kept as written; ``minutes`` and the steps' phrases as ``describe``
    words them."""

    id: str
    title: str
    version: str
    summary: str
    purpose: str
    source: str
    seconds: int
    minutes: str
    varies: bool
    group: str
    roles: tuple[tuple[str, str], ...]
    """(name, description) of each role."""
    setup: tuple[tuple[str, bool], ...]
    """(label, required) of each setup question."""
    steps: tuple[StepOutline, ...]

    def to_json(self) -> dict[str, object]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["steps"] = [list(astuple(step)) for step in self.steps]
        return data

    @classmethod
    def from_json(cls, data: object) -> ProtocolOutline:
        """The outline ``to_json`` wrote; ``ValueError`` for anything else (a damaged cache)."""
        if not isinstance(data, dict) or set(data) != set(cls.__slots__):
            raise ValueError("not a protocol outline")
        texts = ("id", "title", "version", "summary", "purpose", "source", "minutes", "group")
        if not all(isinstance(data[name], str) for name in texts):
            raise ValueError("not a protocol outline")
        if type(data["seconds"]) is not int or type(data["varies"]) is not bool:
            raise ValueError("not a protocol outline")
        return cls(
            **{name: data[name] for name in texts},
            seconds=data["seconds"],
            varies=data["varies"],
            roles=_rows(data["roles"], (str, str)),
            setup=_rows(data["setup"], (str, bool)),
            steps=tuple(StepOutline(*row) for row in _rows(data["steps"], (str, str, str, str))),
        )


def _rows(value: object, types: tuple[type, ...]) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ValueError("not a protocol outline")
    rows = []
    for row in value:
        if (
            not isinstance(row, list)
            or len(row) != len(types)
            or not all(type(v) is t for v, t in zip(row, types, strict=True))
        ):
            raise ValueError("not a protocol outline")
        rows.append(tuple(row))
    return tuple(rows)


def outline(protocol: Protocol) -> ProtocolOutline:
    """The outline of a validated protocol."""
    p = protocol
    return ProtocolOutline(
        id=p.id,
        title=p.title,
        version=p.version,
        summary=p.summary,
        purpose=p.purpose,
        source=p.source,
        seconds=p.seconds,
        minutes=total_minutes(p),
        varies=varies_with_group(p),
        group=f"{p.group_size.min}" + (f"-{p.group_size.max}" if p.group_size.max else "+"),
        roles=tuple((role.name, role.description) for role in p.roles),
        setup=tuple((question.label, question.required) for question in p.setup),
        steps=tuple(
            StepOutline(
                step.title,
                step_minutes(p, step),
                role_names(p, step.speakers) if step.speakers else "",
                turns_phrase(p, step),
            )
            for step in p.steps
        ),
    )


def _block(text: str, indent: str, width: int = 78) -> list[str]:
    lines: list[str] = []
    for paragraph in visible(text).strip().split("\n\n"):
        joined = " ".join(paragraph.split())
        lines.extend(textwrap.wrap(joined, width, initial_indent=indent, subsequent_indent=indent))
        lines.append("")
    return lines[:-1] if lines else lines


def _step_lines(protocol: Protocol, number: int, step: Step) -> list[str]:
    lines = [f"{number}. {visible(step.title)} ({step_minutes(protocol, step)})"]
    if step.turns is not None:
        lines.extend(
            textwrap.wrap(
                turns_phrase(protocol, step), 78, initial_indent="   ", subsequent_indent="   "
            )
        )
        for k, question in enumerate(step.turns.round_prompts, 1):
            lines.extend(
                textwrap.wrap(
                    visible(question),
                    78,
                    initial_indent=f"   Round {k}: ",
                    subsequent_indent="     ",
                )
            )
        own = step.turns.round_prompts_from
        if own is not None:
            label = next((q.label for q in protocol.setup if q.id == own), own)
            lines.extend(
                textwrap.wrap(
                    f"The group may bring its own questions instead, one per line, at setup "
                    f"('{visible(label)}').",
                    78,
                    initial_indent="   ",
                    subsequent_indent="   ",
                )
            )
    speakers = role_names(protocol, step.speakers) if step.speakers else "nobody (silent step)"
    lines.append(f"   Speak: {speakers}")
    if step.silent:
        lines.append(f"   Silent: {role_names(protocol, step.silent)}")
    if step.instructions.strip():
        lines.extend(_block(step.instructions, "   "))
    for prompt in step.prompts:
        lines.extend(
            textwrap.wrap(visible(prompt), 78, initial_indent="   - ", subsequent_indent="     ")
        )
    if step.capture:
        lines.append("   Notes kept: " + visible(", ".join(f.label for f in step.capture)))
    return lines


def describe_protocol(protocol: Protocol, source: str = "") -> str:
    """A readable plain-text rendering of everything a facilitator needs."""
    p = protocol
    size = f"{p.group_size.min}" + (f"-{p.group_size.max}" if p.group_size.max else "+")
    lines = [
        f"{visible(p.title)}  (id {p.id}, version {visible(p.version)})",
        visible(p.summary),
        f"Total time: {total_minutes(p)}   Group size: {size} people",
    ]
    if source:
        lines.append(f"From: {visible(source)}")
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
            f"  {visible(role.name)} ({how})"
            + (f": {visible(role.description)}" if role.description else "")
        )
    if p.setup:
        lines += ["", "Before starting"]
        for question in p.setup:
            flag = " (required)" if question.required else ""
            lines.append(f"  {visible(question.label)}{flag}")
            if question.help:
                lines.extend(_block(question.help, "    "))
    lines += ["", "Steps"]
    for number, step in enumerate(p.steps, 1):
        lines.extend(_step_lines(p, number, step))
    if p.source.strip():
        lines += ["", "Source", *_block(p.source, "  ")]
    return visible("\n".join(lines) + "\n")
