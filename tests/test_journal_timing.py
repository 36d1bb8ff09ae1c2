"""The journal keeps the timer to within 2 s of the room: a running countdown is saved as its
deadline, every change of state is written at once, and a running clock at every tick."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import restore, snapshot_data

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import SNAPSHOT_FORMAT, Session, State
from protocolrunner.core.session.journal import Journal, JournalUnreadable, read_entry

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
ROLES = {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev", "Eli"]}


def consultancy(clock: FakeClock) -> Session:
    protocol = load_protocol_file(BUNDLED / "consultancy.toml").protocol
    people = ["Ann", "Bea", "Cal", "Dev", "Eli"]
    return Session(protocol, attendees=people, roles=ROLES, clock=clock)


def final_word(clock: FakeClock) -> Session:
    protocol = load_protocol_file(BUNDLED / "final-word.toml").protocol
    people = ["Fay", "Gil", "Hal", "Ivy"]
    roles = {"facilitator": ["Fay"], "participants": people[1:]}
    return Session(protocol, attendees=people, roles=roles, clock=clock)


def crash_and_restore(journal: Journal, session: Session, clock: FakeClock) -> Session:
    """Read the journal back as a new start of the app would (the old session is gone)."""
    return read_entry(journal.path_for(session.id)).restore(clock)


def test_a_crash_while_running_loses_under_two_seconds(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = Journal(tmp_path / "j", clock)
    session = consultancy(clock)
    session.start()
    journal.save(session, force=True)  # as the run screen does when it opens
    clock.advance(100)
    session.next()
    journal.save(session, force=True)  # a change of step is written at once
    # Six seconds of the clock alone, asked once a second as the run screen does.
    for _ in range(6):
        clock.advance(1.0)
        journal.save(session)
    clock.advance(0.99)  # and the app is killed just before its next tick
    back = crash_and_restore(journal, session, clock)
    assert back.state is State.PAUSED
    assert back.index == 1
    assert abs(back.display_remaining() - session.display_remaining()) < 2
    assert back.elapsed(0) == 100


def test_a_running_snapshot_holds_the_deadline_and_stays_true(tmp_path: Path) -> None:
    clock = FakeClock()
    session = consultancy(clock)
    session.start()
    clock.advance(61.5)
    first = snapshot_data(session)
    assert first["format"] == SNAPSHOT_FORMAT == 2
    left = 10 * 60 - 61.5
    assert datetime.fromisoformat(first["deadline"]) == clock.now() + timedelta(seconds=left)
    clock.advance(30)
    second = snapshot_data(session)
    # While nothing but the clock changes, only the moment of saving moves.
    assert {k: v for k, v in first.items() if k != "saved_at"} == {
        k: v for k, v in second.items() if k != "saved_at"
    }
    session.pause()
    assert snapshot_data(session)["deadline"] is None


@pytest.mark.parametrize("overtime", [False, True], ids=["in-time", "overtime"])
def test_restore_counts_the_running_segment_up_to_saved_at(overtime: bool) -> None:
    clock = FakeClock()
    session = consultancy(clock)
    session.start()
    clock.advance(40)
    session.pause()
    clock.advance(500)  # paused: does not count
    session.resume()
    clock.advance(700 if overtime else 12.25)
    data = snapshot_data(session)
    later = FakeClock(start=clock.now() + timedelta(hours=1), monotonic_start=3.0)
    back = restore(data, later)
    assert back.elapsed(0) == session.elapsed(0) == (740 if overtime else 52.25)
    assert back.display_seconds() == session.display_seconds()


def test_a_turn_comes_back_with_its_own_time() -> None:
    clock = FakeClock()
    session = final_word(clock)
    session.start()
    session.next()
    clock.advance(30)
    session.next_turn()
    session.extend(60)
    clock.advance(12.5)
    back = restore(snapshot_data(session), FakeClock())
    assert back.runs[1].turn == 1
    assert back.turn_elapsed(1, 0) == 30 and back.turn_elapsed(1, 1) == 12.5
    assert back.elapsed(1) == 42.5
    assert back.display_seconds() == session.display_seconds()


def test_a_journal_of_format_1_still_resumes(tmp_path: Path) -> None:
    """Format 1 kept the running segment inside ``elapsed`` and had no deadline."""
    clock = FakeClock()
    session = consultancy(clock)
    session.start()
    clock.advance(100)
    session.next()
    clock.advance(33.5)
    data = snapshot_data(session)
    data["format"] = 1
    del data["deadline"]
    data["runs"][1]["elapsed"] = 33.5
    path = tmp_path / f"{session.id}.json"
    envelope = {"format": 1, "record": "", "protocol_sha256": "", "session": data}
    path.write_text(json.dumps(envelope), encoding="utf-8")
    back = read_entry(path).restore(FakeClock())
    assert back.state is State.PAUSED
    assert [back.elapsed(0), back.elapsed(1)] == [100, 33.5]


def test_a_deadline_past_the_time_left_is_refused() -> None:
    clock = FakeClock()
    session = consultancy(clock)
    session.start()
    clock.advance(10)
    data = snapshot_data(session)
    data["deadline"] = (clock.now() + timedelta(hours=1)).isoformat()
    with pytest.raises(JournalUnreadable, match="deadline"):
        restore(data, clock)
