"""How the record's files are written: permissions, error messages, idempotent saves, locks."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support import run_cli, sync

from protocolrunner.core.base.atomic import write_atomic
from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.record.folder import (
    LOCK_FILE,
    Record,
    RecordError,
    SessionExistsError,
    file_lock,
    session_record,
)
from protocolrunner.core.record.models import (
    Community,
    RecordedAction,
    RecordedProtocol,
    RoleHolders,
    SessionRecord,
)
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import Session
from protocolrunner.core.session.journal import Journal
from protocolrunner.ui.screens.summary import SummaryScreen

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
CET = timezone(timedelta(hours=1))


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_record(n: int, reflection: str = "") -> SessionRecord:
    started = datetime(2026, 10, 1, 16, 0, tzinfo=CET)
    return SessionRecord(
        id=f"{n:08x}",
        status="completed",
        started=started,
        ended=started + timedelta(minutes=50),
        attendees=["Ann", "Bea", "Cal"],
        reflection=reflection,
        protocol=RecordedProtocol(id="consultancy", title="Consultancy"),
        roles=[
            RoleHolders(id="presenter", name="Presenter", people=["Ann"]),
            RoleHolders(id="consultants", name="Consultants", people=["Bea", "Cal"]),
        ],
        actions=[RecordedAction(text="Try it", owner="Ann")],
    )


def journal_session(clock: FakeClock, session_id: str = "1234abcd") -> Session:
    return Session(
        load_protocol_file(BUNDLED / "consultancy.toml").protocol,
        attendees=["Ann", "Bea", "Cal", "Dev"],
        roles={"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Dev"]},
        clock=clock,
        session_id=session_id,
    )


@pytest.fixture
def record(tmp_path: Path) -> Record:
    return Record.init(tmp_path / "record", Community(name="Maths CoP"))


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# -- 1. permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640)])
def test_record_files_and_exports_follow_the_umask(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mask: int, expected: int
) -> None:
    with umask(mask):
        record = Record.init(tmp_path / "record", Community(name="Maths CoP"))
        session = record.save_session(make_record(1))
        export = ["record", "export", "00000001", "-o", str(tmp_path / "out" / "session.md")]
        status, _, err = run_cli(capsys, "--record", str(record.root), *export)
        assert status == 0, err
        record.update_community(lambda c: c.model_copy(update={"cadence": "Tuesdays"}))
    assert mode(record.community_path) == expected
    assert mode(session) == expected
    assert mode(tmp_path / "out" / "session.md") == expected
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o000])
def test_journal_files_stay_private(tmp_path: Path, mask: int) -> None:
    clock = FakeClock()
    journal = Journal(tmp_path / "state" / "journal", clock)
    session = journal_session(clock)
    with umask(mask):
        assert journal.save(session, force=True)
        path = journal.path_for(session.id)
        assert mode(path) == 0o600
        path.chmod(0o644)  # even a file someone opened up is made private again
        session.set_note(1, "clarifying-questions", "more")
        assert journal.save(session, force=True)
    assert mode(path) == 0o600
    assert stat.S_IMODE(journal.folder.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("kept", [0o664, 0o600])
def test_replacing_a_file_keeps_its_mode(record: Record, kept: int) -> None:
    # The group may edit it (0o664), or its owner keeps it private (0o600), on purpose.
    record.community_path.chmod(kept)
    with umask(0o022 if kept == 0o600 else 0o077):
        record.update_community(lambda c: c.model_copy(update={"cadence": "Tuesdays"}))
    assert mode(record.community_path) == kept
    assert record.load_community().cadence == "Tuesdays"


# -- 2. error messages --------------------------------------------------------------------------


def test_an_exclusive_write_onto_an_existing_file_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "a.toml"
    target.write_text("old")
    with pytest.raises(FileExistsError) as info:
        write_atomic(target, "new", exclusive=True)
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)
    assert str(target) in str(info.value)
    assert target.read_text() == "old"
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("depth", [1, 2])
def test_a_target_under_a_regular_file_names_the_target(tmp_path: Path, depth: int) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    target = blocker.joinpath(*["sub"] * (depth - 1), "out.md")
    with pytest.raises(NotADirectoryError) as info:
        write_atomic(target, "text")
    assert info.value.errno == errno.ENOTDIR
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)


def test_replacing_a_folder_names_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "folder"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(target, "text")
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)
    assert no_temp_files(tmp_path)


def test_a_failed_write_names_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "out.md"
    with pytest.raises(OSError) as info:
        write_atomic(target, "text")
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(target)
    assert not target.exists()
    assert no_temp_files(tmp_path)


def test_export_into_a_regular_file_names_the_target(
    capsys: pytest.CaptureFixture[str], record: Record, tmp_path: Path
) -> None:
    record.save_session(make_record(1))
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    target = blocker / "session.md"
    status, out, err = run_cli(
        capsys, "--record", str(record.root), "record", "export", "00000001", "-o", str(target)
    )
    assert (status, out) == (1, "")
    assert str(target) in err
    assert ".tmp" not in err


# -- 3. saving twice ----------------------------------------------------------------------------


def test_saving_the_same_session_again_is_success(record: Record) -> None:
    path = record.save_session(make_record(1))
    before = path.read_bytes()
    assert record.save_session(make_record(1)) == path
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_different_session_with_the_same_name_is_refused(record: Record) -> None:
    path = record.save_session(make_record(1))
    before = path.read_bytes()
    with pytest.raises(SessionExistsError) as info:
        record.save_session(make_record(1, reflection="another meeting"))
    assert isinstance(info.value, RecordError)
    assert isinstance(info.value, FileExistsError)  # callers catching OSError still do
    message = str(info.value)
    assert f"a different session with the same id is already saved at {path}" in message
    assert ".tmp" not in message
    assert path.read_bytes() == before
    assert no_temp_files(record.root)


def finished_session(clock: FakeClock, session_id: str = "5a7e0001") -> Session:
    session = journal_session(clock, session_id)
    session.start()
    clock.advance(300)
    session.set_note(1, "clarifying-questions", "How many?\nWhich ones?")
    clock.advance(120.4)
    session.add_action("Try exit tickets", "Ann")
    session.set_reflection("Good.")
    session.end()
    return session


def test_a_resumed_session_saves_to_the_same_file(tmp_path: Path, record: Record) -> None:
    # A crash after the save but before the journal was discarded: the journal still holds the
    # session, and resuming and saving it again must find its own file, not a "collision".
    clock = FakeClock()
    journal = Journal(tmp_path / "journal", clock)
    session = finished_session(clock)
    journal.save(session, record=record.root, protocol_sha256="ab" * 32, force=True)
    path = record.save_session(session_record(session, "ab" * 32))

    clock.advance(3600)
    (entry,), _ = journal.pending()
    resumed = entry.restore(clock)
    assert record.save_session(session_record(resumed, entry.protocol_sha256)) == path


@sync
async def test_the_summary_discards_the_journal_only_once_saved(
    make_app, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def resume_and_save(
        session_id: str, same: bool
    ) -> tuple[Path, SummaryScreen, list[str], bool]:
        app = make_app()
        record, journal = app.context.record, app.context.journal
        session = finished_session(clock, session_id)
        journal.save(session, record=record.root, force=True)
        on_disk = session_record(session)
        if not same:
            on_disk = on_disk.model_copy(update={"reflection": "Another meeting."})
        path = record.save_session(on_disk)
        messages: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **_: messages.append(str(message)))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("r")  # resume the journalled session: its summary
            await pilot.pause()
            summary = app.screen
            assert isinstance(summary, SummaryScreen)
            await pilot.press("ctrl+s")
            await pilot.pause()
        return path, summary, messages, journal.path_for(session_id).exists()

    # The file already holds this very session: saving succeeds, the journal goes.
    path, summary, messages, journalled = await resume_and_save("5a7e0001", same=True)
    assert summary.saved_path == path and not summary.unsaved
    assert messages == [f"Saved to {path}"]
    assert not journalled

    # Another session under that name: an error naming the file, and the journal stays.
    path, summary, messages, journalled = await resume_and_save("5a7e0002", same=False)
    assert summary.saved_path is None and summary.unsaved
    assert len(messages) == 1
    assert messages[0].startswith("Could not save: a different session with the same id is")
    assert str(path) in messages[0]
    assert journalled


# -- 4. locks that heal -------------------------------------------------------------------------

HOST = socket.gethostname()


def test_a_lock_left_by_a_dead_process_here_is_taken_at_once(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # gone, and reaped: os.kill(pid, 0) finds nothing
    lock = tmp_path / LOCK_FILE
    lock.write_text(f"{HOST} {child.pid}\n")
    started = time.monotonic()
    with file_lock(lock, timeout=0.05):  # far shorter than any wait
        assert lock.read_text() == f"{HOST} {os.getpid()}\n"
    assert time.monotonic() - started < 1
    assert not lock.exists()


def test_an_edit_after_a_kill_minus_9_does_not_wait(record: Record) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from protocolrunner.core.record.folder import file_lock\n"
        "with file_lock(Path(sys.argv[1])):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(60)\n"
    )
    lock = record.root / LOCK_FILE
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        assert lock.read_text() == f"{HOST} {child.pid}\n"
        with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.1):
            pass  # alive: its lock holds
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert lock.exists()  # what kill -9 leaves behind
    started = time.monotonic()
    record.update_community(lambda c: c.model_copy(update={"cadence": "Tuesdays"}))
    assert time.monotonic() - started < 1
    assert record.load_community().cadence == "Tuesdays"
    assert not lock.exists()


def test_a_lock_held_by_a_live_process_here_is_waited_for(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text(f"{HOST} {os.getpid()}\n")
    started = time.monotonic()
    with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.3):
        pass
    assert time.monotonic() - started >= 0.3
    assert lock.read_text() == f"{HOST} {os.getpid()}\n"  # not ours to remove


def test_a_live_process_of_another_user_counts_as_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_yours(pid: int, sig: int) -> None:
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "kill", not_yours)
    lock = tmp_path / LOCK_FILE
    lock.write_text(f"{HOST} 1\n")
    with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.05):
        pass
    assert lock.read_text() == f"{HOST} 1\n"


def test_a_lock_from_another_host_is_respected_until_it_is_stale(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # no such process here: that says nothing about the other computer
    lock = tmp_path / LOCK_FILE
    held = f"not-{HOST} {child.pid}\n"
    lock.write_text(held)
    with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.05):
        pass
    assert lock.read_text() == held
    old = time.time() - 121  # past the 120 s rule
    os.utime(lock, (old, old))
    with file_lock(lock, timeout=0.05):
        assert lock.read_text() == f"{HOST} {os.getpid()}\n"
    assert not lock.exists()


@pytest.mark.parametrize("content", [b"", b"\xff\xfe garbled", b"host 12 extra", b"host -3"])
def test_an_empty_or_garbled_lock_is_stale_after_two_seconds(
    tmp_path: Path, content: bytes
) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_bytes(content)  # just created: its writer may still be writing
    with pytest.raises(RecordError, match="locked by another"), file_lock(lock, timeout=0.05):
        pass
    assert lock.read_bytes() == content
    old = time.time() - 3
    os.utime(lock, (old, old))
    with file_lock(lock, timeout=0.05):
        assert lock.read_text() == f"{HOST} {os.getpid()}\n"


@pytest.mark.parametrize("short", [False, True], ids=["error", "short write"])
def test_a_lock_that_cannot_be_written_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: bool
) -> None:
    def full(fd: int, data: bytes) -> int:
        if short:
            return 0
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    lock = tmp_path / LOCK_FILE
    refused = pytest.raises(RecordError, match="could not write the lock file")
    with refused as info, file_lock(lock, timeout=0.05):
        pytest.fail("the lock must not be held")
    assert str(lock) in str(info.value)
    assert os.strerror(errno.ENOSPC) in str(info.value)
    assert not lock.exists()


def test_a_taken_over_lock_is_not_removed_by_its_old_holder(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    with file_lock(lock):
        lock.unlink()  # held too long: another computer judged it stale and took it
        lock.write_text(f"not-{HOST} 4242\n")
    assert lock.read_text() == f"not-{HOST} 4242\n"


def test_racing_takers_of_a_dead_lock_still_exclude_each_other(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    lock = tmp_path / LOCK_FILE
    inside: list[int] = []
    most = 0
    guard = threading.Lock()

    def edit() -> None:
        nonlocal most
        with file_lock(lock, timeout=5):
            with guard:
                inside.append(1)
                most = max(most, len(inside))
            time.sleep(0.005)
            with guard:
                inside.pop()

    for _ in range(10):
        lock.write_text(f"{HOST} {child.pid}\n")
        threads = [threading.Thread(target=edit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert most == 1
    assert not lock.exists()


@sync
async def test_a_crash_between_saving_and_discarding_the_journal_loses_nothing(
    make_app, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits made on the summary a moment before ctrl+s (not yet journalled) and then a crash
    right after the save: the resumed session is the saved one, and saving it again succeeds."""

    async def edit_save_and_crash(session_id: str) -> Path:
        app = make_app()
        journal = app.context.journal
        session = finished_session(clock, session_id)
        journal.save(session, record=app.context.record.root, force=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            summary = app.screen
            assert isinstance(summary, SummaryScreen)
            summary.session.set_reflection("Written just before saving.")
            monkeypatch.setattr(journal, "discard", lambda _id: None)  # the crash
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert summary.saved_path is not None
            return summary.saved_path

    async def resume_and_save(session_id: str) -> tuple[Path | None, bool]:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            summary = app.screen
            assert isinstance(summary, SummaryScreen)
            assert summary.session.reflection == "Written just before saving."
            await pilot.press("ctrl+s")
            await pilot.pause()
            return summary.saved_path, app.context.journal.path_for(session_id).exists()

    path = await edit_save_and_crash("5a7e0003")
    monkeypatch.undo()
    again, journalled = await resume_and_save("5a7e0003")
    assert again == path and not journalled
