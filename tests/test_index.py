"""The search index: filters, full-text search, incremental refresh and self-repair."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocolrunner.core.record import index as index_module
from protocolrunner.core.record.folder import Record, session_toml
from protocolrunner.core.record.index import (
    MARK_END,
    MARK_START,
    IndexBusy,
    RefreshStats,
    SessionFilter,
    SessionIndex,
    SessionRow,
    default_index_path,
    fts_query,
)
from protocolrunner.core.record.models import (
    Community,
    RecordedAction,
    RecordedProtocol,
    RecordedStep,
    RoleHolders,
    SessionRecord,
    SetupAnswer,
    StepNotes,
)

CET = timezone(timedelta(hours=1))
TITLES = {
    "consultancy": "Consultancy",
    "tuning": "Tuning",
    "atlas-looking-at-data": "ATLAS: Looking at Data",
}


def build(
    session_id: str,
    day: date,
    protocol: str,
    roles: dict[str, list[str]],
    *,
    notes: str = "",
    setup: str = "",
    actions: tuple[tuple[str, str], ...] = (),
    reflection: str = "",
    hour: int = 16,
) -> SessionRecord:
    """A session record as the app would save it, built directly from the models."""
    started = datetime(day.year, day.month, day.day, hour, 0, tzinfo=CET)
    attendees = [name for names in roles.values() for name in names]
    return SessionRecord(
        id=session_id,
        community="Maths CoP",
        status="completed",
        started=started,
        ended=started + timedelta(minutes=50),
        attendees=attendees,
        reflection=reflection,
        protocol=RecordedProtocol(id=protocol, title=TITLES[protocol], version="1.0"),
        setup=[
            SetupAnswer(id="focus", label="Focusing question", answer=setup),
            SetupAnswer(id="other", label="Other", answer=""),
        ],
        roles=[
            RoleHolders(id=role_id, name=role_id.title(), people=names)
            for role_id, names in roles.items()
        ],
        steps=[
            RecordedStep(
                id="one",
                title="One",
                planned_seconds=600,
                actual_seconds=540,
                notes=[StepNotes(id="n", label="Notes", text=notes)],
            ),
            RecordedStep(
                id="two", title="Two", planned_seconds=300, actual_seconds=0, skipped=True
            ),
        ],
        actions=[RecordedAction(text=text, owner=owner) for text, owner in actions],
    )


def corpus() -> list[SessionRecord]:
    return [
        build(
            "a1000001",
            date(2026, 9, 1),
            "consultancy",
            {"presenter": ["Ann"], "facilitator": ["Bea"], "consultants": ["Cal", "Gus"]},
            notes="We tried the pomodoro technique in class.",
            setup="How can I use scaffolding for fractions?",
            actions=(("Draft a rubric", "Bea"),),
            reflection="A moment of serendipity.",
        ),
        build(
            "a2000002",
            date(2026, 9, 15),
            "tuning",
            {"presenter": ["Bea"], "facilitator": ["Cal"], "participants": ["Ann", "Gus"]},
            notes="Feedback on persuasive essays.",
            setup="Is the essay prompt clear?",
        ),
        build(
            "b3000003",
            date(2026, 10, 1),
            "atlas-looking-at-data",
            {"facilitator": ["Ann"], "presenter": ["Cal"], "participants": ["Bea", "Gus"]},
            setup="Grade 7 test scores",
            actions=(("Plan a reteach lesson", "Cal"),),
        ),
        build(
            "b4000004",
            date(2026, 10, 3),
            "consultancy",
            {"presenter": ["Élodie"], "facilitator": ["Ann"], "consultants": ["Bea", "Cal"]},
            notes="Élodie described the seating plan.",
        ),
        build(
            "c5000005",
            date(2026, 10, 20),
            "consultancy",
            {"presenter": ["Ann"], "facilitator": ["Dev"], "consultants": ["Bea", "Cal"]},
            notes="Homework policy.\nSecond line about [bold]markup[/].",
            reflection="Next time: more wait time.",
        ),
    ]


@pytest.fixture
def record(tmp_path: Path) -> Record:
    rec = Record.init(tmp_path / "record", Community(name="Maths CoP"))
    for session in corpus():
        rec.save_session(session)
    return rec


@pytest.fixture
def index(record: Record, tmp_path: Path):
    idx = SessionIndex(record, tmp_path / "cache" / "index.sqlite3")
    stats = idx.refresh()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (5, 0, 0, 0)
    assert stats.problems == []
    yield idx
    idx.close()


def ids(rows: list[SessionRow]) -> list[str]:
    return [row.id for row in rows]


def path_of(record: Record, session_id: str) -> Path:
    return next(p for p in record.session_files() if p.stem.endswith(session_id))


# -- filters -----------------------------------------------------------------------------------


def test_all_sessions_newest_first(index: SessionIndex) -> None:
    assert ids(index.query()) == ["c5000005", "b4000004", "b3000003", "a2000002", "a1000001"]
    assert index.count() == 5


def test_row_fields(index: SessionIndex, record: Record) -> None:
    (row,) = index.query(SessionFilter(ref="a1000001"))
    started = datetime(2026, 9, 1, 16, 0, tzinfo=CET)
    assert row == SessionRow(
        path_text=str(path_of(record, "a1000001")),
        id="a1000001",
        started_text=started.isoformat(),
        protocol_id="consultancy",
        protocol_title="Consultancy",
        presenters="Ann",
        focus="How can I use scaffolding for fractions?",
        planned=900,
        actual=540,
        status="completed",
        attendees=4,
        snippet="",
    )
    assert row.path == path_of(record, "a1000001")
    assert row.started == started and row.started.utcoffset() == timedelta(hours=1)
    assert row.day == "2026-09-01"


def test_query_by_protocol(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter(protocol="consultancy"))) == [
        "c5000005",
        "b4000004",
        "a1000001",
    ]
    assert ids(index.query(SessionFilter(protocol="tuning"))) == ["a2000002"]
    assert index.query(SessionFilter(protocol="nope")) == []
    assert index.count(SessionFilter(protocol="consultancy")) == 3


@pytest.mark.parametrize("name", ["Dev", "dev", "DEV", "dEv"])
def test_query_by_member_is_case_insensitive(index: SessionIndex, name: str) -> None:
    assert ids(index.query(SessionFilter(member=name))) == ["c5000005"]


def test_query_by_member(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter(member="ann"))) == [
        "c5000005",
        "b4000004",
        "b3000003",
        "a2000002",
        "a1000001",
    ]
    assert index.query(SessionFilter(member="An")) == []  # whole names, not prefixes
    assert ids(index.query(SessionFilter(member="Élodie"))) == ["b4000004"]


def test_query_by_member_is_case_insensitive_beyond_ascii(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter(member="élodie"))) == ["b4000004"]


def test_query_by_role(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter(role="presenter", member="ann"))) == [
        "c5000005",
        "a1000001",
    ]
    assert ids(index.query(SessionFilter(role="facilitator", member="Ann"))) == [
        "b4000004",
        "b3000003",
    ]
    assert ids(index.query(SessionFilter(role="participants"))) == ["b3000003", "a2000002"]
    assert index.query(SessionFilter(role="presenter", member="Gus")) == []
    assert index.count(SessionFilter(role="presenter", member="ANN")) == 2


def test_query_by_dates(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter(since=date(2026, 10, 1)))) == [
        "c5000005",
        "b4000004",
        "b3000003",
    ]
    assert ids(index.query(SessionFilter(until=date(2026, 9, 15)))) == ["a2000002", "a1000001"]
    assert ids(index.query(SessionFilter(since=date(2026, 10, 1), until=date(2026, 10, 1)))) == [
        "b3000003"
    ]
    assert ids(index.query(SessionFilter(since=date(2026, 9, 2), until=date(2026, 10, 2)))) == [
        "b3000003",
        "a2000002",
    ]
    assert index.query(SessionFilter(since=date(2027, 1, 1))) == []
    assert index.count(SessionFilter(since=date(2026, 10, 2), protocol="consultancy")) == 2


def test_limit_and_offset(index: SessionIndex) -> None:
    assert ids(index.query(limit=2)) == ["c5000005", "b4000004"]
    assert ids(index.query(limit=2, offset=2)) == ["b3000003", "a2000002"]
    assert ids(index.query(limit=2, offset=4)) == ["a1000001"]


NARROWING = {
    "text": "pomodoro",
    "protocol": "tuning",
    "member": "Dev",
    "role": "participants",
    "since": date(2026, 10, 1),
    "until": date(2026, 9, 15),
    "ref": "b",
}
"""A value of each filter field that selects some of the five sessions, not all nor none."""


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(SessionFilter)])
def test_every_filter_field_narrows_query_and_count_alike(index: SessionIndex, name: str) -> None:
    wanted = SessionFilter(**{name: NARROWING[name]})
    found = ids(index.query(wanted))
    assert 0 < len(found) < index.count()
    assert index.count(wanted) == len(found)
    assert not wanted.is_empty


FILTERS = st.builds(
    SessionFilter,
    text=st.sampled_from(["", "  ", "pomodoro", "essay", "Bea", "wait time", "the", "e", "Élodie"]),
    protocol=st.sampled_from([None, "", *TITLES, "nope"]),
    member=st.sampled_from([None, "", "Ann", "bea", "Dev", "élodie", "Zed"]),
    role=st.sampled_from([None, "", "presenter", "facilitator", "participants", "consultants"]),
    since=st.none() | st.dates(date(2026, 8, 30), date(2026, 10, 25)),
    until=st.none() | st.dates(date(2026, 8, 30), date(2026, 10, 25)),
    ref=st.sampled_from(["", "a", "b4", "2026-10", "c5000005", "x"]),
)
# Member and role are one condition: someone of that name held that role.
PARTS = [("text",), ("protocol",), ("member", "role"), ("since",), ("until",), ("ref",)]


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(FILTERS, st.integers(0, 6), st.integers(1, 6))
def test_a_filter_selects_alike_in_query_count_and_pages(
    index: SessionIndex, wanted: SessionFilter, offset: int, limit: int
) -> None:
    rows = index.query(wanted, limit=10_000)
    found = ids(rows)
    assert index.count(wanted) == len(found)
    assert ids(index.query(wanted, limit=limit, offset=offset)) == found[offset : offset + limit]
    assert [row._replace(snippet="") for row in rows] == index.query(wanted, snippets=False)
    # Newest first, as every session is listed; and each part of the filter narrows alone.
    every = ids(index.query())
    assert found == [i for i in every if i in found]
    assert sorted(sum(PARTS, ())) == sorted(f.name for f in dataclasses.fields(SessionFilter))
    alone = [
        set(ids(index.query(SessionFilter(**{name: getattr(wanted, name) for name in part}))))
        for part in PARTS
    ]
    assert set(found) == set(every).intersection(*alone)
    if wanted.is_empty:
        assert found == every


# -- full text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pomodoro", ["a1000001"]),  # step notes
        ("scaffolding", ["a1000001"]),  # setup answers
        ("rubric", ["a1000001"]),  # action text
        ("reteach", ["b3000003"]),  # action text
        ("serendipity", ["a1000001"]),  # reflection
        ("Dev", ["c5000005"]),  # people present
        ("markup", ["c5000005"]),  # second line of a note
        ("POMODORO", ["a1000001"]),
        ("elodie", ["b4000004"]),  # diacritics removed
        ("wait time", ["c5000005"]),
        ("time wait", ["c5000005"]),  # every word, any order
        ("essay", ["a2000002"]),
        ("pomodoro essays", []),  # every word must match
    ],
)
def test_full_text(index: SessionIndex, text: str, expected: list[str]) -> None:
    assert ids(index.query(SessionFilter(text))) == expected
    assert index.count(SessionFilter(text)) == len(expected)


def test_prefix_match_of_the_last_word_only(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter("pomo"))) == ["a1000001"]
    assert ids(index.query(SessionFilter("the pomod"))) == ["a1000001"]
    assert index.query(SessionFilter("pomo technique")) == []  # only the last word is a prefix
    assert ids(index.query(SessionFilter("pomodoro tech"))) == ["a1000001"]
    assert ids(index.query(SessionFilter("persua"))) == ["a2000002"]


def test_full_text_combines_with_filters(index: SessionIndex) -> None:
    assert ids(index.query(SessionFilter("Bea", protocol="consultancy"))) == [
        "c5000005",
        "b4000004",
        "a1000001",
    ]
    assert ids(index.query(SessionFilter("homework", member="ann", since=date(2026, 10, 1)))) == [
        "c5000005"
    ]
    assert index.query(SessionFilter("homework", until=date(2026, 10, 1))) == []


def test_snippet_marks_the_match(index: SessionIndex) -> None:
    (row,) = index.query(SessionFilter("pomodoro"))
    assert f"{MARK_START}pomodoro{MARK_END}" in row.snippet
    (row,) = index.query(SessionFilter("pomo"))
    assert f"{MARK_START}pomodoro{MARK_END}" in row.snippet
    (row,) = index.query(SessionFilter("serendipity"))
    assert f"{MARK_START}serendipity{MARK_END}" in row.snippet
    (row,) = index.query(SessionFilter("elodie"))
    assert f"{MARK_START}Élodie{MARK_END}" in row.snippet
    assert row.snippet.count(MARK_START) == row.snippet.count(MARK_END) >= 1


def test_no_snippet_without_text(index: SessionIndex) -> None:
    assert all(row.snippet == "" for row in index.query(SessionFilter(protocol="consultancy")))
    assert all(row.snippet == "" for row in index.query(SessionFilter("   ")))
    assert len(index.query(SessionFilter("   "))) == 5


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "*",
        "* *",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(pomodoro, 2)",
        ":",
        "notes:pomodoro",
        "{notes}: pomodoro",
        "pomodoro AND",
        "AND pomodoro",
        "pomodoro OR essays",
        "NOT pomodoro",
        "-pomodoro",
        "(",
        ")",
        "^",
        "+",
        "'",
        'pomodoro "',
        "\\",
        "%",
        "_",
        "\t\n",
        "\x01\x02\x03",
    ],
)
def test_fts_syntax_in_queries_never_raises(index: SessionIndex, text: str) -> None:
    rows = index.query(SessionFilter(text))
    assert index.count(SessionFilter(text)) == len(rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"pomodoro', ["a1000001"]),
        ('pomodoro"', ["a1000001"]),
        ("*pomodoro*", ["a1000001"]),
        ("pomodoro:", ["a1000001"]),
        ("(pomodoro)", ["a1000001"]),
        ("pomodoro -", ["a1000001"]),
        ("NOT pomodoro", []),  # NOT is a word to find, not an operator
        ("pomodoro OR essays", []),
    ],
)
def test_fts_syntax_is_literal(index: SessionIndex, text: str, expected: list[str]) -> None:
    assert ids(index.query(SessionFilter(text))) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("a", '"a"*'),
        ("a b", '"a" "b"*'),
        ('say "hi"', '"say" """hi"""*'),
        ("NEAR(x", '"NEAR(x"*'),
    ],
)
def test_fts_query(text: str, expected: str) -> None:
    assert fts_query(text) == expected


@pytest.mark.parametrize("text", ["\x00", "pomodoro\x00", "pomo \x00"])
def test_nul_in_query_never_raises(index: SessionIndex, text: str) -> None:
    rows = index.query(SessionFilter(text))
    assert index.count(SessionFilter(text)) == len(rows)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40))
def test_any_typed_text_is_a_valid_query(index: SessionIndex, text: str) -> None:
    rows = index.query(SessionFilter(text))
    assert index.count(SessionFilter(text)) == len(rows)
    for row in rows:
        assert row.snippet.count(MARK_START) == row.snippet.count(MARK_END)


# -- incremental refresh ---------------------------------------------------------------------


def test_refresh_with_nothing_changed(index: SessionIndex) -> None:
    for _ in range(2):
        stats = index.refresh()
        assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 0, 0, 5)
        assert stats.problems == []


def test_refresh_after_a_file_changes(index: SessionIndex, record: Record) -> None:
    path = path_of(record, "a1000001")
    old = record.load_session(path)
    steps = [s.model_copy() for s in old.steps]
    steps[0] = steps[0].model_copy(
        update={"notes": [StepNotes(id="n", label="Notes", text="We tried think-pair-share.")]}
    )
    path.write_text(session_toml(old.model_copy(update={"steps": steps})), encoding="utf-8")
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 5_000_000_000))

    stats = index.refresh()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 1, 0, 4)
    assert index.query(SessionFilter("pomodoro")) == []
    assert ids(index.query(SessionFilter("think pair share"))) == ["a1000001"]
    assert index.count() == 5
    # The other fields of the session are still searchable.
    assert ids(index.query(SessionFilter("serendipity"))) == ["a1000001"]


def test_refresh_notices_a_same_size_edit_by_its_mtime(index: SessionIndex, record: Record) -> None:
    path = path_of(record, "a2000002")
    text = path.read_text(encoding="utf-8")
    assert "persuasive" in text
    path.write_text(text.replace("persuasive", "expository"), encoding="utf-8")
    st_ = path.stat()
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))
    stats = index.refresh()
    assert (stats.updated, stats.unchanged) == (1, 4)
    assert ids(index.query(SessionFilter("expository"))) == ["a2000002"]
    assert index.query(SessionFilter("persuasive")) == []


def test_refresh_after_a_file_is_deleted(index: SessionIndex, record: Record) -> None:
    path_of(record, "a2000002").unlink()
    stats = index.refresh()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 0, 1, 4)
    assert index.query(SessionFilter(protocol="tuning")) == []
    assert index.query(SessionFilter("essays")) == []
    assert ids(index.query(SessionFilter(member="Gus", role="participants"))) == ["b3000003"]
    assert ids(index.query(SessionFilter(member="Gus"))) == ["b3000003", "a1000001"]


def test_refresh_after_a_file_is_added(index: SessionIndex, record: Record) -> None:
    record.save_session(
        build("d6000006", date(2026, 11, 5), "tuning", {"presenter": ["Gus"]}, notes="Origami")
    )
    stats = index.refresh()
    assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (1, 0, 0, 5)
    assert ids(index.query(SessionFilter("origami"))) == ["d6000006"]
    assert ids(index.query(limit=1)) == ["d6000006"]


def test_a_broken_file_is_reported_on_every_refresh(index: SessionIndex, record: Record) -> None:
    broken = record.sessions_dir / "2026" / "2026-11-01-consultancy-deadbeef.toml"
    broken.write_text('format = 1\nid = "deadbeef"\nstatus = \n', encoding="utf-8")
    for _ in range(3):
        stats = index.refresh()
        assert len(stats.problems) == 1
        problem = stats.problems[0]
        assert Path(problem.file) == broken
        assert problem.line == 3
        assert "TOML syntax" in problem.message
        assert index.count() == 5
        assert ids(index.query(SessionFilter("pomodoro"))) == ["a1000001"]
    assert index.find("deadbeef") == []

    # Once fixed it is indexed and no longer reported.
    broken.write_text(
        session_toml(build("deadbeef", date(2026, 11, 1), "consultancy", {"presenter": ["Ivy"]})),
        encoding="utf-8",
    )
    st_ = broken.stat()
    os.utime(broken, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))
    stats = index.refresh()
    assert stats.problems == []
    assert stats.added + stats.updated == 1
    assert ids(index.find("deadbeef")) == ["deadbeef"]


def test_a_deleted_broken_file_stops_being_reported(index: SessionIndex, record: Record) -> None:
    broken = record.sessions_dir / "2026" / "broken.toml"
    broken.write_text("", encoding="utf-8")
    assert [p.message for p in index.refresh().problems] == ["is empty"]
    broken.unlink()
    stats = index.refresh()
    assert stats.problems == []
    assert stats.removed == 1
    assert index.refresh().problems == []


def test_refresh_of_an_empty_record(tmp_path: Path) -> None:
    rec = Record.open(tmp_path / "empty")
    with SessionIndex(rec, tmp_path / "i.sqlite3") as idx:
        stats = idx.refresh()
        assert (stats.added, stats.updated, stats.removed, stats.unchanged) == (0, 0, 0, 0)
        assert idx.query(SessionFilter("anything")) == []
        assert idx.count() == 0


def test_index_persists_between_instances(record: Record, tmp_path: Path) -> None:
    db = tmp_path / "persist.sqlite3"
    with SessionIndex(record, db) as first:
        assert first.refresh().added == 5
    with SessionIndex(record, db) as second:
        stats = second.refresh()
        assert (stats.added, stats.unchanged) == (0, 5)
        assert ids(second.query(SessionFilter("pomodoro"))) == ["a1000001"]


def test_default_index_path_is_in_the_cache(record: Record, isolated_user_dirs: Path) -> None:
    path = default_index_path(record.root)
    assert path.is_relative_to(isolated_user_dirs / "cache" / "protocolrunner")
    assert path.suffix == ".sqlite3"
    assert default_index_path(record.root) == path
    assert default_index_path(record.root.parent) != path
    assert not path.is_relative_to(record.root)


# -- a corrupt index -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello, not a database",
        bytes(range(256)) * 40,
        b"SQLite format 3\x00" + b"\xa5" * 8000,
    ],
)
def test_corrupt_index_file_is_rebuilt(record: Record, tmp_path: Path, garbage: bytes) -> None:
    db = tmp_path / "idx.sqlite3"
    with SessionIndex(record, db) as idx:
        idx.refresh()
    db.write_bytes(garbage)
    with SessionIndex(record, db) as idx:
        stats = idx.refresh()
        assert (stats.added, stats.unchanged) == (5, 0)
        assert ids(idx.query(SessionFilter("pomodoro"))) == ["a1000001"]
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_index_with_another_schema_is_rebuilt(record: Record, tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as old:
        old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        old.execute("INSERT INTO meta VALUES ('schema', '1')")
        old.execute("CREATE TABLE sessions (whatever TEXT)")
    old.close()
    with SessionIndex(record, db) as idx:
        assert idx.refresh().added == 5
        assert idx.count(SessionFilter(protocol="consultancy")) == 3


def test_query_before_refresh_on_a_corrupt_file(record: Record, tmp_path: Path) -> None:
    db = tmp_path / "idx.sqlite3"
    db.write_bytes(b"\x00garbage" * 100)
    with SessionIndex(record, db) as idx:
        assert idx.query() == []
        assert idx.refresh().added == 5


def test_refresh_reports_progress_through_the_changed_files(
    record: Record, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 2)
    heard: list[tuple[int, int]] = []
    with SessionIndex(record, tmp_path / "idx.sqlite3") as idx:
        idx.refresh(progress=lambda done, total: heard.append((done, total)))
        assert heard == [(0, 5), (2, 5), (4, 5)]
        heard.clear()
        path_of(record, "b3000003").touch()
        idx.refresh(progress=lambda done, total: heard.append((done, total)))
        assert heard == [(0, 1)]
        heard.clear()
        idx.refresh(progress=lambda done, total: heard.append((done, total)))
        assert heard == []  # nothing changed, nothing read


# -- more than one process -------------------------------------------------------------------


def test_an_index_busy_in_another_process_is_left_alone(
    record: Record, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held elsewhere is not damage: the refresh gives up with a clear error and the
    other process's index (and what it wrote) survives."""
    db = tmp_path / "idx.sqlite3"
    with SessionIndex(record, db) as idx:
        idx.refresh()
    path_of(record, "a1000001").touch()  # something for the refresh to write
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta VALUES ('written-elsewhere', 'yes')")
    monkeypatch.setattr(index_module, "BUSY_TIMEOUT", 0.2)
    try:
        with SessionIndex(record, db) as idx, pytest.raises(IndexBusy, match="busy"):
            idx.refresh()
    finally:
        other.execute("COMMIT")
        other.close()
    with SessionIndex(record, db) as idx:
        assert idx.count() == 5
        assert idx.refresh().updated == 1
    with sqlite3.connect(db) as check:
        row = check.execute("SELECT value FROM meta WHERE key = 'written-elsewhere'").fetchone()
    check.close()
    assert row == ("yes",)


