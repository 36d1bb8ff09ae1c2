"""Fit a protocol's steps to the time a group actually has."""

from __future__ import annotations

import math
from collections.abc import Sequence

UNIT_SECONDS = 30
MIN_STEP_SECONDS = 60


class FitError(ValueError):
    """The target cannot be met (too short for the steps, or not whole units)."""


def fit_to_time(planned: Sequence[int], target_seconds: int) -> list[int]:
    """Scale step lengths proportionally so they add up to exactly ``target_seconds``.

    Every result is a whole number of 30-second units and at least one minute. Rounding uses
    largest remainders, so the steps that lose or gain the odd half minute are the ones whose
    exact share was closest to it.
    """
    if not planned:
        raise FitError("there are no steps to fit")
    if target_seconds % UNIT_SECONDS:
        raise FitError(f"the target must be a whole number of {UNIT_SECONDS}-second units")
    units = target_seconds // UNIT_SECONDS
    floor_units = MIN_STEP_SECONDS // UNIT_SECONDS
    if units < floor_units * len(planned):
        need = len(planned) * MIN_STEP_SECONDS // 60
        raise FitError(f"{len(planned)} steps need at least {need} minutes (one minute each)")
    total = sum(planned)
    if total <= 0:
        raise FitError("the steps have no planned time")
    ideal = [units * seconds / total for seconds in planned]
    alloc = [max(floor_units, math.floor(share)) for share in ideal]
    diff = units - sum(alloc)
    while diff > 0:
        i = max(range(len(alloc)), key=lambda k: (ideal[k] - alloc[k], -k))
        alloc[i] += 1
        diff -= 1
    while diff < 0:
        candidates = [k for k in range(len(alloc)) if alloc[k] > floor_units]
        i = min(candidates, key=lambda k: (ideal[k] - alloc[k], k))
        alloc[i] -= 1
        diff += 1
    return [a * UNIT_SECONDS for a in alloc]
