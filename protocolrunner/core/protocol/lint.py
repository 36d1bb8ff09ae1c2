"""Likely mistakes in a valid protocol: what ``protocolrunner validate --strict`` warns about.

A file can be valid and still read oddly in a meeting: a step where nobody is told whether to
speak, prompts on a step where nobody talks, turns that run for hours with a large group. These
are warnings, not errors; the file still loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..base.durations import format_minutes
from ..base.problems import Problem, read_toml
from .library import LibraryEntry
from .model import Loc, Protocol
from .validation import problems_from

LONG_TURN_STEP_SECONDS = 90 * 60
"""A step in turns longer than this at the largest group size is probably not what was meant."""


def likely_mistakes(protocol: Protocol) -> Iterable[tuple[Loc, str]]:
    """``(key path, message)`` for each likely mistake."""
    for index, step in enumerate(protocol.steps):
        loc: Loc = ("steps", index)
        if not step.speakers and not step.silent and step.turns is None:
            yield (
                (*loc, "speakers"),
                "nobody is named as speaking or silent: list the speakers, or say who is "
                "silent for a quiet step",
            )
        everyone_quiet = {role.id for role in protocol.roles} <= set(step.silent)
        if not step.speakers and step.prompts and step.turns is None and not everyone_quiet:
            # Prompts on quiet work (every role silent: reading, writing) are for thinking.
            yield (
                (*loc, "prompts"),
                "prompts on a step where nobody speaks: name the speakers, or list every role "
                "as silent for a step of quiet work",
            )
        if step.turns is not None:
            yield from _turn_warnings(protocol, loc, index)


def _turn_warnings(protocol: Protocol, loc: Loc, index: int) -> Iterable[tuple[Loc, str]]:
    step = protocol.steps[index]
    assert step.turns is not None
    own = next((q for q in protocol.setup if q.id == step.turns.round_prompts_from), None)
    if own is not None and not own.multiline:
        yield (
            (*loc, "turns", "round_prompts_from"),
            f"setup question '{own.id}' is one line, so a group can type only one question "
            "of its own: make it multiline = true",
        )
    if step.turns.seats is not None:
        return
    largest = protocol.group_size.max
    if largest is None:
        yield (
            ("group_size", "max"),
            f"step '{step.id}' is taken in turns but the group has no largest size: with many "
            "people it runs long; set group_size.max",
        )
        return
    seconds = protocol.step_seconds(step, largest)
    if seconds > LONG_TURN_STEP_SECONDS:
        yield (
            (*loc, "turns"),
            f"with {largest} people (group_size.max) this step takes "
            f"{format_minutes(seconds)}: shorten the turns or lower group_size.max",
        )


def lint_entry(entry: LibraryEntry) -> list[Problem]:
    """Warnings for a loaded protocol file, each with its line and key."""
    found = list(likely_mistakes(entry.protocol))
    if not found:
        return []
    _, text = read_toml(Path(entry.path), str(entry.path))
    return problems_from(str(entry.path), text, [(loc, f"warning: {m}") for loc, m in found])
