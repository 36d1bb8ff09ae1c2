"""Member histories: sessions, roles, last time presenting, next in the fair rotation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.members import add_histories, load_history, member_histories
from protocolrunner.core.record.models import Member
from protocolrunner.core.session.roles import PastSession, fair_order, propose_fair

MEMBERS = [Member(name="Ann"), Member(name="Bea", note="Maths"), Member(name="Cal")]
HISTORY = [
    PastSession(date(2026, 9, 1), {"presenter": ["Ann"], "consultants": ["Bea", "Zed"]}),
    PastSession(date(2026, 9, 15), {"presenter": ["Bea"], "consultants": ["Ann"]}),
    PastSession(date(2026, 9, 29), {"facilitator": ["Ann"], "consultants": ["Bea"]}),
]


def test_counts_roles_last_presented_and_rotation() -> None:
    ann, bea, cal, zed = member_histories(MEMBERS, HISTORY, ["presenter"], others=True)
    assert (ann.sessions, ann.roles, ann.last_presented) == (
        3,
        {"presenter": 1, "consultants": 1, "facilitator": 1},
        date(2026, 9, 1),
    )
    assert (bea.note, bea.sessions, bea.last_presented, bea.last_session) == (
        "Maths",
        3,
        date(2026, 9, 15),
        date(2026, 9, 29),
    )
    assert (cal.sessions, cal.roles, cal.last_presented) == (0, {}, None)
    assert (zed.name, zed.listed, zed.sessions) == ("Zed", False, 1)
    # Cal never presented, Ann longest ago, Bea most recently.
    assert [cal.rotation["presenter"], ann.rotation["presenter"], bea.rotation["presenter"]] == [
        1,
        2,
        3,
    ]
    assert zed.rotation == {}
    assert [h.name for h in member_histories(MEMBERS, HISTORY)] == ["Ann", "Bea", "Cal"]


def key(history: list[PastSession]) -> list:
    """A history in a comparable form; a role nobody held says nothing about rotation."""
    return sorted((p.when, sorted((r, tuple(n)) for r, n in p.roles.items() if n)) for p in history)


def test_next_in_rotation_is_who_setup_proposes(tmp_path: Path) -> None:
    library = load_library(default_sources())
    record = write_demo(tmp_path / "record", library, sessions=30)
    community = record.load_community()
    history = record.history()
    # The index gives the same history as reading every file.
    indexed = load_history(record, tmp_path / "i.sqlite3")
    assert key(indexed) == key(history)
    histories = member_histories(community.members, indexed, ["presenter", "facilitator"])
    consultancy = next(e for e in library if e.id == "consultancy")
    proposal = propose_fair(consultancy.protocol, community.member_names, history)
    first = next(h.name for h in histories if h.rotation["presenter"] == 1)
    assert proposal.roles["presenter"] == [first]
    assert [h.name for h in sorted(histories, key=lambda h: h.rotation["presenter"])] == (
        fair_order("presenter", community.member_names, history)
    )
    assert sum(h.sessions for h in histories) == sum(
        len({n for names in p.roles.values() for n in names}) for p in history
    )


NAMES = st.sampled_from(["Ann", "Bea", "Cal", "Zed", "Yan"])
PAST = st.builds(
    PastSession,
    st.dates(date(2020, 1, 1), date(2026, 12, 31)),
    st.dictionaries(
        st.sampled_from(["presenter", "facilitator", "consultants"]),
        st.lists(NAMES, max_size=3, unique=True),
        max_size=3,
    ),
)


@given(st.lists(st.lists(PAST, max_size=6), max_size=4))
def test_histories_counted_apart_add_up_to_the_whole(parts: list[list[PastSession]]) -> None:
    """As publish counts them (a year at a time, everyone as an other), then adds them up."""
    whole = member_histories(MEMBERS, [p for part in parts for p in part], (), others=True)
    apart = [member_histories([], part, (), others=True) for part in parts]
    assert add_histories(MEMBERS, apart) == whole
