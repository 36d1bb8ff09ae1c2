"""The journal's snapshot is a validated model: any session comes back from it whole, and any
journal that is not one is refused with one error, ``JournalUnreadable``, in one line."""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import math
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import BUNDLED_DIR

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import (
    Event,
    EventKind,
    Session,
    SessionError,
    State,
    natural_plan,
)
from protocolrunner.core.session.journal import (
    MAX_JOURNAL_BYTES,
    Journal,
    JournalUnreadable,
    read_entry,
)
from protocolrunner.core.session.roles import propose_fair
from protocolrunner.core.session.snapshot import SessionSnapshot, parse

PEOPLE = ["Ann", "Bea", "Cal", "Dev", "Eli", "Fay", "Gil"]
PROTOCOLS = ["consultancy", "final-word", "microlabs", "peeling-the-onion"]
"""Steps of every kind: plain, in turns led by each person, in numbered rounds, in seats."""


@functools.cache
def protocol(name: str) -> Protocol:
    return load_protocol_file(BUNDLED_DIR / f"{name}.toml").protocol


def new_session(name: str, clock: FakeClock, people: int = 5, fit: float | None = None) -> Session:
    """A session of ``name`` for the first ``people`` of PEOPLE, fitted by ``fit`` if given."""
    attendees = PEOPLE[:people]
    roles = propose_fair(protocol(name), attendees, []).roles
    natural = natural_plan(protocol(name), attendees, roles)
    plan = None if fit is None else [round(seconds * fit) for seconds in natural]
    return Session(protocol(name), attendees=attendees, roles=roles, plan=plan, clock=clock)


TEXT = st.text(max_size=30)
ACTIONS = st.one_of(
    st.tuples(st.just("advance"), st.floats(0, 900, allow_nan=False)),
    st.tuples(st.just("advance"), st.integers(0, 120).map(float)),
    st.tuples(st.sampled_from(["toggle_pause", "next", "previous", "next_turn"]), st.none()),
    st.tuples(st.sampled_from(["previous_turn", "end"]), st.none()),
    st.tuples(st.sampled_from(["goto", "goto_turn"]), st.integers(0, 12)),
    st.tuples(st.just("extend"), st.integers(-900, 900)),
    st.tuples(st.just("shuffle_turns"), st.integers(0, 2**16)),
    st.tuples(st.sampled_from(["note", "reflection"]), TEXT),
    st.tuples(st.just("turn_note"), st.tuples(st.integers(0, 12), TEXT)),
    st.tuples(st.just("action"), st.tuples(TEXT, TEXT)),
    st.tuples(st.just("done"), st.integers(0, 3)),
)


