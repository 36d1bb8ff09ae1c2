"""The record commands of the command line: init, list, search, show, export.

Every expectation is derived from the demo record itself (its session files, read with
``Record``, and the export functions), never written out by hand.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from support import cli_exit as exits
from support import run_cli as run

from protocolrunner.core.export.markdown import (
    digest_markdown,
    session_json,
    session_markdown,
    sessions_json,
)
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record import index as index_module
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.models import SessionRecord

END = datetime(2026, 9, 22, 15, 30, tzinfo=timezone(timedelta(hours=1)))
SESSIONS = 20
"""More sessions than hex digits: two ids must share their first character."""
ROW = re.compile(r"^(?P<id>[0-9a-f]{8})  (?P<day>\d{4}-\d{2}-\d{2})  (?P<rest>.*)$")
MARKED = re.compile(r"«([^«»]+)»")


def one_error_line(err: str) -> str:
    """``err`` must be exactly one ``protocolrunner: error: ...`` line; return its message."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("protocolrunner: error: "), err
    assert "Traceback" not in err
    return lines[0].removeprefix("protocolrunner: error: ")


def listed_ids(out: str) -> list[str]:
    """The session ids of ``record list``/``search`` text output, in order."""
    ids = []
    for line in out.splitlines():
        if line.startswith(" "):  # a search snippet under its row
            continue
        match = ROW.match(line)
        assert match, f"not a session row: {line!r}"
        ids.append(match["id"])
    return ids


def tokens(text: str) -> set[str]:
    """Words as the full-text index sees them: case- and accent-folded, split on the rest."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    return set(re.findall(r"[^\W_]+", plain))


def note_words(session: SessionRecord) -> set[str]:
    return set().union(*(tokens(n.text) for step in session.steps for n in step.notes))


def searchable_words(session: SessionRecord) -> set[str]:
    """Every word ``record search`` looks at: setup answers, notes, actions, reflection, people."""
    texts = [a.answer for a in session.setup]
    texts += [n.text for step in session.steps for n in step.notes]
    texts += [f"{a.text} {a.owner}" for a in session.actions]
    texts += [session.reflection, " ".join(session.attendees)]
    return set().union(*(tokens(t) for t in texts))


# -- the record --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo record the commands only read."""
    folder = tmp_path_factory.mktemp("cli-record") / "record"
    write_demo(folder, load_library(default_sources()), sessions=SESSIONS, seed=3, end=END)
    return folder


@pytest.fixture(scope="module")
def sessions(root: Path) -> list[tuple[Path, SessionRecord]]:
    """Every (path, session) of the record, newest first."""
    loaded = Record.open(root, create=False).load_sessions()
    assert not loaded.problems
    assert len(loaded.sessions) == SESSIONS
    return loaded.sessions


@pytest.fixture
def copy(root: Path, tmp_path: Path) -> Path:
    """A copy of the demo record that a test may change."""
    return Path(shutil.copytree(root, tmp_path / "copy"))


def rec(root: Path, *argv: str) -> list[str]:
    return ["--record", str(root), "record", *argv]


def ids_of(items) -> list[str]:
    return [session.id for _, session in items]


# -- record list -------------------------------------------------------------------------------


def test_list_prints_every_session_newest_first(capsys, root, sessions) -> None:
    status, out, err = run(capsys, *rec(root, "list"))
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(sessions)
    starts = [session.started for _, session in sessions]
    assert starts == sorted(starts, reverse=True)
    for line, (_, session) in zip(lines, sessions, strict=True):
        assert line.startswith(
            f"{session.id}  {session.started:%Y-%m-%d}  {session.protocol.title[:24]}"
        ), line
    assert listed_ids(out) == ids_of(sessions)


def test_record_option_works_after_the_subcommand(capsys, root, sessions) -> None:
    status, out, _ = run(capsys, "record", "list", "--record", str(root))
    assert status == 0
    assert listed_ids(out) == ids_of(sessions)