def test_two_processes_building_one_index_share_the_work(record: Record, tmp_path: Path) -> None:
    """Two connections (as two processes would have) refresh a new index at the same moment:
    one builds it, the other waits and finds it done; neither throws away the other's work."""
    db = tmp_path / "idx.sqlite3"
    start = threading.Barrier(2)
    results: list[RefreshStats] = []
    errors: list[BaseException] = []

    def build() -> None:
        index = SessionIndex(record, db)
        try:
            start.wait()
            results.append(index._refresh())  # past this process's own lock, as another's
        except BaseException as exc:
            errors.append(exc)
        finally:
            index.close()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(r.added for r in results) == [0, 5]
    with SessionIndex(record, db) as idx:
        assert idx.count() == 5
        assert idx.refresh().added == 0


def _corrupt_table_page(db: Path, table: str) -> None:
    with sqlite3.connect(db) as con:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        (root,) = con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    con.close()
    raw = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    raw[start : start + page_size] = b"\xa5" * page_size
    db.write_bytes(bytes(raw))


def test_partly_corrupt_index_is_rebuilt(record: Record, tmp_path: Path) -> None:
    db = tmp_path / "idx.sqlite3"
    with SessionIndex(record, db) as idx:
        idx.refresh()
    _corrupt_table_page(db, "sessions")
    with SessionIndex(record, db) as idx:
        idx.refresh()
        assert ids(idx.query(SessionFilter("pomodoro"))) == ["a1000001"]