def act(session: Session, clock: FakeClock, action: str, arg: Any) -> None:
    """Do what a facilitator can do; what the session refuses (SessionError) changes nothing."""
    with contextlib.suppress(SessionError):
        if action == "advance":
            clock.advance(arg)
        elif action in ("goto", "goto_turn", "extend"):
            getattr(session, action)(arg)
        elif action == "shuffle_turns":
            session.shuffle_turns(session.index, random.Random(arg))
        elif action == "note":
            for field in session.current.step.capture[:1]:
                session.set_note(session.index, field.id, arg)
        elif action == "turn_note":
            session.set_turn_note(session.index, *arg)
        elif action == "reflection":
            session.set_reflection(arg)
        elif action == "action":
            session.add_action(*arg)
        elif action == "done":
            if arg < len(session.actions):
                session.update_action(arg, done=True)
        else:
            getattr(session, action)()


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """``a == b``, but floats (seconds) only to the microsecond a deadline is kept to."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, abs_tol=1e-5), (where, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, a, b)
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}.{i}")
    else:
        assert a == b, (where, a, b)


@settings(max_examples=120, deadline=None)
@given(
    name=st.sampled_from(PROTOCOLS),
    people=st.integers(4, 7),
    fit=st.none() | st.sampled_from([0.0, 0.37, 0.61, 0.83, 1.0]),
    actions=st.lists(ACTIONS, max_size=40),
    later=st.floats(0, 10**6, allow_nan=False),
)
def test_any_session_comes_back_from_its_snapshot(
    name: str, people: int, fit: float | None, actions: list[tuple[str, Any]], later: float
) -> None:
    clock = FakeClock(monotonic_start=4321.5)
    session = new_session(name, clock, people, fit)
    for action, arg in actions:
        act(session, clock, action, arg)
    text = session.snapshot().model_dump_json(indent=1)
    saved_at = clock.now()
    data = json.loads(text)
    running = session.running
    left = session.display_remaining() if session.started_at else None

    # A running countdown is written as its deadline on the session's own clock.
    if running:
        deadline = datetime.fromisoformat(data["deadline"])
        assert deadline == saved_at + timedelta(seconds=session.display_remaining())
    else:
        assert data["deadline"] is None

    # Restored at the moment it was saved, it is the session paused at that moment: the same
    # snapshot to the microsecond, events (and the pause the restore adds) included.
    back = Session.from_snapshot(parse(SessionSnapshot, text), FakeClock(start=saved_at))
    if running:
        session.pause()
    assert back.state is session.state
    assert_same(back.snapshot().model_dump(), session.snapshot().model_dump())
    assert back.events == session.events

    # Restored later on another clock, it waits; resumed, it counts down to a deadline on that
    # clock from the time that was left.
    other = FakeClock(start=saved_at + timedelta(seconds=later), monotonic_start=7.0)
    again = Session.from_snapshot(parse(SessionSnapshot, text), other)
    assert not again.running
    if left is not None and again.state is State.PAUSED:
        again.resume()
        other.advance(3)
        assert math.isclose(again.display_remaining(), left - 3, abs_tol=1e-5)
        deadline = again.snapshot().deadline
        assert deadline is not None
        expected = other.now() + timedelta(seconds=left - 3)
        assert abs((deadline - expected).total_seconds()) < 1e-5


def test_every_kind_of_event_the_engine_emits_is_an_event_kind() -> None:
    clock = FakeClock()
    session = new_session("final-word", clock)
    session.start()
    session.pause()
    session.resume()
    session.extend(60)
    session.next()
    session.next_turn()
    session.end()
    kinds = [e.kind for e in session.events]
    assert kinds == ["start", "pause", "resume", "extend", "goto", "turn", "end"]
    assert all(type(kind) is EventKind for kind in kinds)
    assert set(kinds) == set(EventKind)


# -- a journal that is not one -------------------------------------------------------------


def busy_journal(folder: Path) -> Path:
    """A journal file as the app writes it: a Final Word running in its turns, with notes,
    minutes given, an action and a reflection."""
    clock = FakeClock()
    session = new_session("final-word", clock)
    session.start()
    clock.advance(200)
    session.next()
    session.set_turn_note(1, 0, "née ☕ [bold]")
    clock.advance(50)
    session.next_turn()
    session.extend(30)
    session.add_action("Try it", "Ann")
    session.set_reflection("ok")
    clock.advance(12.25)
    journal = Journal(folder, clock)
    journal.save(session, record="/rec", protocol_sha256="ab" * 32, force=True)
    return journal.path_for(session.id)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    path = busy_journal(tmp_path_factory.mktemp("good"))
    return path, path.read_bytes()


def refused(path: Path) -> JournalUnreadable:
    with pytest.raises(JournalUnreadable) as caught:
        read_entry(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, message
    return caught.value


def test_the_journal_file_keeps_the_shape_earlier_versions_read(good: tuple[Path, bytes]) -> None:
    """Key for key what protocolrunner wrote before the snapshot was a model, so a journal
    left mid-meeting resumes after an upgrade, and before one."""
    data = json.loads(good[1])
    assert list(data) == ["format", "record", "protocol_sha256", "session"]
    assert data["format"] == 1 and data["session"]["format"] == 2
    session = data["session"]
    assert list(session) == [
        "format", "id", "community", "protocol", "attendees", "roles", "setup", "index",
        "running", "deadline", "started_at", "ended_at", "outcome", "runs", "actions",
        "reflection", "events", "saved_at",
    ]  # fmt: skip
    plain, turns = session["runs"][0], session["runs"][1]
    assert list(plain) == ["planned", "extension", "elapsed", "visited", "notes"]
    assert list(turns) == [*plain, "turn", "order", "scale", "turns"]
    assert list(turns["turns"][0]) == [
        "name", "planned", "label", "round", "extension", "elapsed", "note",
    ]  # fmt: skip
    assert session["actions"] == [{"text": "Try it", "owner": "Ann", "done": False}]
    assert session["events"][-1] == {
        "kind": "extend",
        "at": "2026-10-01T15:34:10+01:00",
        "step": 1,
        "seconds": 30.0,
        "to_step": None,
    }


def _good_data(good: tuple[Path, bytes]) -> dict[str, Any]:
    return json.loads(good[1])


def _session(data: dict[str, Any]) -> dict[str, Any]:
    return data["session"]


def _drop(node: dict[str, Any] | list[Any], key: Any) -> None:
    del node[key]


MALFORMED = {
    # what: (a change to the good journal's data, in place or returning new data; the key the
    # problem names; words in its message)
    "newer-journal": (lambda d: d.update(format=2), "format", "unknown journal format 2"),
    "older-journal": (lambda d: d.update(format=0), "format", "unknown journal format 0"),
    "newer-snapshot": (
        lambda d: _session(d).update(format=3),
        "session.format",
        "unknown journal format 3",
    ),
    "format-as-text": (
        lambda d: _session(d).update(format="2"),
        "session.format",
        "unknown journal format '2'",
    ),
    "no-session": (lambda d: _drop(d, "session"), "session", "Field required"),
    "unknown-key": (lambda d: _session(d).update(colour="red"), "session.colour", "Extra"),
    "elapsed-text": (
        lambda d: _session(d)["runs"][0].update(elapsed="ten"),
        "session.runs.0.elapsed",
        "number",
    ),
    "elapsed-negative": (
        lambda d: _session(d)["runs"][0].update(elapsed=-1),
        "session.runs.0.elapsed",
        "greater than or equal to 0",
    ),
    "planned-huge": (
        lambda d: _session(d)["runs"][0].update(planned=10**30),
        "session.runs.0.planned",
        "less than or equal",
    ),
    "bad-kind": (
        lambda d: _session(d)["events"][0].update(kind="explode"),
        "session.events.0.kind",
        "'turn'",
    ),
    "naive-time": (
        lambda d: _session(d).update(saved_at="2026-10-01T15:30:00"),
        "session.saved_at",
        "timezone",
    ),
    "bad-outcome": (lambda d: _session(d).update(outcome="exploded"), "session.outcome", ""),
    "index-out-of-range": (lambda d: _session(d).update(index=99), "session", "step 100"),
    "run-missing": (lambda d: _drop(_session(d)["runs"], -1), "session", "steps run"),
    "turn-out-of-range": (
        lambda d: _session(d)["runs"][1].update(turn=99),
        "session.runs.1",
        "turn 100 does not exist",
    ),
    "turn-keys-apart": (
        lambda d: _drop(_session(d)["runs"][1], "order"),
        "session.runs.1",
        "go together",
    ),
    "turns-where-none": (
        lambda d: _session(d)["runs"][0].update(
            {k: _session(d)["runs"][1][k] for k in ("turn", "order", "scale", "turns")}
        ),
        "session",
        "not taken in turns",
    ),
    "no-deadline": (lambda d: _session(d).update(deadline=None), "session", "deadline"),
    "deadline-too-late": (
        lambda d: _session(d).update(deadline="2027-01-01T00:00:00+00:00"),
        "session",
        "after the time left",
    ),
    "id-a-path": (lambda d: _session(d).update(id="../../etc"), "session.id", "pattern"),
    "protocol-broken": (
        lambda d: _session(d)["protocol"].update(steps=[]),
        "session.protocol.steps",
        "",
    ),
    "roles-list": (lambda d: _session(d).update(roles=["x"]), "session.roles", "an object"),
    "not-an-object": (lambda d: [d], "", "an object"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_a_malformed_journal_is_refused_naming_the_key(
    good: tuple[Path, bytes], tmp_path: Path, case: str
) -> None:
    change, key, words = MALFORMED[case]
    data = _good_data(good)
    changed = change(data)
    path = tmp_path / "0000beef.json"
    path.write_text(json.dumps(data if changed is None else changed), encoding="utf-8")
    problem = refused(path)
    assert problem.key == key
    assert words in problem.reason


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\xff\xfe not utf-8",
        b"[" * 100_000,
        b'{"format": 1, "session": {"id": "x"',
        b'{"format": 1e999}',
        b'{"format": ' + b"9" * 5000 + b"}",
    ],
    ids=["empty", "cut", "not-utf8", "deep", "truncated", "huge-float", "huge-int"],
)
def test_a_journal_that_is_not_json_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "0000beef.json"
    path.write_bytes(content)
    refused(path)


def test_a_journal_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "0000beef.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_JOURNAL_BYTES + 1)  # sparse: nothing is written
    assert "too large for a journal file (more than 16 MiB)" in refused(path).reason


def test_a_journal_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    assert "folder" in refused(tmp_path / "folder.json").reason
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    assert "loops" in refused(tmp_path / "loop.json").reason
    os.mkfifo(tmp_path / "fifo.json")
    assert "FIFO" in refused(tmp_path / "fifo.json").reason


# Any JSON value, as a hand edit might leave.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["start", "2026-10-01T15:30:00+01:00", "1234abcd", "Ann"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, the root's children first."""
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    found: list[tuple[Any, ...]] = []
    for key, value in items:
        found.append((*path, key))
        found.extend(_places(value, (*path, key)))
    return found


