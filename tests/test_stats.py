"""Time at a glance: per-step actual against planned times, from the files and the index."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.index import SessionIndex, StepRow
from protocolrunner.core.record.models import (
    Community,
    RecordedProtocol,
    RecordedStep,
    SessionRecord,
)
from protocolrunner.core.record.stats import load_step_timings, step_timings

CET = timezone(timedelta(hours=1))


def rows_from_records(records: Iterable[SessionRecord], protocol_id: str) -> list[StepRow]:
    """The rows the index should give, worked out from the session records: the oracle."""
    ordered = sorted(
        (r for r in records if r.protocol.id == protocol_id), key=lambda r: (r.started, r.id)
    )
    return [
        StepRow(
            rec.id,
            i,
            st.id,
            st.title,
            st.planned_seconds,
            st.actual_seconds,
            st.extended_seconds,
            st.skipped,
        )
        for rec in ordered
        for i, st in enumerate(rec.steps)
    ]


def row(session: str, position: int, step: str, planned: int, actual: int, skipped=False):
    return StepRow(session, position, step, step.title(), planned, actual, 0, skipped)


def test_median_range_and_overruns() -> None:
    rows = [
        row("a", 0, "intro", 300, 280),
        row("a", 1, "talk", 600, 700),
        row("b", 0, "intro", 300, 320),
        row("b", 1, "talk", 600, 0, skipped=True),
        row("c", 0, "intro", 300, 300),
        row("c", 1, "talk", 600, 650),
    ]
    intro, talk = step_timings(rows)
    assert (intro.step_id, intro.runs, intro.median, intro.shortest, intro.longest) == (
        "intro",
        3,
        300,
        280,
        320,
    )
    assert intro.over == 1 and round(intro.over_share, 2) == 0.33
    # A skipped run is counted apart and does not pull the median down.
    assert (talk.runs, talk.skipped, talk.median, talk.over, talk.planned) == (2, 1, 675, 2, 600)


def test_steps_follow_the_newest_order_and_title() -> None:
    rows = [row("a", 0, "b", 60, 60), row("a", 1, "a", 60, 60)]
    rows += [StepRow("z", 0, "a", "Renamed", 60, 60, 0, False), row("z", 1, "b", 60, 60)]
    timings = step_timings(rows)
    assert [(t.step_id, t.title) for t in timings] == [("a", "Renamed"), ("b", "B")]
    assert step_timings([]) == []


def session(n: int, protocol: str, actuals: list[int]) -> SessionRecord:
    started = datetime(2026, 9, 1, 16, tzinfo=CET) + timedelta(days=n)
    return SessionRecord(
        id=f"{n:08x}",
        status="completed",
        started=started,
        ended=started + timedelta(hours=1),
        protocol=RecordedProtocol(id=protocol, title=protocol.title()),
        steps=[
            RecordedStep(
                id=f"s{i}",
                title=f"Step {i}",
                planned_seconds=300,
                actual_seconds=a,
                skipped=a == 0,
            )
            for i, a in enumerate(actuals)
        ],
    )


def test_index_and_files_agree(tmp_path: Path) -> None:
    record = Record.init(tmp_path / "record", Community(name="CoP"))
    records = [
        session(1, "tuning", [290, 310, 0]),
        session(2, "tuning", [350, 300, 200]),
        session(3, "consultancy", [100]),
    ]
    for rec in records:
        record.save_session(rec)
    with SessionIndex(record, tmp_path / "i.sqlite3") as index:
        index.refresh()
        assert list(index.iter_steps("tuning")) == rows_from_records(records, "tuning")
    timings, sessions = load_step_timings(record, "tuning", tmp_path / "i.sqlite3")
    assert sessions == 2
    assert timings == step_timings(rows_from_records(records, "tuning"))
    assert [t.median for t in timings] == [320, 305, 200]
