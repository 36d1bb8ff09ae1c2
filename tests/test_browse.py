"""The record browser's core: filters, paging over the index, search matches and snippets."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocolrunner.core.base.problems import Problem
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.browse import (
    SessionPages,
    describe_problem,
    fold,
    match_spans,
    parse_day,
    query_terms,
    searchable_texts,
    session_snippet,
    snippet,
)
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.index import SessionFilter, SessionIndex

END = datetime(2026, 9, 22, 15, 30, tzinfo=timezone(timedelta(hours=1)))


def words(text: str, query: str) -> list[str]:
    return [text[start:end] for start, end in match_spans(text, query)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Record:
    root = tmp_path_factory.mktemp("browse") / "record"
    return write_demo(root, load_library(default_sources()), sessions=24, end=END)


@pytest.fixture
def index(demo: Record, tmp_path: Path):
    with SessionIndex(demo, db_path=tmp_path / "index.sqlite3") as index:
        index.refresh()
        yield index


# -- filters ---------------------------------------------------------------------------------


def test_empty_filter_asks_for_everything() -> None:
    empty = SessionFilter()
    assert empty.is_empty
    assert empty.search == "" and empty.words == []
    assert SessionFilter(text="   ").is_empty


def test_filter_passes_what_was_chosen() -> None:
    chosen = SessionFilter(text=" wait ", protocol="tuning", member="Ana Souza", role="presenter")
    assert not chosen.is_empty
    assert chosen.search == "wait"
    assert SessionFilter(text="wait time wait").search == "wait time wait"
    assert SessionFilter(text="a b a b c").search == "a b c"


def test_parse_day() -> None:
    assert parse_day("") is None
    assert parse_day("  ") is None
    assert parse_day("2026-10-03") == date(2026, 10, 3)
    with pytest.raises(ValueError):
        parse_day("3 Oct")


# -- pages ---------------------------------------------------------------------------------


def test_pages_load_a_page_at_a_time(index: SessionIndex) -> None:
    pages = SessionPages(index, page_size=10)
    assert pages.total is None and pages.rows == []
    first = pages.fetch_more()
    assert len(first) == 10 and not pages.complete
    assert [r.started for r in first] == sorted((r.started for r in first), reverse=True)
    assert pages.needs_more(7) and not pages.needs_more(2)
    assert pages.count() == 24 and pages.total == 24
    pages.fetch_more()
    pages.fetch_more()
    assert len(pages.rows) == 24 and pages.complete
    assert pages.fetch_more() == []
    assert not pages.needs_more(23)
    assert [r.path for r in pages.rows] == [r.path for r in index.query()]


def test_pages_follow_the_filter(index: SessionIndex) -> None:
    pages = SessionPages(index, SessionFilter(protocol="tuning"), page_size=5)
    pages.fetch_more()
    assert pages.count() == index.count(SessionFilter(protocol="tuning"))
    assert all(row.protocol_id == "tuning" for row in pages.rows)


def test_pages_search_without_snippets(index: SessionIndex) -> None:
    pages = SessionPages(index, SessionFilter(text="rubric"), page_size=50)
    rows = pages.fetch_more()
    # A short page is the last one: the total is known without counting.
    assert pages.complete and 0 < pages.total == len(rows) < 24
    assert all(row.snippet == "" for row in rows)
    assert pages.total == index.count(SessionFilter("rubric"))


def test_pages_a_full_last_page_needs_one_more_ask(index: SessionIndex) -> None:
    pages = SessionPages(index, page_size=12)
    pages.fetch_more()
    pages.fetch_more()
    assert len(pages.rows) == 24 and not pages.complete
    assert pages.fetch_more() == [] and pages.complete and pages.total == 24


def test_pages_stop_when_the_index_shrinks(index: SessionIndex) -> None:
    pages = SessionPages(index, page_size=10)
    pages.total = 30  # as if counted before sessions were removed
    while pages.fetch_more():
        pass
    assert pages.complete and pages.total == 24


def test_query_without_snippets_is_the_same_list(index: SessionIndex) -> None:
    with_snippets = index.query(SessionFilter("wait"), limit=5)
    without = index.query(SessionFilter("wait"), limit=5, snippets=False)
    assert [r.path for r in with_snippets] == [r.path for r in without]
    assert all(r.snippet for r in with_snippets)
    assert all(r.snippet == "" for r in without)


def test_facets(index: SessionIndex, demo: Record) -> None:
    facets = index.facets()
    ids = [pid for pid, _ in facets.protocols]
    assert set(ids) == {row.protocol_id for row in index.query()}
    assert dict(facets.protocols)["consultancy"] == "Consultancy"
    members = demo.load_community().member_names
    assert set(facets.people) <= set(members)
    assert facets.people == sorted(facets.people, key=str.casefold)
    assert ("presenter", "Presenter") in facets.roles


# -- matches -------------------------------------------------------------------------------


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Élodie") == fold("ELODIE") == "elodie"
    assert query_terms("Wait  TIME") == ["wait", "time"]
    assert query_terms("") == []


@given(st.text(st.characters(max_codepoint=0x7F)) | st.text())
def test_fold_of_ascii_takes_a_short_cut_to_the_same_words(text: str) -> None:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    assert fold(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_match_spans_whole_words_and_a_prefix() -> None:
    text = "Wait time helps; waiting is hard. Time to wait."
    assert words(text, "wait") == ["Wait", "waiting", "wait"]
    assert words(text, "wait time") == ["Wait", "time", "Time", "wait"]
    assert words(text, "time wai") == ["Wait", "time", "waiting", "Time", "wait"]
    assert words(text, "") == []
    assert words("", "wait") == []


def test_match_spans_accents_and_markup_stay_literal() -> None:
    text = "Élodie said [bold]élan[/] and [link=x]elan"
    assert words(text, "elodie") == ["Élodie"]
    assert words(text, "ELAN") == ["élan", "elan"]
    # Brackets are not words: searching them finds nothing, and never breaks.
    assert words(text, "[/]") == []
    assert words(text, "bold") == ["bold"]


def test_snippet_windows_the_first_match() -> None:
    text = " ".join(f"word{n}" for n in range(60)) + " the rubric rewards neatness " + "x " * 40
    shown, spans = snippet(text, "rubric", width=40)
    assert shown.startswith("…") and shown.endswith("…")
    assert [shown[s:e] for s, e in spans] == ["rubric"]
    assert len(shown) <= 42


def test_snippet_of_short_text_and_no_match() -> None:
    assert snippet("Wait time.", "wait") == ("Wait time.", [(0, 4)])
    assert snippet("Wait time.", "rubric") == ("", [])
    shown, spans = snippet("line one\nline   two wait", "wait")
    assert shown == "line one line two wait"
    assert [shown[s:e] for s, e in spans] == ["wait"]


def test_session_snippet_and_searchable_texts(demo: Record) -> None:
    _, record = demo.load_sessions().sessions[0]
    texts = searchable_texts(record)
    assert any(record.focus in t for t in texts)
    word = record.focus.split()[-1].strip("?.")
    shown, spans = session_snippet(record, word)
    assert spans and all(fold(shown[s:e]).startswith(fold(word)) for s, e in spans)
    assert session_snippet(record, "zzzzqqq") == ("", [])
    assert any(match_spans(text, word) for text in texts)


def test_describe_problem_names_the_file_in_the_record(tmp_path: Path) -> None:
    inside = tmp_path / "sessions" / "2026" / "bad.toml"
    problem = Problem(str(inside), "TOML syntax: expected '='", 3, 7)
    assert describe_problem(problem, tmp_path) == (
        "sessions/2026/bad.toml:3:7: TOML syntax: expected '='"
    )
    outside = Problem("/elsewhere/x.toml", "is empty")
    assert describe_problem(outside, tmp_path) == "/elsewhere/x.toml:1:1: is empty"


def test_describe_problem_names_a_link_as_itself_not_its_target(tmp_path: Path) -> None:
    folder = tmp_path / "sessions" / "2026"
    folder.mkdir(parents=True)
    (folder / "gone.toml").symlink_to("nowhere.toml")
    problem = Problem(str(folder / "gone.toml"), "is a link to nothing (nowhere.toml)")
    assert describe_problem(problem, tmp_path) == (
        "sessions/2026/gone.toml:1:1: is a link to nothing (nowhere.toml)"
    )