# -- find --------------------------------------------------------------------------------------


def test_find_by_id_prefix(index: SessionIndex) -> None:
    assert ids(index.find("a")) == ["a2000002", "a1000001"]
    assert ids(index.find("a1")) == ["a1000001"]
    assert ids(index.find("c5000005")) == ["c5000005"]
    assert index.find("c50000051") == []
    assert index.find("f") == []


def test_find_by_file_name_prefix(index: SessionIndex, record: Record) -> None:
    assert ids(index.find("2026-10-0")) == ["b4000004", "b3000003"]
    assert ids(index.find("2026-09-15-tuning")) == ["a2000002"]
    assert ids(index.find(path_of(record, "b3000003").name)) == ["b3000003"]
    assert ids(index.find("2026-")) == ["c5000005", "b4000004", "b3000003", "a2000002", "a1000001"]


@pytest.mark.parametrize(
    "ref",
    ["_", "%", "a%", "a_000001", "2026_09", "2026-10-0_", "%consultancy", "%5", "\\", "a1\\"],
)
def test_find_treats_like_wildcards_literally(index: SessionIndex, ref: str) -> None:
    assert index.find(ref) == []


def test_find_underscore_literally_matches_an_underscore(
    index: SessionIndex, record: Record
) -> None:
    # A hand-named file with an underscore: '_' matches that character and nothing else.
    src = path_of(record, "b3000003")
    src.rename(src.with_name("2026-10-01_atlas.toml"))
    index.refresh()
    assert ids(index.find("2026-10-01_")) == ["b3000003"]
    assert ids(index.find("2026-10-01-")) == []


