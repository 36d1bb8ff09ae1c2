"""Time at a glance: how long each step of a protocol really took, against its plan.

Read from the search index (one query over a ``steps`` table), not from the session files:
on a 10,000-session record the index answers in well under a second, where reading every
file takes about half a minute.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .folder import Record
from .index import SessionIndex, StepRow


@dataclass(frozen=True, slots=True)
class StepTiming:
    """One step across past sessions. Times in seconds; skipped runs are counted apart."""

    position: int
    step_id: str
    title: str
    runs: int
    skipped: int
    planned: int
    """The median plan (a plan may have been fitted to the time a group had)."""
    median: int
    shortest: int
    longest: int
    over: int
    """Runs that took longer than their plan (extensions given count as over)."""

    @property
    def over_share(self) -> float:
        return self.over / self.runs if self.runs else 0.0


def _median(values: list[int]) -> int:
    return round(statistics.median(values)) if values else 0


def step_timings(rows: Iterable[StepRow]) -> list[StepTiming]:
    """Per step (by id, in the order the steps come in the newest session): the median and
    range of the actual time, the median plan, and how often it ran over."""
    groups: dict[str, list[StepRow]] = {}
    latest_title: dict[str, str] = {}
    latest_position: dict[str, int] = {}
    for row in rows:
        groups.setdefault(row.step_id, []).append(row)
        latest_title[row.step_id] = row.title
        latest_position[row.step_id] = row.position
    timings = []
    for step_id, group in groups.items():
        ran = [r for r in group if not r.skipped]
        actual = [r.actual for r in ran]
        timings.append(
            StepTiming(
                position=latest_position[step_id],
                step_id=step_id,
                title=latest_title[step_id],
                runs=len(ran),
                skipped=len(group) - len(ran),
                planned=_median([r.planned for r in group]),
                median=_median(actual),
                shortest=min(actual, default=0),
                longest=max(actual, default=0),
                over=sum(1 for r in ran if r.actual > r.planned),
            )
        )
    timings.sort(key=lambda t: (t.position, t.step_id))
    return timings


def load_step_timings(
    record: Record, protocol_id: str, index_path: Path | None = None
) -> tuple[list[StepTiming], int]:
    """The step timings of ``protocol_id`` and how many sessions they come from."""
    with SessionIndex(record, index_path) as index:
        index.refresh()
        rows = list(index.iter_steps(protocol_id))
    return step_timings(rows), len({row.session_id for row in rows})
