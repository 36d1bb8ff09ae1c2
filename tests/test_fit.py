"""fit_to_time: scaling a protocol's steps to the time a group actually has."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.session.fit import MIN_STEP_SECONDS, UNIT_SECONDS, FitError, fit_to_time

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"


@pytest.fixture(scope="module")
def consultancy_plan() -> list[int]:
    protocol = load_protocol_file(BUNDLED / "consultancy.toml").protocol
    return [step.seconds for step in protocol.steps]


def test_consultancy_plan_is_fifty_minutes(consultancy_plan: list[int]) -> None:
    assert consultancy_plan == [600, 300, 600, 900, 300, 300]
    assert sum(consultancy_plan) == 50 * 60


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (50, [600, 300, 600, 900, 300, 300]),
        (40, [480, 240, 480, 720, 240, 240]),
        (30, [360, 180, 360, 540, 180, 180]),
        (60, [720, 360, 720, 1080, 360, 360]),
        # One minute each: exactly the floor.
        (6, [60, 60, 60, 60, 60, 60]),
        # Floors take most of the time; the longest step keeps the extra minute.
        (7, [60, 60, 60, 120, 60, 60]),
        # 20.5 min = 41 units; shares 8.2, 4.1, 8.2, 12.3, 4.1, 4.1: the odd unit goes to .3.
        (20.5, [240, 120, 240, 390, 120, 120]),
    ],
)
def test_consultancy_examples(
    consultancy_plan: list[int], minutes: float, expected: list[int]
) -> None:
    target = round(minutes * 60)
    result = fit_to_time(consultancy_plan, target)
    assert result == expected
    assert sum(result) == target


@pytest.mark.parametrize("target", [0, 30, 300, 330])
def test_too_short_raises(consultancy_plan: list[int], target: int) -> None:
    with pytest.raises(FitError, match="6 steps need at least 6 minutes"):
        fit_to_time(consultancy_plan, target)


@pytest.mark.parametrize("target", [2401, 2415, 1799, 45, -1])
def test_target_not_whole_units_raises(consultancy_plan: list[int], target: int) -> None:
    with pytest.raises(FitError, match="30-second units"):
        fit_to_time(consultancy_plan, target)


def test_no_steps_raises() -> None:
    with pytest.raises(FitError, match="no steps"):
        fit_to_time([], 600)


def test_all_zero_plan_raises() -> None:
    with pytest.raises(FitError, match="no planned time"):
        fit_to_time([0, 0], 600)


def test_fit_error_is_a_value_error() -> None:
    assert issubclass(FitError, ValueError)


def test_input_is_not_modified(consultancy_plan: list[int]) -> None:
    before = list(consultancy_plan)
    fit_to_time(consultancy_plan, 1800)
    assert consultancy_plan == before


# -- properties ----------------------------------------------------------------------------


@st.composite
def plans_and_targets(draw: st.DrawFn) -> tuple[list[int], int]:
    planned = draw(st.lists(st.integers(30, 14400), min_size=1, max_size=30))
    n = len(planned)
    units = draw(st.integers(2 * n, max(2 * n, 2 * sum(planned) // UNIT_SECONDS + 4 * n)))
    return planned, units * UNIT_SECONDS


@settings(max_examples=400, deadline=None)
@given(plans_and_targets())
def test_sums_exactly_to_target(case: tuple[list[int], int]) -> None:
    planned, target = case
    result = fit_to_time(planned, target)
    assert len(result) == len(planned)
    assert sum(result) == target


@settings(max_examples=400, deadline=None)
@given(plans_and_targets())
def test_whole_units_and_at_least_a_minute(case: tuple[list[int], int]) -> None:
    planned, target = case
    result = fit_to_time(planned, target)
    assert all(value % UNIT_SECONDS == 0 for value in result)
    assert all(value >= MIN_STEP_SECONDS for value in result)


@settings(max_examples=400, deadline=None)
@given(plans_and_targets())
def test_monotonic_shorter_plan_never_gets_more(case: tuple[list[int], int]) -> None:
    """A step planned shorter than another never ends up longer than it."""
    planned, target = case
    result = fit_to_time(planned, target)
    for i, a in enumerate(planned):
        for j, b in enumerate(planned):
            if a < b:
                assert result[i] <= result[j], (i, j, planned, result)


@settings(max_examples=300, deadline=None)
@given(plans_and_targets())
def test_each_step_within_one_unit_of_its_share_unless_floored(
    case: tuple[list[int], int],
) -> None:
    """Without floors, largest-remainder rounding stays within one unit of the exact share."""
    planned, target = case
    units = target // UNIT_SECONDS
    ideal = [units * p / sum(planned) for p in planned]
    if min(ideal) < MIN_STEP_SECONDS // UNIT_SECONDS:
        return  # floors move units around; covered by the other properties
    result = fit_to_time(planned, target)
    for share, value in zip(ideal, result, strict=True):
        assert abs(value / UNIT_SECONDS - share) < 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 480).map(lambda u: u * UNIT_SECONDS), min_size=1, max_size=30))
def test_target_equal_to_plan_changes_nothing_when_plan_is_whole_units(planned: list[int]) -> None:
    if min(planned) < MIN_STEP_SECONDS:
        planned = [max(p, MIN_STEP_SECONDS) for p in planned]
    assert fit_to_time(planned, sum(planned)) == planned


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(30, 14400), min_size=1, max_size=30),
    st.integers(1, UNIT_SECONDS - 1),
)
def test_too_short_or_odd_seconds_always_raise(planned: list[int], odd: int) -> None:
    with pytest.raises(FitError, match="at least"):
        fit_to_time(planned, (2 * len(planned) - 1) * UNIT_SECONDS)
    with pytest.raises(FitError, match="whole number"):
        fit_to_time(planned, 2 * len(planned) * UNIT_SECONDS + odd)
