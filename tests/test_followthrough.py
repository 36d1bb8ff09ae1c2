"""Follow-through: open action items from earlier sessions, reviewed and written back."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import pydantic
import pytest
from support import CET, recorded_session

from protocolrunner.core.record.folder import Record, session_toml
from protocolrunner.core.record.followthrough import (
    FollowThroughError,
    OpenItem,
    carried_note,
    load_open_items,
    mark,
    open_items_indexed,
    source_label,
)
from protocolrunner.core.record.index import SessionIndex, name_key
from protocolrunner.core.record.models import (
    SESSION_FORMAT_READ,
    Community,
    RecordedAction,
    SessionRecord,
)

TODAY = date(2026, 10, 1)


def session(
    n: int, day: date, actions: list[RecordedAction], protocol: str = "consultancy"
) -> SessionRecord:
    return recorded_session(
        n, day, protocol=protocol, actions=actions, presenter="Ben", others=("Ann",)
    )


@pytest.fixture
def record(tmp_path: Path) -> Record:
    rec = Record.init(tmp_path / "record", Community(name="CoP"))
    rec.save_session(session(1, date(2026, 8, 29), [RecordedAction(text="Old idea", owner="Ann")]))
    rec.save_session(
        session(
            2,
            date(2026, 9, 12),
            [
                RecordedAction(text="Ben will try cold-calling with wait time", owner="Ben"),
                RecordedAction(text="Share the rubric", owner="Ann", done=True),
                RecordedAction(text="Everyone: bring work"),
            ],
        )
    )
    rec.save_session(
        session(
            3,
            date(2026, 9, 19),
            [RecordedAction(text="Read the article", owner="Cal")],
            protocol="tuning",
        )
    )
    rec.save_session(session(4, date(2025, 1, 10), [RecordedAction(text="Ancient", owner="Ben")]))
    return rec


def items_from_files(
    record: Record,
    *,
    today: date,
    max_age_days: int | None,
    owners: list[str] | None = None,
) -> list[OpenItem]:
    """The oracle: the open items worked out from the session files, not the index."""
    sessions = record.load_sessions().sessions
    since = None if max_age_days is None else today - timedelta(days=max_age_days)
    latest: dict[str, datetime] = {}
    for _, rec in sessions:
        latest[rec.protocol.id] = max(rec.started, latest.get(rec.protocol.id, rec.started))
    keys = None if owners is None else {name_key(name) for name in owners}
    items = [
        OpenItem(
            path=path,
            session_id=rec.id,
            started=rec.started,
            protocol_id=rec.protocol.id,
            protocol_title=rec.protocol.title,
            position=position,
            text=action.text,
            owner=action.owner,
            status=action.status,
            reviewed=action.reviewed,
            latest=latest[rec.protocol.id] == rec.started,
            done=action.done,
        )
        for path, rec in sessions
        for position, action in enumerate(rec.actions)
        if action.is_open
        and (
            since is None
            or rec.started.date() >= since
            or (action.reviewed is not None and action.reviewed >= since)
        )
        and (keys is None or not action.owner.strip() or name_key(action.owner) in keys)
    ]
    items.sort(key=lambda item: (-item.started.timestamp(), item.session_id, item.position))
    return items


def texts(items) -> list[str]:
    return [item.text for item in items]


def test_open_items_newest_first_without_done_or_old(record: Record) -> None:
    items = load_open_items(record, today=TODAY)
    assert texts(items) == [
        "Read the article",
        "Ben will try cold-calling with wait time",
        "Everyone: bring work",
        "Old idea",
    ]
    # The label says which meeting it came from, and whether that was the last of its kind.
    assert source_label(items[1], TODAY) == "from last Consultancy (12 Sep)"
    assert carried_note(items[1], TODAY) == ""
    assert source_label(items[3], TODAY) == "from Consultancy (29 Aug)"
    assert source_label(items[3], date(2027, 1, 5)) == "from Consultancy (29 Aug 2026)"
    every = load_open_items(record, today=TODAY, max_age_days=None)
    assert "Ancient" in texts(every)


def test_owners_filter_keeps_unowned_items(record: Record) -> None:
    items = load_open_items(record, today=TODAY, owners=["ben"])
    assert texts(items) == ["Ben will try cold-calling with wait time", "Everyone: bring work"]


def test_index_gives_the_same_items_as_the_files(record: Record, tmp_path: Path) -> None:
    with SessionIndex(record, tmp_path / "index.sqlite3") as index:
        index.refresh()
        for owners in (None, ["Ann"]):
            for age in (None, 120, 10):
                assert open_items_indexed(
                    index, today=TODAY, max_age_days=age, owners=owners
                ) == items_from_files(record, today=TODAY, max_age_days=age, owners=owners)
        # A review written back drops out of the index after a refresh.
        item = open_items_indexed(index, today=TODAY)[0]
        mark(record, item, "done", TODAY)
        index.refresh()
        assert item.text not in texts(open_items_indexed(index, today=TODAY))


def test_mark_done_writes_an_event_and_leaves_the_session_file_alone(record: Record) -> None:
    """Follow-through written back into the session file made two schools' reviews of one
    item a git conflict: each review is now a file of its own."""
    item = next(i for i in load_open_items(record, today=TODAY) if i.owner == "Ben")
    before = item.path.read_bytes()
    event = mark(record, item, "done", TODAY, by="Ann")
    assert item.path.read_bytes() == before
    [path] = list(record.followthrough_dir.rglob("*.toml"))
    assert path.relative_to(record.root).as_posix() == (
        f"followthrough/2026/2026-10-01-00000002-0-{event.id}.toml"
    )
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in data.items() if k not in ("id", "at")} == {
        "format": 1,
        "session": "00000002",
        "item": 0,
        "state": "done",
        "by": "Ann",
        "text": "Ben will try cold-calling with wait time",
    }
    assert record.load_session(item.path).actions[0].state == "done"
    assert record.load_session(item.path, followthrough=False).actions[0].state == "open"
    assert item.text not in texts(load_open_items(record, today=TODAY))


def test_the_latest_review_wins_whoever_wrote_it_first(record: Record) -> None:
    item = next(i for i in load_open_items(record, today=TODAY) if i.owner == "Ben")
    at = datetime(2026, 10, 1, 17, 0, tzinfo=CET)
    mark(record, item, "carried", at + timedelta(minutes=5))  # written first, decided later
    mark(record, item, "done", at)
    # The second was made by someone who had seen the first: it supersedes it.
    assert record.load_session(item.path).actions[0].state == "done"


def test_a_review_from_a_clock_behind_still_supersedes_what_it_saw(record: Record) -> None:
    item = load_open_items(record, today=TODAY)[0]
    first = mark(record, item, "done", datetime(2026, 10, 1, 18, 0, tzinfo=CET))
    second = mark(record, item, "open", datetime(2026, 10, 1, 17, 0, tzinfo=CET))
    assert second.at > first.at
    assert record.load_session(item.path).actions[item.position].state == "open"


def test_carry_forward_keeps_it_open_and_in_view(record: Record) -> None:
    item = next(i for i in load_open_items(record, today=TODAY) if i.text == "Old idea")
    later = TODAY + timedelta(days=200)
    assert "Old idea" not in texts(load_open_items(record, today=later))
    mark(record, item, "carried", later - timedelta(days=1))
    items = load_open_items(record, today=later)
    carried = next(i for i in items if i.text == "Old idea")
    assert carried.status == "carried"
    assert carried_note(carried, later) == "carried forward 18 Apr"
    assert record.load_session(item.path).actions[0].status == "carried"


def test_drop_and_reopen(record: Record) -> None:
    items = load_open_items(record, today=TODAY)
    item = next(i for i in items if i.text == "Everyone: bring work")
    mark(record, item, "dropped", TODAY)
    assert "Everyone: bring work" not in texts(load_open_items(record, today=TODAY))
    mark(record, item, "open", TODAY)
    action = record.load_session(item.path).actions[2]
    assert (action.done, action.status, action.is_open) == (False, None, True)


def test_mark_refuses_an_item_no_longer_in_its_file(record: Record) -> None:
    item = next(i for i in load_open_items(record, today=TODAY) if i.owner == "Ben")
    # Session files are not written again by protocolrunner; a hand edit can still change one.
    text = item.path.read_text(encoding="utf-8")
    item.path.write_text(text.replace(item.text, "Something else"), encoding="utf-8")
    with pytest.raises(FollowThroughError, match="no longer"):
        mark(record, item, "carried", TODAY)


def test_older_files_without_status_load_and_stay_format_1(tmp_path: Path) -> None:
    rec = session(9, date(2026, 9, 1), [RecordedAction(text="x", owner="A", done=True)])
    text = session_toml(rec)
    assert tomllib.loads(text)["actions"] == [{"text": "x", "owner": "A", "done": True}]
    assert text.startswith("format = 1\n")
    loaded = SessionRecord.model_validate(tomllib.loads(text))
    assert loaded.actions[0].state == "done"


def test_done_and_carried_cannot_both_hold() -> None:
    with pytest.raises(pydantic.ValidationError, match="done cannot also be carried"):
        RecordedAction(text="x", done=True, status="carried")
    with pytest.raises(pydantic.ValidationError):
        RecordedAction(text="x", status="maybe")  # type: ignore[arg-type]


def test_a_newer_reader_format_is_still_refused(tmp_path: Path) -> None:
    rec = session(9, date(2026, 9, 1), [])
    data = tomllib.loads(session_toml(rec))
    data["format"] = SESSION_FORMAT_READ + 1
    with pytest.raises(pydantic.ValidationError, match="newer than this protocolrunner reads"):
        SessionRecord.model_validate(data)


def test_index_and_files_agree_on_every_kind_of_review(record: Record, tmp_path: Path) -> None:
    items = load_open_items(record, today=TODAY, max_age_days=None)
    at = datetime(2026, 10, 1, 17, 0, tzinfo=CET)
    for n, (item, states) in enumerate(
        zip(items, [["done"], ["carried"], ["dropped", "open"], ["done", "carried"]], strict=False)
    ):
        for k, state in enumerate(states):
            mark(record, item, state, at + timedelta(minutes=10 * n + k))
    with SessionIndex(record, tmp_path / "index.sqlite3") as index:
        index.refresh()
        for age in (None, 120, 10):
            assert open_items_indexed(index, today=TODAY, max_age_days=age) == items_from_files(
                record, today=TODAY, max_age_days=age
            )
        # An event file removed (say by a revert in git) gives the item its earlier state.
        for path in record.followthrough_dir.rglob("*.toml"):
            path.unlink()
        index.refresh()
        assert open_items_indexed(index, today=TODAY, max_age_days=None) == items


def test_items_are_named_by_a_unique_prefix_of_their_reference(record: Record) -> None:
    from protocolrunner.core.record.followthrough import find_item, load_items

    items = load_items(record, closed=True)
    refs = ["00000003-0", "00000002-0", "00000002-1", "00000002-2", "00000001-0", "00000004-0"]
    assert [i.ref for i in items] == refs
    assert [i.state for i in items] == ["open", "open", "done", "open", "open", "open"]
    assert find_item(items, "00000002-1").text == "Share the rubric"
    assert find_item(items, "00000001").ref == "00000001-0"
    with pytest.raises(FollowThroughError, match="names 3 action items"):
        find_item(items, "00000002")
    with pytest.raises(FollowThroughError, match="no action item is 'zz'"):
        find_item(items, "zz")
    mark(record, items[0], "done", TODAY)
    assert [i.ref for i in load_items(record)] == [refs[1], refs[3], refs[4], refs[5]]
    assert load_items(record, closed=True)[0].state == "done"


def test_a_broken_review_file_is_named_on_every_read(record: Record) -> None:
    broken = record.followthrough_dir / "2026" / "2026-10-01-00000002-0-0000dead.toml"
    broken.parent.mkdir(parents=True)
    broken.write_text("state = [")
    for _ in range(2):  # the second read comes from the cache
        assert [p.file for p in record.load_sessions().problems] == [str(broken)]
