"""Who plays which role: checks, random draws, and fair rotation from the record's history."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..protocol.model import Protocol, Role


@dataclass(frozen=True, slots=True)
class PastSession:
    """The part of a past session that rotation needs: when, and who held which role."""

    when: date
    roles: Mapping[str, Sequence[str]]


@dataclass
class Proposal:
    """Proposed roles (role id -> names) and, per role, one line saying why."""

    roles: dict[str, list[str]]
    reasons: dict[str, str] = field(default_factory=dict)


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _wants(role: Role) -> str:
    low, high = role.bounds
    if low == high:
        return f"exactly {_people(low)}"
    if high is None:
        return f"at least {_people(low)}"
    return f"{low} to {high} people"


def check_assignment(
    protocol: Protocol, attendees: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every reason the assignment does not fit the protocol, as sentences; [] when it does."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in attendees:
        if name in seen:
            problems.append(f"{name} is listed twice among the people present")
        seen.add(name)
    known = {role.id for role in protocol.roles}
    for role_id in roles:
        if role_id not in known:
            problems.append(f"'{role_id}' is not a role in {protocol.title}")
    holder: dict[str, str] = {}
    for role in protocol.roles:
        names = list(roles.get(role.id, ()))
        for name in names:
            if name not in seen:
                problems.append(f"{name} has the role {role.name} but is not present")
            elif name in holder and holder[name] != role.id:
                other = protocol.role(holder[name]).name
                problems.append(f"{name} cannot be both {other} and {role.name}")
            holder.setdefault(name, role.id)
        low, high = role.bounds
        if len(names) < low or (high is not None and len(names) > high):
            problems.append(f"{role.name} needs {_wants(role)} (now {len(names)})")
    unassigned = [name for name in dict.fromkeys(attendees) if name not in holder]
    if unassigned:
        problems.append("no role for " + ", ".join(unassigned))
    return problems


def group_size_note(protocol: Protocol, present: int) -> str | None:
    """A warning when the group is outside the size the protocol was designed for."""
    low, high = protocol.group_size.min, protocol.group_size.max
    if present < low or (high is not None and present > high):
        span = f"{low} to {high}" if high is not None else f"{low} or more"
        return f"{protocol.title} is designed for {span} people; {_people(present)} here"
    return None


def _without_role(
    protocol: Protocol, attendees: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> list[str]:
    """Everyone present, in their order, who holds no role but the rest role: the rest."""
    rest = protocol.rest_role
    taken = {
        n for role_id, names in roles.items() if rest is None or role_id != rest.id for n in names
    }
    return [name for name in dict.fromkeys(attendees) if name not in taken]


def assign_by_hand(
    protocol: Protocol,
    attendees: Sequence[str],
    roles: Mapping[str, Sequence[str]],
    role_id: str,
    names: Sequence[str],
) -> dict[str, list[str]]:
    """The roles after ``names`` are picked by hand for ``role_id``, in place of its holders.

    The people picked leave any other role they held, and the rest role becomes everyone
    present with no other role (so a former holder who is not picked again joins it). Without
    a rest role nobody else moves: :func:`check_assignment` then names what is missing.
    """
    if all(role.id != role_id for role in protocol.roles):
        raise KeyError(f"'{role_id}' is not a role in {protocol.title}")
    picked = list(dict.fromkeys(names))
    out = {
        role.id: [name for name in roles.get(role.id, ()) if name not in picked]
        for role in protocol.roles
    }
    out[role_id] = picked
    rest = protocol.rest_role
    if rest is not None:
        out[rest.id] = _without_role(protocol, attendees, out)
    return out


HAND_PICKED = "chosen by hand"


def pick_by_hand(
    protocol: Protocol,
    attendees: Sequence[str],
    proposal: Proposal,
    role_id: str,
    names: Sequence[str],
) -> Proposal:
    """:func:`assign_by_hand`, with the reasons to match: the role picked for says it was
    chosen by hand, and a role whose holders the pick changed loses its reason (it no longer
    describes them)."""
    roles = assign_by_hand(protocol, attendees, proposal.roles, role_id, names)
    reasons = {
        role: reason
        for role, reason in proposal.reasons.items()
        if role != role_id and roles.get(role) == proposal.roles.get(role)
    }
    reasons[role_id] = HAND_PICKED
    return Proposal(roles, reasons)


def _fill(
    protocol: Protocol,
    attendees: Sequence[str],
    choose: dict[str, list[str]],
) -> dict[str, list[str]]:
    """Give each non-rest role its minimum from its ordered candidates, the rest the others."""
    taken: set[str] = set()
    roles: dict[str, list[str]] = {role.id: [] for role in protocol.roles}
    for role in protocol.roles:
        if role.rest:
            continue
        low, _ = role.bounds
        for name in choose[role.id]:
            if len(roles[role.id]) >= low:
                break
            if name not in taken:
                roles[role.id].append(name)
                taken.add(name)
    left = [name for name in attendees if name not in taken]
    rest = protocol.rest_role
    if rest is not None:
        roles[rest.id] = _without_role(protocol, attendees, roles)
    else:
        # No catch-all role: top up roles that can take more, in the protocol's order.
        for role in protocol.roles:
            _, high = role.bounds
            while left and (high is None or len(roles[role.id]) < high):
                roles[role.id].append(left.pop(0))
    return roles


def propose_random(
    protocol: Protocol, attendees: Sequence[str], seed: int | str | None = None
) -> Proposal:
    """A random assignment; the same seed and people give the same result."""
    order = list(dict.fromkeys(attendees))
    random.Random(seed).shuffle(order)
    roles = _fill(protocol, order, {role.id: order for role in protocol.roles})
    return Proposal(
        roles, {role.id: "drawn at random" for role in protocol.roles if roles[role.id]}
    )


def _when(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def tally(
    history: Sequence[PastSession],
) -> tuple[dict[tuple[str, str], date], dict[tuple[str, str], int]]:
    """For every (role id, name): the last day they held the role, and how many times."""
    last: dict[tuple[str, str], date] = {}
    times: dict[tuple[str, str], int] = {}
    for past in history:
        for role_id, names in past.roles.items():
            for name in names:
                key = (role_id, name)
                times[key] = times.get(key, 0) + 1
                if key not in last or past.when > last[key]:
                    last[key] = past.when
    return last, times


def _fair_sorted(
    role_id: str,
    order: list[str],
    last: dict[tuple[str, str], date],
    times: dict[tuple[str, str], int],
) -> list[str]:
    position = {name: i for i, name in enumerate(order)}

    def rank(name: str) -> tuple[bool, date, int, int]:
        held = last.get((role_id, name))
        return (held is not None, held or date.min, times.get((role_id, name), 0), position[name])

    return sorted(order, key=rank)


def fair_order(role_id: str, people: Sequence[str], history: Sequence[PastSession]) -> list[str]:
    """Everyone in ``people`` in the order fair rotation would ask them to take ``role_id``:
    the very order :func:`propose_fair` picks from (never held it, then longest ago, then
    fewest times, then the order of ``people``)."""
    last, times = tally(history)
    return _fair_sorted(role_id, list(dict.fromkeys(people)), last, times)


def propose_fair(
    protocol: Protocol, attendees: Sequence[str], history: Sequence[PastSession]
) -> Proposal:
    """Rotate the roles marked ``rotates``: whoever held the role least recently goes first.

    People who never held it come first, then those who held it longest ago, then those who
    held it fewest times; the order of ``attendees`` breaks any remaining tie.
    """
    order = list(dict.fromkeys(attendees))
    last, times = tally(history)
    choose = {
        role.id: _fair_sorted(role.id, order, last, times) if role.rotates else order
        for role in protocol.roles
    }
    roles = _fill(protocol, order, choose)
    reasons = {}
    for role in protocol.roles:
        if not role.rotates or not roles[role.id]:
            continue
        lines = []
        for name in roles[role.id]:
            held = last.get((role.id, name))
            if held is None:
                lines.append(f"{name}: never {role.name} before")
            else:
                n = times[(role.id, name)]
                lines.append(
                    f"{name}: last {role.name} on {_when(held)} ({n} time{'s' if n > 1 else ''})"
                )
        reasons[role.id] = "; ".join(lines)
    return Proposal(roles, reasons)
