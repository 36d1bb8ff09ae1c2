"""Helpers shared by the tests in this folder."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import signal
import textwrap
from collections.abc import Callable, Coroutine, Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from protocolrunner.cli import main
from protocolrunner.core.record.models import (
    RecordedAction,
    RecordedProtocol,
    RoleHolders,
    SessionRecord,
)
from protocolrunner.core.session.clock import Clock, FakeClock
from protocolrunner.core.session.engine import Session
from protocolrunner.core.session.snapshot import SessionSnapshot, parse

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "protocols"
BUNDLED_IDS = [
    "atlas-looking-at-data",
    "chalk-talk",
    "charrette",
    "consultancy",
    "final-word",
    "microlabs",
    "peeling-the-onion",
    "success-analysis",
    "tuning",
]
"""Listed by hand: a protocol that goes missing from the wheel or the library must fail a
test, which a list read from the folder itself never would."""


class TookTooLong(Exception):
    pass


def snapshot_data(session: Session) -> dict[str, Any]:
    """``session.snapshot()`` as the JSON data the journal writes."""
    return json.loads(session.snapshot().model_dump_json())


def restore(data: dict[str, Any], clock: Clock | None = None) -> Session:
    """A session from snapshot ``data``, read back as the journal reads it (checks included)."""
    return Session.from_snapshot(parse(SessionSnapshot, json.dumps(data)), clock or FakeClock())


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test with ``asyncio.run`` (the suite has no async plugin): the one way
    the suite's tests are async."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line with ``argv``: its exit status, stdout and stderr."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def cli_exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | str | None, str, str]:
    """Run a command line that argparse rejects: the code it exits with, stdout and stderr."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


CET = timezone(timedelta(hours=1))


def recorded_session(
    n: int,
    day: date,
    *,
    protocol: str = "consultancy",
    actions: Iterable[RecordedAction] = (),
    presenter: str = "Ann",
    others: Iterable[str] = ("Ben",),
) -> SessionRecord:
    """A saved session of 50 minutes at 16:00 on ``day``, with id ``n`` in hex."""
    started = datetime(day.year, day.month, day.day, 16, 0, tzinfo=CET)
    return SessionRecord(
        id=f"{n:08x}",
        status="completed",
        started=started,
        ended=started + timedelta(minutes=50),
        attendees=[presenter, *others],
        protocol=RecordedProtocol(id=protocol, title=protocol.title()),
        roles=[RoleHolders(id="presenter", name="Presenter", people=[presenter])],
        actions=list(actions),
    )


def protocol_text(protocol_id: str, title: str = "A protocol", minutes: str = "5") -> str:
    """A small valid protocol file, its id, title and one step's minutes chosen."""
    return textwrap.dedent(
        f"""\
        format = 1
        id = "{protocol_id}"
        title = "{title}"
        summary = "For tests."
        roles = [{{ id = "lead", name = "Lead" }}]
        steps = [{{ id = "talk", title = "Talk", minutes = {minutes} }}]
        """
    )