def test_list_json(capsys, root, sessions) -> None:
    status, out, err = run(capsys, *rec(root, "list", "--json"))
    assert status == 0
    assert err == ""
    items = json.loads(out)
    assert [item["id"] for item in items] == ids_of(sessions)
    for item, (path, session) in zip(items, sessions, strict=True):
        assert Path(item["path"]) == path
        assert datetime.fromisoformat(item["started"]) == session.started
        assert item["started"] == session.started.isoformat()
        assert item["protocol"] == session.protocol.id
        assert item["title"] == session.protocol.title
        assert item["presenters"] == ", ".join(session.presenters)
        assert item["focus"] == session.focus
        assert item["planned_seconds"] == sum(step.planned_seconds for step in session.steps)
        assert item["actual_seconds"] == session.actual_seconds
        assert item["status"] == session.status
        assert item["attendees"] == len(session.attendees)
        assert "snippet" not in item  # only search results have one


def test_list_limit(capsys, root, sessions) -> None:
    status, out, _ = run(capsys, *rec(root, "list", "--limit", "3"))
    assert status == 0
    assert listed_ids(out) == ids_of(sessions)[:3]
    status, out, _ = run(capsys, *rec(root, "list", "--limit", "5", "--json"))
    assert status == 0
    assert [item["id"] for item in json.loads(out)] == ids_of(sessions)[:5]


def test_list_filters_by_protocol(capsys, root, sessions) -> None:
    counts: dict[str, int] = {}
    for _, session in sessions:
        counts[session.protocol.id] = counts.get(session.protocol.id, 0) + 1
    assert len(counts) > 1, "the demo should use several protocols"
    protocol = max(counts, key=lambda p: (counts[p], p))
    expected = [s.id for _, s in sessions if s.protocol.id == protocol]
    status, out, _ = run(capsys, *rec(root, "list", "--protocol", protocol, "--json"))
    assert status == 0
    items = json.loads(out)
    assert [item["id"] for item in items] == expected
    assert all(item["protocol"] == protocol for item in items)
    assert 0 < len(items) < len(sessions)


def test_list_filters_by_member(capsys, root, sessions) -> None:
    attended: dict[str, list[str]] = {}
    for _, session in sessions:
        for name in session.attendees:
            attended.setdefault(name, []).append(session.id)
    # Someone who came to some sessions but not all of them.
    member = min(
        (name for name, ids in attended.items() if 0 < len(ids) < len(sessions)),
        key=lambda name: (len(attended[name]), name),
    )
    status, out, _ = run(capsys, *rec(root, "list", "--member", member))
    assert status == 0
    assert listed_ids(out) == attended[member]
    for session_id in listed_ids(out):
        session = next(s for _, s in sessions if s.id == session_id)
        assert member in session.attendees
    # Names compare case-insensitively.
    status, out, _ = run(capsys, *rec(root, "list", "--member", member.upper()))
    assert status == 0
    assert listed_ids(out) == attended[member]


def test_list_filters_by_member_and_role(capsys, root, sessions) -> None:
    _, first = sessions[0]
    role = next(r for r in first.roles if r.people)
    member = role.people[0]
    expected = [
        s.id for _, s in sessions if any(r.id == role.id and member in r.people for r in s.roles)
    ]
    attended = [s.id for _, s in sessions if member in s.attendees]
    args = ("list", "--member", member, "--role", role.id)
    status, out, _ = run(capsys, *rec(root, *args))
    assert status == 0
    assert listed_ids(out) == expected
    assert first.id in expected
    assert set(expected) <= set(attended)


def test_list_filters_by_dates(capsys, root, sessions) -> None:
    days = sorted({session.started.date() for _, session in sessions})
    since, until = days[len(days) // 4], days[3 * len(days) // 4]

    def listed(*argv: str) -> list[str]:
        status, out, _ = run(capsys, *rec(root, "list", *argv))
        assert status == 0
        return listed_ids(out)

    def expect(low: date | None, high: date | None) -> list[str]:
        return [
            s.id
            for _, s in sessions
            if (low is None or s.started.date() >= low)
            and (high is None or s.started.date() <= high)
        ]

    for argv, low, high in (
        (("--since", since.isoformat()), since, None),
        (("--until", until.isoformat()), None, until),
        (("--since", since.isoformat(), "--until", until.isoformat()), since, until),
    ):
        got = listed(*argv)
        assert got == expect(low, high), argv
        assert 0 < len(got) < len(sessions), argv  # something was kept, something left out
        for session_id in got:
            day = next(s for _, s in sessions if s.id == session_id).started.date()
            assert (low is None or day >= low) and (high is None or day <= high)
    # Both ends are inclusive.
    assert listed("--since", days[-1].isoformat(), "--until", days[-1].isoformat()) == [
        sessions[0][1].id
    ]


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "22/09/2026"])
def test_list_rejects_a_bad_date_in_one_line(capsys, root, value) -> None:
    status, out, err = exits(capsys, *rec(root, "list", "--since", value))
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "error:" in lines[0]
    assert f"'{value}' is not a date" in lines[0]
    assert "Traceback" not in err