def test_iter_roles_oldest_first(index: SessionIndex) -> None:
    roles = list(index.iter_roles())
    assert roles[0][1] == date(2026, 9, 1)
    assert roles[-1][1] == date(2026, 10, 20)
    assert ("facilitator", "Dev") in {
        (role, name) for _, day, role, name in roles if day == date(2026, 10, 20)
    }
    assert len(roles) == sum(len(s.attendees) for s in corpus())


def test_a_transaction_sqlite_already_ended_keeps_its_error(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    try:
        with (
            pytest.raises(sqlite3.OperationalError, match="disk is full"),
            index_module._writing(db),
        ):
            db.execute("ROLLBACK")  # as SQLite does by itself after a full disk
            raise sqlite3.OperationalError("database or disk is full")
        assert not db.in_transaction
    finally:
        db.close()


def test_fts_query_takes_each_word_once_and_at_most_64() -> None:
    from protocolrunner.core.record.index import MAX_QUERY_WORDS, fts_query

    assert fts_query("a b a") == '"b" "a"*'
    assert fts_query("students " * 1000) == '"students"*'
    many = " ".join(f"w{i}" for i in range(200))
    assert fts_query(many).count('"') == 2 * MAX_QUERY_WORDS
    assert fts_query(many).endswith('"w199"*')


# -- reading on every core ---------------------------------------------------------------------


def everything(idx: SessionIndex) -> tuple[object, ...]:
    """All an index answers, for comparing two builds of it."""
    return (
        idx.query(SessionFilter("the")),
        idx.query(),
        idx.facets(),
        list(idx.iter_actions(closed=True)),
        list(idx.iter_roles()),
        [list(idx.iter_steps(p)) for p in TITLES],
    )


@pytest.fixture
def larger(tmp_path: Path) -> Record:
    """A demo record, with a broken file and one the index cannot store among its sessions."""
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    record = write_demo(tmp_path / "larger", load_library(default_sources()), sessions=40)
    files = sorted(record.sessions_dir.rglob("*.toml"))
    files[3].write_text(files[3].read_text(encoding="utf-8").replace("format = ", "format == "))
    files[7].write_text(files[7].read_text(encoding="utf-8") + "\nextra = 1\n")
    return record


@pytest.mark.slow
@pytest.mark.parametrize("helper", ["python", "missing", "quitting"])
def test_many_files_are_read_by_helpers_with_the_same_outcome(
    larger: Record, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    """Read by helper processes (or, when they cannot start or stop answering, here), the
    index holds exactly what one process reads, the same problems are told, and progress
    counts every file."""
    from protocolrunner.core.base import readpool

    with SessionIndex(larger, tmp_path / "one.sqlite3") as idx:
        alone = idx.refresh()
        expected = everything(idx)
    monkeypatch.setattr(index_module, "POOL_FROM", 10)
    monkeypatch.setattr(readpool, "CHUNK", 6)
    monkeypatch.setattr(readpool, "cores", lambda: 2)
    if helper == "missing":
        monkeypatch.setattr(readpool.sys, "executable", str(tmp_path / "no-python"))
    elif helper == "quitting":
        monkeypatch.setattr(readpool.sys, "executable", "/bin/true")
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 5)
    # What is handed to helpers is counted where it is sent: the read function itself must
    # stay a module-level one, which helpers import by name.
    asked: list[str] = []
    real_ask = readpool._Helper.ask

    def ask(self: readpool._Helper, paths: list[str]) -> None:
        asked.extend(paths)
        real_ask(self, paths)

    monkeypatch.setattr(readpool._Helper, "ask", ask)
    heard: list[tuple[int, int]] = []
    with SessionIndex(larger, tmp_path / "pool.sqlite3") as idx:
        pooled = idx.refresh(progress=lambda done, total: heard.append((done, total)))
        assert everything(idx) == expected
    assert (pooled.added, pooled.problems) == (alone.added, alone.problems)
    assert len(pooled.problems) == 2 and pooled.added == 38
    assert heard == [(n, 40) for n in range(0, 40, 5)]
    if helper == "python":
        assert sorted(asked) == sorted(str(p) for p in larger.sessions_dir.rglob("*.toml"))


def test_the_filter_menus_are_stored_by_the_refresh_that_changes_them(
    index: SessionIndex, record: Record
) -> None:
    """One row to read on the browser's side; a removed session takes its protocol and people
    out of the menus at the next refresh; a damaged row is worked out again."""
    db = index._connect()
    stored = index.facets()
    assert db.execute("SELECT count(*) FROM meta WHERE key = 'facets'").fetchone() == (1,)
    assert stored == index_module._work_out_facets(db)
    assert "tuning" in dict(stored.protocols)
    path_of(record, "a2000002").unlink()  # the only Tuning session
    index.refresh()
    after = index.facets()
    assert "tuning" not in dict(after.protocols)
    assert after == index_module._work_out_facets(db)
    db.execute("UPDATE meta SET value = '[' WHERE key = 'facets'")
    assert index.facets() == after
