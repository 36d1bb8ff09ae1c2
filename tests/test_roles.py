"""Roles: checking an assignment, random draws and fair rotation from history."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.session.roles import (
    PastSession,
    Proposal,
    check_assignment,
    group_size_note,
    propose_fair,
    propose_random,
)

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
PEOPLE = ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo"]


def load(name: str) -> Protocol:
    return load_protocol_file(BUNDLED / f"{name}.toml").protocol


@pytest.fixture(scope="module")
def consultancy() -> Protocol:
    return load("consultancy")


@pytest.fixture(scope="module")
def tuning() -> Protocol:
    return load("tuning")


@pytest.fixture(scope="module")
def atlas() -> Protocol:
    return load("atlas-looking-at-data")


@pytest.fixture(scope="module")
def no_rest() -> Protocol:
    """A protocol whose roles have no catch-all (rest) role."""
    return Protocol.model_validate(
        {
            "format": 1,
            "id": "pair-talk",
            "title": "Pair talk",
            "summary": "Two or three people.",
            "group_size": {"min": 2, "max": 3},
            "roles": [
                {"id": "lead", "name": "Lead", "count": 1, "rotates": True},
                {"id": "partner", "name": "Partner", "min": 1, "max": 2},
            ],
            "steps": [{"id": "talk", "title": "Talk", "minutes": 5, "speakers": ["lead"]}],
        }
    )


def valid_consultancy_roles() -> dict[str, list[str]]:
    return {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]}


# -- check_assignment ------------------------------------------------------------------------


def test_valid_assignment_has_no_problems(consultancy: Protocol) -> None:
    assert check_assignment(consultancy, PEOPLE[:4], valid_consultancy_roles()) == []


def test_missing_presenter(consultancy: Protocol) -> None:
    roles = valid_consultancy_roles()
    roles["consultants"].append(roles.pop("presenter")[0])
    assert check_assignment(consultancy, PEOPLE[:4], roles) == [
        "Presenter needs exactly 1 person (now 0)"
    ]


def test_two_presenters(consultancy: Protocol) -> None:
    roles = {"presenter": ["Ann", "Eli"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]}
    assert check_assignment(consultancy, PEOPLE[:5], roles) == [
        "Presenter needs exactly 1 person (now 2)"
    ]


def test_person_with_two_roles(consultancy: Protocol) -> None:
    roles = {"presenter": ["Ann"], "facilitator": ["Ann"], "consultants": ["Cal", "Dev"]}
    problems = check_assignment(consultancy, ["Ann", "Cal", "Dev"], roles)
    assert problems == ["Ann cannot be both Presenter and Facilitator"]


def test_unknown_person(consultancy: Protocol) -> None:
    roles = valid_consultancy_roles()
    roles["consultants"].append("Zed")
    assert check_assignment(consultancy, PEOPLE[:4], roles) == [
        "Zed has the role Consultants but is not present"
    ]


def test_duplicate_attendee(consultancy: Protocol) -> None:
    attendees = ["Ann", "Bea", "Cal", "Dev", "Bea"]
    assert check_assignment(consultancy, attendees, valid_consultancy_roles()) == [
        "Bea is listed twice among the people present"
    ]


def test_unknown_role_id(consultancy: Protocol) -> None:
    roles = {**valid_consultancy_roles(), "timekeeper": []}
    assert check_assignment(consultancy, PEOPLE[:4], roles) == [
        "'timekeeper' is not a role in Consultancy"
    ]


def test_too_few_in_a_minimum_role(consultancy: Protocol) -> None:
    roles = {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal"]}
    assert check_assignment(consultancy, PEOPLE[:3], roles) == [
        "Consultants needs at least 2 people (now 1)"
    ]


def test_range_role_message(tuning: Protocol) -> None:
    roles = {
        "presenter": ["Ann", "Bea", "Cal", "Dev"],
        "facilitator": ["Eli"],
        "participants": ["Fay", "Gus"],
        "recorder": [],
    }
    assert check_assignment(tuning, PEOPLE[:7], roles) == ["Presenter needs 1 to 3 people (now 4)"]


def test_unassigned_person_without_rest_role(no_rest: Protocol) -> None:
    roles = {"lead": ["Ann"], "partner": ["Bea"]}
    assert check_assignment(no_rest, ["Ann", "Bea", "Cal", "Dev"], roles) == [
        "no role for Cal, Dev"
    ]


def test_unassigned_duplicate_reported_once(no_rest: Protocol) -> None:
    roles = {"lead": ["Ann"], "partner": ["Bea"]}
    assert check_assignment(no_rest, ["Ann", "Bea", "Cal", "Cal"], roles) == [
        "Cal is listed twice among the people present",
        "no role for Cal",
    ]


def test_every_problem_is_reported(consultancy: Protocol) -> None:
    problems = check_assignment(
        consultancy,
        ["Ann", "Bea", "Ann"],
        {"presenter": ["Ann", "Bea"], "facilitator": ["Bea"], "consultants": ["Zed"]},
    )
    assert problems == [
        "Ann is listed twice among the people present",
        "Presenter needs exactly 1 person (now 2)",
        "Bea cannot be both Presenter and Facilitator",
        "Zed has the role Consultants but is not present",
        "Consultants needs at least 2 people (now 1)",
    ]


# -- group_size_note ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (3, "Consultancy is designed for 4 to 8 people; 3 people here"),
        (4, None),
        (8, None),
        (9, "Consultancy is designed for 4 to 8 people; 9 people here"),
        (1, "Consultancy is designed for 4 to 8 people; 1 person here"),
    ],
)
def test_group_size_note(consultancy: Protocol, present: int, expected: str | None) -> None:
    assert group_size_note(consultancy, present) == expected


def test_group_size_note_without_upper_limit(no_rest: Protocol) -> None:
    unlimited = no_rest.model_copy(
        update={"group_size": no_rest.group_size.model_copy(update={"max": None})}
    )
    assert (
        group_size_note(unlimited, 1) == "Pair talk is designed for 2 or more people; 1 person here"
    )
    assert group_size_note(unlimited, 50) is None


# -- propose_random --------------------------------------------------------------------------


def test_random_is_reproducible_with_a_seed(consultancy: Protocol) -> None:
    first = propose_random(consultancy, PEOPLE[:8], seed=7)
    again = propose_random(consultancy, PEOPLE[:8], seed=7)
    assert first.roles == again.roles
    assert first.reasons == again.reasons


def test_random_differs_with_another_seed(consultancy: Protocol) -> None:
    a = propose_random(consultancy, PEOPLE[:8], seed=1)
    b = propose_random(consultancy, PEOPLE[:8], seed=2)
    assert a.roles != b.roles
    # Over many seeds, several different presenters come up.
    presenters = {
        propose_random(consultancy, PEOPLE[:8], seed=s).roles["presenter"][0] for s in range(40)
    }
    assert len(presenters) >= 5


def test_random_string_seed(consultancy: Protocol) -> None:
    assert (
        propose_random(consultancy, PEOPLE[:8], seed="meeting-12").roles
        == propose_random(consultancy, PEOPLE[:8], seed="meeting-12").roles
    )


def test_random_reasons(consultancy: Protocol) -> None:
    proposal = propose_random(consultancy, PEOPLE[:4], seed=3)
    assert proposal.reasons == {
        "presenter": "drawn at random",
        "facilitator": "drawn at random",
        "consultants": "drawn at random",
    }


@pytest.mark.parametrize("name", ["consultancy", "tuning", "atlas-looking-at-data"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_proposal_is_always_valid(name: str, data: st.DataObject) -> None:
    protocol = load(name)
    size = data.draw(st.integers(protocol.group_size.min, protocol.group_size.max or 10))
    seed = data.draw(st.integers(0, 2**32))
    attendees = PEOPLE[:size]
    proposal = propose_random(protocol, attendees, seed=seed)
    assert check_assignment(protocol, attendees, proposal.roles) == []
    assigned = sorted(n for names in proposal.roles.values() for n in names)
    assert assigned == sorted(attendees)


def test_random_without_rest_role_tops_up(no_rest: Protocol) -> None:
    proposal = propose_random(no_rest, ["Ann", "Bea", "Cal"], seed=0)
    assert len(proposal.roles["lead"]) == 1
    assert len(proposal.roles["partner"]) == 2
    assert check_assignment(no_rest, ["Ann", "Bea", "Cal"], proposal.roles) == []


# -- propose_fair ------------------------------------------------------------------------------


def past(day: date, presenter: str, facilitator: str = "", consultants: tuple[str, ...] = ()):
    roles: dict[str, list[str]] = {"presenter": [presenter], "consultants": list(consultants)}
    if facilitator:
        roles["facilitator"] = [facilitator]
    return PastSession(day, roles)


def test_fair_without_history_follows_attendee_order(consultancy: Protocol) -> None:
    proposal = propose_fair(consultancy, ["Cal", "Ann", "Bea", "Dev"], [])
    assert proposal == Proposal(
        {"presenter": ["Cal"], "facilitator": ["Ann"], "consultants": ["Bea", "Dev"]},
        {
            "presenter": "Cal: never Presenter before",
            "facilitator": "Ann: never Facilitator before",
        },
    )


def test_fair_never_held_comes_first(consultancy: Protocol) -> None:
    history = [past(date(2026, 9, 1), "Ann"), past(date(2026, 9, 15), "Bea")]
    proposal = propose_fair(consultancy, ["Ann", "Bea", "Cal", "Dev"], history)
    assert proposal.roles["presenter"] == ["Cal"]
    assert proposal.reasons["presenter"] == "Cal: never Presenter before"


def test_fair_then_least_recently(consultancy: Protocol) -> None:
    history = [
        past(date(2026, 10, 3), "Ann"),
        past(date(2026, 9, 1), "Bea"),  # longest ago, even though it is listed later
        past(date(2026, 9, 20), "Cal"),
        past(date(2026, 9, 25), "Dev"),
        past(date(2026, 8, 1), "Ann"),
    ]
    proposal = propose_fair(consultancy, ["Ann", "Bea", "Cal", "Dev"], history)
    assert proposal.roles["presenter"] == ["Bea"]
    assert proposal.reasons["presenter"] == "Bea: last Presenter on 1 Sep 2026 (1 time)"


def test_fair_then_fewest_times(consultancy: Protocol) -> None:
    day = date(2026, 10, 3)
    history = [
        past(date(2026, 9, 1), "Bea"),
        past(day, "Bea"),
        past(day, "Cal"),
        past(date(2026, 10, 1), "Ann"),
        past(day, "Ann"),
        past(date(2026, 9, 2), "Ann"),
        past(day, "Dev"),
        past(date(2026, 9, 3), "Dev"),
    ]
    # Everyone last presented on 3 Oct; Cal did it once, Bea and Dev twice, Ann three times.
    proposal = propose_fair(consultancy, ["Ann", "Bea", "Cal", "Dev"], history)
    assert proposal.roles["presenter"] == ["Cal"]
    assert proposal.reasons["presenter"] == "Cal: last Presenter on 3 Oct 2026 (1 time)"


def test_fair_reason_counts_times(consultancy: Protocol) -> None:
    history = [
        past(date(2026, 9, 1), "Bea"),
        past(date(2026, 10, 3), "Bea"),
        past(date(2026, 10, 10), "Ann"),
        past(date(2026, 10, 11), "Cal"),
        past(date(2026, 10, 12), "Dev"),
    ]
    proposal = propose_fair(consultancy, ["Ann", "Bea", "Cal", "Dev"], history)
    assert proposal.roles["presenter"] == ["Bea"]
    assert proposal.reasons["presenter"] == "Bea: last Presenter on 3 Oct 2026 (2 times)"
    # Nobody has facilitated: the first attendee who is not presenting.
    assert proposal.reasons["facilitator"] == "Ann: never Facilitator before"


def test_fair_tie_broken_by_attendee_order(consultancy: Protocol) -> None:
    day = date(2026, 10, 3)
    history = [past(day, name) for name in ["Ann", "Bea", "Cal", "Dev"]]
    for order in (["Dev", "Cal", "Bea", "Ann"], ["Bea", "Ann", "Dev", "Cal"]):
        assert propose_fair(consultancy, order, history).roles["presenter"] == [order[0]]


def test_fair_ignores_history_order(consultancy: Protocol) -> None:
    history = [past(date(2026, 9, 1) + timedelta(days=7 * i), PEOPLE[i % 5]) for i in range(12)]
    expected = propose_fair(consultancy, PEOPLE[:6], history)
    shuffled = list(history)
    random.Random(4).shuffle(shuffled)
    assert propose_fair(consultancy, PEOPLE[:6], shuffled) == expected


def test_fair_non_rotating_roles_follow_attendee_order(tuning: Protocol) -> None:
    # The recorder does not rotate and takes nobody by default (min 0).
    proposal = propose_fair(tuning, PEOPLE[:6], [])
    assert proposal.roles == {
        "presenter": ["Ann"],
        "facilitator": ["Bea"],
        "participants": ["Cal", "Dev", "Eli", "Fay"],
        "recorder": [],
    }
    assert set(proposal.reasons) == {"presenter", "facilitator"}


def test_fair_facilitator_is_not_the_presenter(consultancy: Protocol) -> None:
    # Ann is first in line for both roles; she presents and someone else facilitates.
    history = [past(date(2026, 9, 1), "Bea", facilitator="Cal")]
    proposal = propose_fair(consultancy, ["Ann", "Bea", "Cal", "Dev"], history)
    assert proposal.roles["presenter"] == ["Ann"]
    assert proposal.roles["facilitator"] == ["Bea"]
    assert check_assignment(consultancy, ["Ann", "Bea", "Cal", "Dev"], proposal.roles) == []


@pytest.mark.parametrize("name", ["consultancy", "tuning", "atlas-looking-at-data"])
@pytest.mark.parametrize("n", [4, 6, 8])
def test_full_rotation_everyone_presents_once_before_anyone_twice(name: str, n: int) -> None:
    protocol = load(name)
    if not protocol.group_size.min <= n <= (protocol.group_size.max or n):
        n = protocol.group_size.min
    attendees = PEOPLE[:n]
    history: list[PastSession] = []
    presenters: list[str] = []
    day = date(2026, 9, 1)
    for k in range(3 * n):
        proposal = propose_fair(protocol, attendees, history)
        assert check_assignment(protocol, attendees, proposal.roles) == []
        presenters.extend(proposal.roles["presenter"])
        history.append(PastSession(day + timedelta(days=7 * k), proposal.roles))
    for round_ in range(3):
        chunk = presenters[round_ * n : (round_ + 1) * n]
        assert sorted(chunk) == sorted(attendees), (round_, presenters)


@settings(max_examples=60, deadline=None)
@given(
    st.permutations(PEOPLE[:8]),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 400)), max_size=20),
)
def test_fair_always_valid_and_rotation_holds(order: list[str], raw: list[tuple[int, int]]) -> None:
    """From any history, the next N proposals still give N different presenters."""
    protocol = load("consultancy")
    history = [
        PastSession(date(2025, 1, 1) + timedelta(days=d), {"presenter": [order[i]]}) for i, d in raw
    ]
    start = date(2026, 6, 1)
    seen: list[str] = []
    for k in range(len(order)):
        proposal = propose_fair(protocol, order, history)
        assert check_assignment(protocol, order, proposal.roles) == []
        seen.extend(proposal.roles["presenter"])
        history.append(PastSession(start + timedelta(days=k), proposal.roles))
    assert sorted(seen) == sorted(order)
