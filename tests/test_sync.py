"""Sharing a record between two schools through a real git hub: merges never conflict.

A bare repository stands for the shared hub; school A and school B each keep a clone. Both save
sessions, add members and review the same action item; after syncing A, then B, then A, both
hold the same files and agree on everything.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from support import CET, recorded_session

from protocolrunner.core.record import sync
from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.followthrough import load_open_items, mark
from protocolrunner.core.record.models import (
    Community,
    Member,
    RecordedAction,
    SessionRecord,
)

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.slow,
]

MARKERS = ("<<<<<<<", ">>>>>>>", "|||||||")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def session(n: int, day: date, protocol: str = "consultancy", actions=()) -> SessionRecord:
    return recorded_session(n, day, protocol=protocol, actions=actions)


def add_member(record: Record, name: str) -> None:
    record.update_community(
        lambda c: c.model_copy(update={"members": [*c.members, Member(name=name)]})
    )


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def schools(tmp_path: Path) -> tuple[Path, Record, Record]:
    """A hub, school A's record (with a first session) pushed to it, and B's clone of it."""
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(hub)], check=True)
    a = Record.init(
        tmp_path / "a",
        Community(name="Maths CoP", members=[Member(name="Ann"), Member(name="Ben")]),
    )
    a.save_session(session(1, date(2026, 11, 3), actions=[RecordedAction(text="Try wait time")]))
    sync.init(a, str(hub))
    first = sync.sync(a)
    assert first.pushed and first.committed.startswith("1 session (Consultancy 3 Nov)")
    b = Record.open(tmp_path / "b")  # what a first start makes: nothing of B's own yet
    assert sync.init(b, str(hub)).startswith("this record is now a copy")
    assert b.load_community().name == "Maths CoP"
    return hub, a, b


def test_two_schools_edit_at_once_and_end_with_the_same_record(schools) -> None:
    _, a, b = schools
    # School A: a session, a member, and the action item marked done at 17:00.
    a.save_session(session(2, date(2026, 12, 1), "tuning"))
    add_member(a, "Zoe Adams")
    [item] = load_open_items(a, today=date(2026, 12, 1))
    mark(a, item, "done", datetime(2026, 12, 1, 17, 0, tzinfo=CET))
    # School B, the same day: another session, another member, the same item carried at 18:00.
    b.save_session(session(3, date(2026, 12, 1), "consultancy"))
    add_member(b, "Yuri Berg")
    [item_b] = load_open_items(b, today=date(2026, 12, 1))
    mark(b, item_b, "carried", datetime(2026, 12, 1, 18, 0, tzinfo=CET))

    sent = sync.sync(a)
    assert sent.committed == ("1 session (Tuning 1 Dec), 1 action item review, 1 member added")
    merged = sync.sync(b)
    assert merged.received == ["1 session (Tuning 1 Dec)", "1 action item review", "1 member added"]
    assert not merged.conflicts
    back = sync.sync(a)
    assert back.received[0] == "1 session (Consultancy 1 Dec)"

    assert files(a.root) == files(b.root)
    for record in (a, b):
        assert git(record.root, "status", "--porcelain") == ""
        for text in files(record.root).values():
            assert not any(m.encode() in text for m in MARKERS)
        loaded = record.load_sessions()
        assert len(loaded.sessions) == 3 and not loaded.problems
        assert set(record.load_community().member_names) == {"Ann", "Ben", "Zoe Adams", "Yuri Berg"}
        first = next(s for _, s in loaded.sessions if s.id == f"{1:08x}")
        assert first.actions[0].state == "carried"  # B's review came later
    assert git(a.root, "rev-parse", "HEAD") == git(b.root, "rev-parse", "HEAD")
    # The protocols folder travels with the record, empty or not.
    assert (b.root / "protocols").is_dir()


@pytest.mark.parametrize("module", ["protocolrunner.core.merge_driver", None])
def test_a_hand_run_git_pull_merges_with_the_configured_driver(schools, module) -> None:
    """A member may run ``git pull`` themselves. A clone configured before the core was grouped
    names the driver's old module, which must still merge, as the current one does."""
    _, a, b = schools
    if module:
        command = sync.driver_command().replace("protocolrunner.core.record.merge_driver", module)
        git(b.root, "config", f"merge.{sync.DRIVER}.driver", command)
    add_member(a, "Zoe Adams")
    sync.sync(a)
    add_member(b, "Yuri Berg")
    git(b.root, "commit", "--quiet", "-am", "Yuri joins")
    git(b.root, "pull", "--quiet", "--no-rebase", "--no-edit", "origin", sync.BRANCH)
    assert not any(m in b.community_path.read_text() for m in MARKERS)
    assert set(b.load_community().member_names) == {"Ann", "Ben", "Zoe Adams", "Yuri Berg"}