# -- record search ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word(sessions) -> tuple[str, list[str]]:
    """A word some sessions' notes contain (and others do not), with those sessions' ids.

    Chosen so that no other searchable text of any session contains it, or a longer word
    starting with it (search matches the last word as a prefix)."""
    in_notes = {s.id: note_words(s) for _, s in sessions}
    everywhere = {s.id: searchable_words(s) for _, s in sessions}
    candidates = sorted(w for words in in_notes.values() for w in words if len(w) >= 6)
    for candidate in candidates:
        noted = [s.id for _, s in sessions if candidate in in_notes[s.id]]
        found = [
            s.id for _, s in sessions if any(w.startswith(candidate) for w in everywhere[s.id])
        ]
        if noted == found and 2 <= len(found) <= len(sessions) - 2:
            return candidate, found
    raise AssertionError("no word in the demo's notes to search for")


def test_search_finds_the_sessions_whose_notes_have_the_word(capsys, root, word) -> None:
    text, expected = word
    status, out, err = run(capsys, *rec(root, "search", text))
    assert status == 0
    assert err == ""
    assert listed_ids(out) == expected
    lines = out.splitlines()
    # Each row is followed by its snippet, with the match marked.
    for i, line in enumerate(lines):
        if not line.startswith(" "):
            snippet = lines[i + 1]
            assert snippet.startswith(" ")
            marked = [m.casefold() for m in MARKED.findall(snippet)]
            assert marked and all(m.startswith(text) for m in marked), snippet
    assert "\x02" not in out and "\x03" not in out


def test_search_json_snippets_have_no_control_characters(capsys, root, word) -> None:
    text, expected = word
    status, out, _ = run(capsys, *rec(root, "search", text.upper(), "--json"))
    assert status == 0
    items = json.loads(out)
    assert [item["id"] for item in items] == expected
    for item in items:
        assert "\x02" not in item["snippet"] and "\x03" not in item["snippet"]
        assert "«" not in item["snippet"]
        assert text in item["snippet"].casefold()


def test_search_words_must_all_match_and_filters_apply(capsys, root, sessions, word) -> None:
    text, expected = word
    first = next(s for _, s in sessions if s.id == expected[0])
    protocol = first.protocol.id
    status, out, _ = run(capsys, *rec(root, "search", text, "--protocol", protocol, "--json"))
    assert status == 0
    by_protocol = [s.id for _, s in sessions if s.id in expected and s.protocol.id == protocol]
    assert [item["id"] for item in json.loads(out)] == by_protocol
    status, out, _ = run(capsys, *rec(root, "search", text, "--limit", "1"))
    assert status == 0
    assert listed_ids(out) == expected[:1]
    status, out, err = run(capsys, *rec(root, "search", text, "zzqqxxnotaword"))
    assert (status, out, err) == (0, "", "No sessions found.\n")


def test_search_without_a_match(capsys, root, sessions) -> None:
    absent = "zzqqxxnotaword"
    assert not any(w.startswith(absent) for _, s in sessions for w in searchable_words(s))
    status, out, err = run(capsys, *rec(root, "search", absent))
    assert status == 0
    assert out == ""
    assert err == "No sessions found.\n"
    status, out, err = run(capsys, *rec(root, "search", absent, "--json"))
    assert status == 0
    assert json.loads(out) == []


# -- record show ------------------------------------------------------------------------------