@st.composite
def mutants(draw: st.DrawFn, good: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(good)
    for _ in range(draw(st.integers(1, 3))):
        places = _places(data)
        place = draw(st.sampled_from(places))
        parent = functools.reduce(lambda node, key: node[key], place[:-1], data)
        how = draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        event(how)
        if how == "replace":
            parent[place[-1]] = draw(JSON)
        elif how == "delete":
            del parent[place[-1]]
        elif how == "add":
            if isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(JSON)
        elif isinstance(parent, list):
            parent.insert(place[-1], copy.deepcopy(parent[place[-1]]))
    return data


def exercise(session: Session) -> None:
    """What the screens ask of a resumed session, none of which may fail."""
    session.state  # noqa: B018
    session.display_seconds()
    session.timing()
    session.projected_end()
    session.voices()
    for turn in session.current.turns:
        session.turn_person(turn)
    session.snapshot().model_dump_json()
    if session.state is State.PAUSED:
        session.resume()
        session.display_seconds()


FUZZ_EXAMPLES = int(os.environ.get("PROTOCOLRUNNER_FUZZ_EXAMPLES", "300"))
"""300 in every run; a longer campaign: PROTOCOLRUNNER_FUZZ_EXAMPLES=50000 pytest -k mutant."""


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_mutant_of_a_journal_is_refused_or_resumes(
    good: tuple[Path, bytes], tmp_path: Path, data: st.DataObject
) -> None:
    mutant = data.draw(mutants(_good_data(good)))
    path = tmp_path / "0000beef.json"
    path.write_text(json.dumps(mutant, ensure_ascii=False), encoding="utf-8")
    try:
        entry = read_entry(path)
    except JournalUnreadable as exc:
        event("refused")
        assert "\n" not in str(exc)
        return
    event("resumed")
    exercise(entry.restore(FakeClock()))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(0, 10**6), junk=st.binary(max_size=8), keep=st.booleans())
def test_any_damaged_journal_file_is_refused_or_resumes(
    good: tuple[Path, bytes], tmp_path: Path, cut: int, junk: bytes, keep: bool
) -> None:
    """A file cut short (a full disk) or with bytes overwritten (a bad sector)."""
    raw = good[1]
    at = cut % (len(raw) + 1)
    damaged = raw[:at] + junk + (raw[at + len(junk) :] if keep else b"")
    path = tmp_path / "0000beef.json"
    path.write_bytes(damaged)
    try:
        entry = read_entry(path)
    except JournalUnreadable as exc:
        assert "\n" not in str(exc)
        return
    exercise(entry.restore(FakeClock()))


def test_the_restore_adds_the_pause_at_the_moment_of_saving(good: tuple[Path, bytes]) -> None:
    entry = read_entry(good[0])
    back = entry.restore(FakeClock())
    assert back.state is State.PAUSED
    assert back.events[-1] == Event(EventKind.PAUSE, entry.saved_at, 1)
    # Turn 2 had run 12.25 s when the journal was written, after 50 s of turn 1.
    assert back.turn_elapsed(1, 0) == 50 and back.turn_elapsed(1, 1) == 12.25
