"""How a session reads aloud: its time against the plan, and who speaks, who listens and who keeps
time in a step. The run screen, the summary and every export say it in these words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..base.durations import format_duration
from ..base.text import visible

if TYPE_CHECKING:
    from .engine import Person, Timing, Voices


def timing_phrase(timing: Timing) -> str:
    """``2:41 (planned 8:00, adjusted 7:00)``: a session's actual time against its plan, the
    adjusted total only when minutes were given or taken. Records, exports and the summary."""
    extra = (
        f", adjusted {format_duration(timing.adjusted)}"
        if timing.adjusted != timing.planned
        else ""
    )
    return f"{format_duration(timing.actual)} (planned {format_duration(timing.planned)}{extra})"


def people_phrase(people: Iterable[Person]) -> str:
    """``Ana (Presenter), Cleo, Dev (Consultants)``: names grouped by role, in order."""
    groups: dict[str, list[str]] = {}
    for person in people:
        groups.setdefault(person.role_name, []).append(person.name)
    return visible(", ".join(f"{', '.join(names)} ({role})" for role, names in groups.items()))


@dataclass(frozen=True, slots=True)
class VoiceLine:
    """One line of who speaks: ``kind`` lets a screen style it, ``label`` leads it."""

    kind: Literal["speak", "silent", "silent-step", "facilitator"]
    label: str
    text: str

    @property
    def plain(self) -> str:
        return f"{self.label}: {self.text}"


def voice_lines(voices: Voices) -> list[VoiceLine]:
    """Who speaks in a step, as the room reads it: who speaks (or, in a silent step, one line
    naming everyone silent), who listens, then who keeps time."""
    lines: list[VoiceLine] = []
    silent = list(voices.silent)
    if voices.silent_step:
        verb = "works" if len(silent) == 1 else "work"
        text = f"{people_phrase(silent)} {verb} without speaking." if silent else "nobody speaks."
        lines.append(VoiceLine("silent-step", "Silent step", text))
    else:
        lines.append(VoiceLine("speak", "Speak", people_phrase(voices.speakers)))
        if silent:
            verb = "listens" if len(silent) == 1 else "listen"
            text = f"{people_phrase(silent)} {verb} without speaking and may take notes."
            lines.append(VoiceLine("silent", "Silent", text))
    if voices.facilitator:
        lines.append(VoiceLine("facilitator", "Keeping time", people_phrase(voices.facilitator)))
    return lines