def test_the_same_field_edited_on_both_sides_keeps_both_texts_and_says_so(schools) -> None:
    _, a, b = schools
    a.update_community(lambda c: c.model_copy(update={"purpose": "Better questions."}))
    b.update_community(lambda c: c.model_copy(update={"purpose": "Better feedback."}))
    sync.sync(a)
    result = sync.sync(b)
    [conflict] = result.conflicts
    assert conflict["file"] == "community.toml" and conflict["key"] == "purpose"
    assert {conflict["kept"], conflict["other"]} == {"Better questions.", "Better feedback."}
    assert "1 edit(s) made on both sides" in result.summary()
    text = b.community_path.read_text()
    assert not any(m in text for m in MARKERS)
    assert b.load_community().purpose == conflict["kept"]
    sync.sync(a)
    assert files(a.root) == files(b.root)


def test_nothing_to_do_is_said_so(schools) -> None:
    _, a, _ = schools
    result = sync.sync(a)
    assert result.pushed and result.committed == "" and result.received == []
    assert result.summary() == "sent: nothing new; received: nothing new"


def test_no_remote_is_one_line_that_says_what_to_do(tmp_path) -> None:
    record = Record.init(tmp_path / "r", Community(name="Solo"))
    with pytest.raises(sync.SyncError, match="not shared through git yet"):
        sync.sync(record)
    sync.init(record)
    record.save_session(session(5, date(2026, 12, 1)))
    with pytest.raises(sync.SyncError, match="nowhere to send it: add the shared repository"):
        sync.sync(record)
    # The work was kept as a commit all the same.
    assert "1 session" in git(record.root, "log", "--format=%s")


def test_an_unreachable_hub_leaves_the_record_as_it_was(schools, tmp_path) -> None:
    _, a, _ = schools
    a.save_session(session(7, date(2026, 12, 2)))
    git(a.root, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(sync.SyncError, match="no shared repository at the address given"):
        sync.sync(a)
    assert git(a.root, "status", "--porcelain") == ""
    assert len(a.load_sessions().sessions) == 2


def test_a_merge_that_cannot_finish_is_aborted_not_left_half_done(schools) -> None:
    """A protocol file is hand-written text, merged as text: a clash there stops the sync
    with the record as it was, never with conflict markers."""
    _, a, b = schools
    for record, words in ((a, "ours"), (b, "theirs")):
        (record.protocols_dir / "mine.toml").write_text(f"title = '{words}'\n")
    sync.sync(a)
    with pytest.raises(sync.SyncError, match=r"could not merge .*protocols/mine.toml"):
        sync.sync(b)
    assert (b.protocols_dir / "mine.toml").read_text() == "title = 'theirs'\n"
    assert git(b.root, "status", "--porcelain") == ""


def test_a_rejected_push_is_merged_and_sent_again(schools, tmp_path, monkeypatch) -> None:
    """Someone pushes between our fetch and our push: the sync merges theirs and sends."""
    _, a, b = schools
    b.save_session(session(8, date(2026, 12, 3)))
    a.save_session(session(9, date(2026, 12, 3)))
    real = sync._merge
    calls = []

    def merge_then_b_pushes(git_, theirs):
        calls.append(git_.root)
        if calls == [a.root]:
            sync.sync(b)
        return real(git_, theirs)

    monkeypatch.setattr(sync, "_merge", merge_then_b_pushes)
    assert sync.sync(a).pushed
    assert calls == [a.root, b.root, a.root]
    assert len(a.load_sessions().sessions) == 3


def test_a_push_the_hub_refuses_says_why_and_keeps_the_work(schools, tmp_path) -> None:
    """A server hook (a protected branch, a quota) refuses the push: its words are shown, and
    the work stays committed here for the next sync."""
    hub = Path(git(schools[1].root, "remote", "get-url", "origin").strip())
    hook = hub / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected: ask the coordinator' >&2\nexit 1\n")
    hook.chmod(0o755)
    _, a, _ = schools
    a.save_session(session(11, date(2026, 12, 4)))
    with pytest.raises(sync.SyncError) as info:
        sync.sync(a)
    assert str(info.value) == (
        "the shared repository refused the changes (protected: ask the coordinator): ask "
        "whoever looks after it; they are kept here and go with the next sync"
    )
    assert git(a.root, "status", "--porcelain") == ""
    hook.unlink()
    assert sync.sync(a).pushed


def test_joining_again_after_an_offline_first_try_still_takes_the_shared_record(
    schools, tmp_path
) -> None:
    hub = git(schools[1].root, "remote", "get-url", "origin").strip()
    c = Record.open(tmp_path / "c")
    with pytest.raises(sync.SyncError, match="no shared repository at the address given"):
        sync.init(c, str(tmp_path / "not-yet.git"))
    assert sync.init(c, hub).startswith("this record is now a copy")
    assert c.load_community().name == "Maths CoP"