def unique_prefix(session_id: str, sessions) -> str:
    """The shortest start of ``session_id`` that no other session's id or file name has."""
    others = [name for path, s in sessions if s.id != session_id for name in (s.id, path.name)]
    for size in range(1, len(session_id) + 1):
        prefix = session_id[:size]
        if not any(name.startswith(prefix) for name in others):
            return prefix
    raise AssertionError(f"{session_id} has no unique prefix")


def test_show_by_full_id(capsys, root, sessions) -> None:
    path, session = sessions[len(sessions) // 2]
    status, out, err = run(capsys, *rec(root, "show", session.id))
    assert status == 0
    assert err == ""
    assert out == session_markdown(Record(root).load_session(path))
    assert out.startswith(f"# {session.protocol.title}, ")


def test_show_by_id_prefix(capsys, root, sessions) -> None:
    # Pick the session whose id is told apart by the shortest prefix.
    prefix, (path, session) = min(
        ((unique_prefix(s.id, sessions), (p, s)) for p, s in sessions),
        key=lambda item: (len(item[0]), item[0]),
    )
    assert len(prefix) < len(session.id)
    status, out, err = run(capsys, *rec(root, "show", prefix))
    assert status == 0, err
    assert out == session_markdown(Record(root).load_session(path))


def test_show_by_path(capsys, root, sessions, monkeypatch) -> None:
    path, _ = sessions[-1]
    expected = session_markdown(Record(root).load_session(path))
    status, out, _ = run(capsys, *rec(root, "show", str(path)))
    assert status == 0
    assert out == expected
    # A path relative to the working folder, and the bare file name (matched in the index).
    monkeypatch.chdir(path.parent)
    status, out, _ = run(capsys, *rec(root, "show", f"./{path.name}"))
    assert (status, out) == (0, expected)
    monkeypatch.chdir(root)
    status, out, _ = run(capsys, *rec(root, "show", path.name))
    assert (status, out) == (0, expected)


def test_show_copies_of_one_session_ask_for_a_path(capsys, copy: Path) -> None:
    """Two files with one id (a sync conflict's copy): no longer prefix can choose, so the
    error names the files, and a path then works."""
    original = next((copy / "sessions").rglob("*.toml"))
    twin = original.with_name(original.stem + " (1).toml")
    shutil.copy(original, twin)
    session_id = Record.open(copy).load_session(original).id
    status, out, err = run(capsys, *rec(copy, "show", session_id))
    assert status == 1
    message = one_error_line(err)
    assert message.startswith(f"'{session_id}' is the id of 2 session files (")
    assert str(original.relative_to(copy)) in message
    assert str(twin.relative_to(copy)) in message
    assert message.endswith("give the path of the one you mean")
    status, out, _ = run(capsys, *rec(copy, "show", str(twin)))
    assert status == 0 and out


def test_a_long_first_indexing_is_announced_once(
    capsys, root, sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "LONG_REFRESH", len(sessions))
    _, _, err = run(capsys, *rec(root, "list"))
    assert err == f"Reading {len(sessions)} session files into the search index…\n"
    _, _, err = run(capsys, *rec(root, "list"))
    assert err == ""  # the index is up to date now


@pytest.mark.parametrize("limit", ["0", "-1", "two", "1.5"])
def test_limit_must_be_a_whole_number_of_one_or_more(capsys, root, limit: str) -> None:
    status, out, err = exits(capsys, *rec(root, "list", "--limit", limit))
    assert status == 2
    assert out == ""
    assert f"'{limit}' is not a whole number of 1 or more" in err
    assert "Traceback" not in err


def test_show_unknown_session(capsys, root) -> None:
    status, out, err = run(capsys, *rec(root, "show", "zzzzzzzz"))
    assert status == 1
    assert out == ""
    assert one_error_line(err) == "no session matches 'zzzzzzzz'"


def test_show_ambiguous_prefix(capsys, root, sessions) -> None:
    by_first: dict[str, list[str]] = {}
    for _, session in sessions:
        by_first.setdefault(session.id[0], []).append(session.id)
    prefix = min(c for c, ids in by_first.items() if len(ids) > 1)
    matching = [
        s.id for path, s in sessions if s.id.startswith(prefix) or path.name.startswith(prefix)
    ]
    status, out, err = run(capsys, *rec(root, "show", prefix))
    assert status == 1
    assert out == ""
    message = one_error_line(err)
    assert message.startswith(f"'{prefix}' matches {len(matching)} sessions (")
    assert "give more of the id" in message
    named = re.findall(r"[0-9a-f]{8}", message)
    assert named and set(named) <= set(matching)
    assert named == matching[: len(named)]  # newest first


# -- record export ----------------------------------------------------------------------------


def test_export_one_session_to_a_file(capsys, root, sessions, tmp_path) -> None:
    path, session = sessions[1]
    target = tmp_path / "out" / "session.md"
    status, out, err = run(capsys, *rec(root, "export", session.id, "-o", str(target)))
    assert status == 0
    assert out == ""
    assert target.read_text(encoding="utf-8") == session_markdown(Record(root).load_session(path))
    assert err == f"Wrote 1 session(s) to {target}\n"


def test_export_one_session_to_stdout(capsys, root, sessions) -> None:
    path, session = sessions[2]
    expected = session_markdown(Record(root).load_session(path))
    assert run(capsys, *rec(root, "export", session.id)) == (0, expected, "")
    assert run(capsys, *rec(root, "export", session.id, "-o", "-")) == (0, expected, "")


def test_export_one_session_as_json(capsys, root, sessions) -> None:
    path, session = sessions[3]
    status, out, _ = run(capsys, *rec(root, "export", str(path), "--format", "json"))
    assert status == 0
    data = json.loads(out)
    assert isinstance(data, dict)
    assert data["id"] == session.id
    assert data["actual_seconds"] == session.actual_seconds
    assert out == session_json(Record(root).load_session(path))


def test_export_several_sessions_as_a_digest(capsys, root, sessions) -> None:
    record = Record(root)
    protocol = sessions[0][1].protocol.id
    chosen = [(p, s) for p, s in sessions if s.protocol.id == protocol]
    assert 1 < len(chosen) < len(sessions)
    name = record.load_community().name
    status, out, err = run(capsys, *rec(root, "export", "--protocol", protocol))
    assert status == 0
    assert err == ""
    assert out.splitlines()[0] == f"# {name}: {len(chosen)} sessions"
    assert out == digest_markdown(
        [record.load_session(p) for p, _ in chosen], f"{name}: {len(chosen)} sessions"
    )
    for _, session in chosen:
        assert f"## {session.protocol.title}, {session.started.day} " in out


def test_export_several_sessions_as_json(capsys, root, sessions, tmp_path) -> None:
    record = Record(root)
    protocol = sessions[-1][1].protocol.id
    chosen = [(p, s) for p, s in sessions if s.protocol.id == protocol]
    assert len(chosen) > 1
    target = tmp_path / "sessions.json"
    argv = ("export", "--protocol", protocol, "--format", "json", "-o", str(target))
    status, out, err = run(capsys, *rec(root, *argv))
    assert status == 0
    assert out == ""
    assert err == f"Wrote {len(chosen)} session(s) to {target}\n"
    text = target.read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, list)
    assert len(data) == len(chosen)
    assert [item["id"] for item in data] == ids_of(chosen)
    assert text == sessions_json([record.load_session(p) for p, _ in chosen])


