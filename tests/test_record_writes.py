"""How the record's files are written: permissions, error messages, idempotent saves, locks."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support import run_cli

from protocolrunner.core.atomic import write_atomic
from protocolrunner.core.clock import FakeClock
from protocolrunner.core.engine import Session
from protocolrunner.core.journal import Journal
from protocolrunner.core.library import load_protocol_file
from protocolrunner.core.models import (
    Community,
    RecordedAction,
    RecordedProtocol,
    RoleHolders,
    SessionRecord,
)
from protocolrunner.core.record import Record

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
        record.update_session(session, lambda s: s.model_copy(update={"reflection": "Good."}))
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


def test_replacing_a_file_keeps_its_mode(record: Record) -> None:
    record.community_path.chmod(0o664)  # the group may edit it, on purpose
    with umask(0o077):
        record.update_community(lambda c: c.model_copy(update={"cadence": "Tuesdays"}))
    assert mode(record.community_path) == 0o664
    assert record.load_community().cadence == "Tuesdays"


def test_a_private_file_in_the_record_stays_private(record: Record) -> None:
    path = record.save_session(make_record(1))
    path.chmod(0o600)
    with umask(0o022):
        record.update_session(path, lambda s: s.model_copy(update={"reflection": "Mine."}))
    assert mode(path) == 0o600


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
