"""Roles picked by hand at setup: the one rule (``assign_by_hand``) the setup screen calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.session.roles import (
    HAND_PICKED,
    Proposal,
    assign_by_hand,
    check_assignment,
    pick_by_hand,
    propose_random,
)

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
PEOPLE = ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay", "Gus"]


def load(name: str) -> Protocol:
    return load_protocol_file(BUNDLED / f"{name}.toml").protocol


@pytest.fixture(scope="module")
def consultancy() -> Protocol:
    return load("consultancy")


@pytest.fixture(scope="module")
def tuning() -> Protocol:
    return load("tuning")


ROLES = {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev", "Eli"]}


def test_a_consultant_picked_as_presenter_swaps_into_the_role(consultancy: Protocol) -> None:
    roles = assign_by_hand(consultancy, PEOPLE[:5], ROLES, "presenter", ["Dev"])
    # Ann, no longer presenter, joins the rest role in the order of the people present.
    assert roles == {
        "presenter": ["Dev"],
        "facilitator": ["Bea"],
        "consultants": ["Ann", "Cal", "Eli"],
    }
    assert check_assignment(consultancy, PEOPLE[:5], roles) == []


def test_the_facilitator_picked_as_presenter_leaves_the_facilitator_role(
    consultancy: Protocol,
) -> None:
    roles = assign_by_hand(consultancy, PEOPLE[:5], ROLES, "presenter", ["Bea"])
    assert roles == {
        "presenter": ["Bea"],
        "facilitator": [],
        "consultants": ["Ann", "Cal", "Dev", "Eli"],
    }
    assert check_assignment(consultancy, PEOPLE[:5], roles) == [
        "Facilitator needs exactly 1 person (now 0)"
    ]


def test_nobody_picked_sends_the_holder_to_the_rest(consultancy: Protocol) -> None:
    roles = assign_by_hand(consultancy, PEOPLE[:5], ROLES, "facilitator", [])
    assert roles["facilitator"] == []
    assert roles["consultants"] == ["Bea", "Cal", "Dev", "Eli"]


def test_several_places_of_one_role_and_the_same_name_twice(tuning: Protocol) -> None:
    roles = {
        "presenter": ["Ann"],
        "facilitator": ["Bea"],
        "participants": PEOPLE[2:],
        "recorder": [],
    }
    roles = assign_by_hand(tuning, PEOPLE, roles, "presenter", ["Ann", "Cal", "Cal"])
    assert roles["presenter"] == ["Ann", "Cal"]
    assert roles["participants"] == ["Dev", "Eli", "Fay", "Gus"]
    roles = assign_by_hand(tuning, PEOPLE, roles, "recorder", ["Gus"])
    assert roles["recorder"] == ["Gus"]
    assert roles["participants"] == ["Dev", "Eli", "Fay"]
    assert check_assignment(tuning, PEOPLE, roles) == []


def test_the_input_is_left_as_it_was(consultancy: Protocol) -> None:
    before = {role: list(names) for role, names in ROLES.items()}
    assign_by_hand(consultancy, PEOPLE[:5], ROLES, "presenter", ["Dev"])
    assert before == ROLES


def test_a_pick_keeps_only_the_reasons_that_still_describe_their_role(
    consultancy: Protocol,
) -> None:
    proposal = Proposal(
        dict(ROLES),
        {"presenter": "Ann: last presented in May", "facilitator": "Bea: least recently"},
    )
    # Ann, the presenter, is picked to facilitate: presenting is left to nobody, so the reason
    # naming Ann as presenter goes, and the facilitator's is the hand's.
    picked = pick_by_hand(consultancy, PEOPLE[:5], proposal, "facilitator", ["Ann"])
    assert picked.roles["presenter"] == [] and picked.roles["facilitator"] == ["Ann"]
    assert picked.reasons == {"facilitator": HAND_PICKED}
    # A pick that leaves the presenter alone keeps the presenter's reason.
    picked = pick_by_hand(consultancy, PEOPLE[:5], proposal, "facilitator", ["Dev"])
    assert picked.reasons == {
        "presenter": "Ann: last presented in May",
        "facilitator": HAND_PICKED,
    }
    assert proposal.reasons["facilitator"] == "Bea: least recently"  # the input is untouched


def test_an_unknown_role_is_an_error(consultancy: Protocol) -> None:
    with pytest.raises(KeyError, match="timekeeper"):
        assign_by_hand(consultancy, PEOPLE[:5], ROLES, "timekeeper", ["Ann"])


def test_without_a_rest_role_nobody_else_moves() -> None:
    pair = Protocol.model_validate(
        {
            "format": 1,
            "id": "pair-talk",
            "title": "Pair talk",
            "summary": "Two or three people.",
            "group_size": {"min": 2, "max": 3},
            "roles": [
                {"id": "lead", "name": "Lead", "count": 1},
                {"id": "partner", "name": "Partner", "min": 1, "max": 2},
            ],
            "steps": [{"id": "talk", "title": "Talk", "minutes": 5, "speakers": ["lead"]}],
        }
    )
    roles = assign_by_hand(
        pair, ["Ann", "Bea", "Cal"], {"lead": ["Ann"], "partner": ["Bea", "Cal"]}, "lead", ["Bea"]
    )
    assert roles == {"lead": ["Bea"], "partner": ["Cal"]}
    assert check_assignment(pair, ["Ann", "Bea", "Cal"], roles) == ["no role for Ann"]


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(min_value=4, max_value=len(PEOPLE)),
    seed=st.integers(min_value=0, max_value=1000),
    role=st.sampled_from(["presenter", "facilitator", "recorder"]),
    picks=st.lists(st.integers(min_value=0, max_value=len(PEOPLE) - 1), max_size=3),
)
def test_everyone_present_keeps_exactly_one_role(size, seed, role, picks) -> None:
    tuning = load("tuning")
    people = PEOPLE[:size]
    start = propose_random(tuning, people, seed).roles
    names = [people[i % size] for i in picks]
    roles = assign_by_hand(tuning, people, start, role, names)
    holders = sorted(name for names in roles.values() for name in names)
    assert holders == sorted(people)
    assert roles[role] == list(dict.fromkeys(names))