def test_export_named_sessions(capsys, root, sessions) -> None:
    (_, newer), (_, older) = sessions[0], sessions[-1]
    status, out, _ = run(capsys, *rec(root, "export", older.id, newer.id, "--format", "json"))
    assert status == 0
    assert [item["id"] for item in json.loads(out)] == [older.id, newer.id]


def test_export_everything_by_default(capsys, root, sessions) -> None:
    status, out, _ = run(capsys, *rec(root, "export", "--format", "json"))
    assert status == 0
    assert sorted(item["id"] for item in json.loads(out)) == sorted(ids_of(sessions))


def test_export_digest_without_a_readable_community_file(capsys, copy) -> None:
    (copy / "community.toml").write_text("name = \n", encoding="utf-8")
    status, out, _ = run(capsys, *rec(copy, "export", "--since", "2000-01-01"))
    assert status == 0
    assert out.startswith(f"# Community record: {SESSIONS} sessions\n")


@pytest.mark.parametrize(
    "filters",
    [("--protocol", "no-such-protocol"), ("--member", "Nobody Here"), ("--since", "2999-01-01")],
)
def test_export_nothing_is_an_error(capsys, root, tmp_path, filters) -> None:
    target = tmp_path / "nothing.md"
    status, out, err = run(capsys, *rec(root, "export", *filters, "-o", str(target)))
    assert status == 1
    assert out == ""
    assert one_error_line(err) == "no sessions to export"
    assert not target.exists()


def test_export_unknown_session_is_an_error(capsys, root) -> None:
    status, out, err = run(capsys, *rec(root, "export", "zzzzzzzz"))
    assert status == 1
    assert out == ""
    assert one_error_line(err) == "no session matches 'zzzzzzzz'"


# -- a folder that is not a record ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [("list",), ("search", "students"), ("show", "abc"), ("export",)],
    ids=["list", "search", "show", "export"],
)
@pytest.mark.parametrize("exists", [True, False], ids=["empty-folder", "missing-folder"])
def test_not_a_record(capsys, tmp_path, argv, exists) -> None:
    folder = tmp_path / "not-a-record"
    if exists:
        folder.mkdir()
    status, out, err = run(capsys, *rec(folder, *argv))
    assert status == 1
    assert out == ""
    message = one_error_line(err)
    assert str(folder) in message
    assert f"protocolrunner record init {folder}" in message
    if exists:
        assert list(folder.iterdir()) == []
    else:
        assert not folder.exists()


# -- a broken session file --------------------------------------------------------------------


def test_list_skips_a_broken_session_and_says_so(capsys, copy) -> None:
    valid = Record(copy).load_sessions().sessions
    broken = copy / "sessions" / "2026" / "2026-01-01-broken-0000beef.toml"
    broken.write_text('id = "0000beef"\nstarted = [unclosed\n', encoding="utf-8")
    status, out, err = run(capsys, *rec(copy, "list"))
    assert status == 0
    assert listed_ids(out) == ids_of(valid)
    skipped = [line for line in err.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 1, err
    assert skipped[0].startswith(f"skipped: {broken}:")
    assert err.splitlines() == [*skipped, f"{len(valid)} sessions, 1 file skipped"]
    # The next run (an up-to-date index) still says so.
    status, out, err = run(capsys, *rec(copy, "list", "--json"))
    assert status == 0
    assert [item["id"] for item in json.loads(out)] == ids_of(valid)
    assert err.startswith(f"skipped: {broken}:")


def test_list_follows_changes_to_the_files(capsys, copy) -> None:
    valid = Record(copy).load_sessions().sessions
    status, out, _ = run(capsys, *rec(copy, "list"))
    assert (status, listed_ids(out)) == (0, ids_of(valid))
    # A session moved to a hidden folder (as a trash would) is no longer a session.
    gone_path, gone = valid[1]
    trash = copy / "sessions" / ".trash"
    trash.mkdir()
    gone_path.rename(trash / gone_path.name)
    status, out, err = run(capsys, *rec(copy, "list"))
    assert status == 0
    assert err == ""
    assert listed_ids(out) == [s.id for _, s in valid if s.id != gone.id]
    status, _, err = run(capsys, *rec(copy, "show", gone.id))
    assert status == 1
    assert one_error_line(err) == f"no session matches '{gone.id}'"


def test_show_skips_a_broken_session_but_shows_others(capsys, copy) -> None:
    path, session = Record(copy).load_sessions().sessions[0]
    broken = copy / "sessions" / "broken.toml"
    broken.write_text("this is not = = toml\n", encoding="utf-8")
    status, out, err = run(capsys, *rec(copy, "show", session.id))
    assert status == 0
    assert out == session_markdown(Record(copy).load_session(path))
    assert err.startswith(f"skipped: {broken}:")


# -- record init ------------------------------------------------------------------------------


def test_init_makes_an_empty_record_that_list_reads(capsys, tmp_path) -> None:
    folder = tmp_path / "circle"
    status, out, err = run(capsys, "record", "init", str(folder), "--name", "Maths Circle")
    assert status == 0
    assert err == ""
    assert out == f"Created a community record for 'Maths Circle' in {folder}\n"
    assert Record(folder).exists()
    assert Record(folder).load_community().name == "Maths Circle"
    assert run(capsys, *rec(folder, "list")) == (0, "", "No sessions found.\n")
    status, out, _ = run(capsys, *rec(folder, "list", "--json"))
    assert (status, json.loads(out)) == (0, [])
    status, out, err = run(capsys, *rec(folder, "export"))
    assert (status, out) == (1, "")
    assert one_error_line(err) == "no sessions to export"


def test_init_uses_the_record_option(capsys, tmp_path) -> None:
    folder = tmp_path / "by-option"
    status, _, _ = run(capsys, *rec(folder, "init", "--name", "Option Circle"))
    assert status == 0
    assert Record(folder).load_community().name == "Option Circle"


def test_init_refuses_an_existing_record(capsys, copy) -> None:
    before = (copy / "community.toml").read_bytes()
    status, out, err = run(capsys, "record", "init", str(copy), "--name", "Another")
    assert status == 1
    assert out == ""
    assert "already exists" in one_error_line(err)
    assert (copy / "community.toml").read_bytes() == before


def test_init_needs_a_name(capsys, tmp_path) -> None:
    folder = tmp_path / "nameless"
    status, out, err = exits(capsys, "record", "init", str(folder))
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "--name" in err
    assert not folder.exists()


def test_a_failing_search_index_is_one_line(capsys, root, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(index_module.SessionIndex, "query", full)
    status, out, err = run(capsys, *rec(root, "list"))
    assert status == 1
    assert out == ""
    assert one_error_line(err) == "the search index: database or disk is full"


def test_demo_sessions_must_be_zero_or_more(capsys, tmp_path: Path) -> None:
    status, out, err = exits(capsys, "demo", str(tmp_path / "d"), "--sessions", "-5")
    assert out == ""
    assert status == 2
    assert "'-5' is not a whole number of 0 or more" in err
    assert not (tmp_path / "d").exists()


MODELS_IMPORTED = """
import json, sys
from protocolrunner.cli import main
status = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "tomllib") or m in {
    "protocolrunner.core.record.models",
    "protocolrunner.core.protocol.model",
    "protocolrunner.core.session.engine",
})
print(json.dumps({"status": status, "heavy": heavy}), file=sys.stderr)
"""


def fresh_run(*argv: str) -> tuple[str, list[str]]:
    """Run the command line in a new interpreter: what it printed, and which of pydantic, the
    models and the TOML parser it imported."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", MODELS_IMPORTED, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    report = json.loads(result.stderr.splitlines()[-1])
    assert report["status"] == 0, result.stderr
    return result.stdout, report["heavy"]


@pytest.mark.slow
def test_list_and_search_import_no_models_when_the_index_is_fresh(copy, word) -> None:
    """A fresh index answers ``record list`` and ``record search`` alone: no pydantic, no
    models, no TOML parser, in a new interpreter as a user runs them. A changed session file
    is read (so the models come back), and its change is listed at once."""
    text, _ = word
    listing, heavy = fresh_run(*rec(copy, "list"))  # the first run builds the index
    assert heavy, "building the index reads the files: this check would prove nothing"
    assert fresh_run(*rec(copy, "list", "--limit", "5")) == (
        "\n".join(listing.splitlines()[:5]) + "\n",
        [],
    )
    found, heavy = fresh_run(*rec(copy, "search", text))
    assert heavy == []
    assert listed_ids(found)
    assert fresh_run(*rec(copy, "list", "--json"))[1] == []

    newest = max((copy / "sessions").rglob("*.toml"))
    text = newest.read_text(encoding="utf-8")
    title = Record.open(copy, create=False).load_session(newest).protocol.title
    changed = text.replace(f'\ntitle = "{title}"\n', '\ntitle = "Retitled"\n', 1)
    assert changed != text
    newest.write_text(changed, encoding="utf-8")
    listing, heavy = fresh_run(*rec(copy, "list", "--json"))
    assert "protocolrunner.core.record.models" in heavy
    rows = {row["path"]: row for row in json.loads(listing)}
    assert rows[str(newest)]["title"] == "Retitled"
