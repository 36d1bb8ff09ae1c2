"""``record publish``: a static site of the record, self-contained, escaped, accessible, and
written again only where the record changed."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run_cli
from test_export_html_pdf import Page
from test_export_markdown import FIELDS, REGRESSIONS, TOKEN, session, stand_ins

from protocolrunner.core.base.text import has_control
from protocolrunner.core.export import site as publish_module
from protocolrunner.core.export.site import (
    NEWEST,
    SITE_STYLE,
    PublishError,
    decode_postings,
    encode_postings,
    publish,
    search_terms,
)
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.browse import query_terms, searchable_texts
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record, session_toml
from protocolrunner.core.record.followthrough import load_items, mark
from protocolrunner.core.record.models import Community, Member

PAGES = ("index.html", "members.html", "community.html", "actions.html")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Record:
    return write_demo(
        tmp_path_factory.mktemp("demo") / "record", load_library(default_sources()), sessions=12
    )


@pytest.fixture
def record(tmp_path: Path) -> Record:
    return write_demo(tmp_path / "record", load_library(default_sources()), sessions=6)


def site_pages(out: Path) -> list[Path]:
    folders = (out, out / "years", out / "sessions")
    return [page for folder in folders for page in sorted(folder.glob("*.html"))]


def search_data(out: Path) -> list[dict]:
    """Each year's search data, as the index page loads it (newest year first)."""
    prefix = "(window.PROTOCOLRUNNER_DATA = window.PROTOCOLRUNNER_DATA || []).push("
    scripts = re.findall(r'<script src="(assets/search-\d+\.js)">', index_html(out))
    assert scripts, "no search data on the index page"
    years = []
    for script in scripts:
        text = (out / script).read_text("utf-8")
        assert text.startswith(prefix) and text.endswith(");\n")
        years.append(json.loads(text[len(prefix) : -3]))
    return years


def data_rows(out: Path) -> list[list]:
    return [row for year in search_data(out) for row in year["sessions"]]


def words_by_page(out: Path) -> dict[str, set[str]]:
    """Each session's words, read back from the posting lists."""
    found: dict[str, set[str]] = {}
    for year in search_data(out):
        assert year["words"] == sorted(year["words"], key=lambda w: w.encode("utf-16-be"))
        for name, *_ in year["sessions"]:
            found[name] = set()
        for word, postings in zip(year["words"], year["postings"], strict=True):
            for place in decode_postings(postings):
                found[year["sessions"][place][0]].add(word)
    return found


def test_publish_writes_every_page_and_links_only_inside(demo: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = publish(demo, out)
    assert result.sessions == 12 and result.read == 12 and not result.problems
    assert len(list((out / "sessions").glob("*.html"))) == 12
    for path in site_pages(out):
        html = path.read_text("utf-8")
        assert not has_control(html)
        for target in re.findall(r'(?:href|src)="([^"]+)"', html):
            assert "//" not in target and not target.startswith("/"), (path, target)
            if not target.startswith("#"):
                assert (path.parent / target).resolve().is_file(), (path, target)
    index = Page((out / "index.html").read_text("utf-8"))
    links = [dict(attrs)["href"] for tag, attrs in index.tags if tag == "a"]
    assert sum(1 for link in links if link.startswith("sessions/")) == 12


def test_the_search_data_holds_the_words_search_compares(demo: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(demo, out)
    words = words_by_page(out)
    loaded = demo.load_sessions().sessions
    assert len(words) == len(loaded) == len(data_rows(out))
    for _, session_record in loaded:
        expected = {t for text in searchable_texts(session_record) for t in query_terms(text)}
        (name,) = [name for name in words if name.endswith(session_record.id)]
        assert words[name] == expected


@given(st.lists(st.integers(0, 5000), unique=True))
def test_posting_lists_read_back(places: list[int]) -> None:
    text = encode_postings(sorted(places))
    assert decode_postings(text) == sorted(places)
    assert json.dumps(text) == f'"{text}"'  # nothing JSON escapes


@pytest.mark.parametrize(
    "text", ["Élodie's ÇA va? straße", "x_y 1.5 日本語 e\u0301t\u00e9", "İstanbul ǅ ﬁ ①"]
)
def test_search_terms_are_the_query_terms_of_the_texts(text: str) -> None:
    """The same words as the index's search finds in composed text (as typed, NFC); in text
    written decomposed, an accent no longer splits a word in two."""
    composed = unicodedata.normalize("NFC", text)
    assert search_terms([text, "two"]) == [*query_terms(composed), "two"]


def _edit_note(path: Path, session_record, text: str) -> None:
    steps = list(session_record.steps)
    i = next(n for n, step in enumerate(steps) if step.notes)
    note = steps[i].notes[0].model_copy(update={"text": text})
    steps[i] = steps[i].model_copy(update={"notes": [note, *steps[i].notes[1:]]})
    path.write_text(session_toml(session_record.model_copy(update={"steps": steps})), "utf-8")


def test_publishing_again_writes_only_what_changed(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = publish(record, out)
    year = "2026"  # the six demo sessions' year
    assert sorted(first.written) == sorted(
        [f"sessions/{p.stem}.html" for p in record.session_files()]
        + ["index.html", "members.html", "community.html", "actions.html", f"years/{year}.html"]
        + ["assets/site.css", "assets/search.js", f"assets/search-{year}.js"]
    )
    again = publish(record, out)
    assert again.read == 0 and again.written == [] and again.removed == []

    # One session's note edited: its page and its year's search data, nothing else.
    path, changed = record.load_sessions().sessions[2]
    _edit_note(path, changed, "A quokka visited the lesson.")
    one = publish(record, out)
    page_name = f"sessions/{path.stem}.html"
    assert one.read == 1 and set(one.written) == {page_name, f"assets/search-{year}.js"}
    assert "A quokka visited the lesson." in (out / page_name).read_text("utf-8")
    assert "quokka" in words_by_page(out)[path.stem]

    # An action item reviewed: its session's page and the open items.
    item = next(i for i in load_items(record) if i.state == "open")
    mark(record, item, "dropped", datetime(2026, 12, 1, 12, tzinfo=UTC), by="Ann")
    reviewed = publish(record, out)
    assert reviewed.read == 1 and "actions.html" in reviewed.written
    assert any(name.startswith("sessions/") for name in reviewed.written)

    # A session removed: its page goes, and the lists and search no longer show it.
    path.unlink()
    removed = publish(record, out)
    assert removed.removed == [page_name] and not (out / page_name).exists()
    assert removed.sessions == 5 and path.stem not in words_by_page(out)
    assert path.stem not in index_html(out) + (out / "years" / f"{year}.html").read_text("utf-8")


def test_a_session_moved_to_another_year_leaves_the_old_one(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(record, out)
    path, moved = record.load_sessions().sessions[0]
    earlier = moved.model_copy(
        update={
            "started": moved.started.replace(year=2019),
            "ended": moved.ended.replace(year=2019) if moved.ended else None,
        }
    )
    path.write_text(session_toml(earlier), "utf-8")
    again = publish(record, out)
    assert again.read == 1
    assert {"years/2019.html", "assets/search-2019.js", "assets/search-2026.js"} <= set(
        again.written
    )
    assert sum(len(words) > 0 for words in words_by_page(out).values()) == 6
    assert path.stem in (out / "years" / "2019.html").read_text("utf-8")
    assert path.stem not in (out / "years" / "2026.html").read_text("utf-8")
    # Its only session gone, a year's list and search data go too.
    path.unlink()
    gone = publish(record, out)
    assert {"years/2019.html", "assets/search-2019.js"} <= set(gone.removed)
    assert "2019" not in index_html(out)


def test_a_lost_state_file_reads_its_year_again(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(record, out)
    pages = {p.name: p.read_bytes() for p in site_pages(out)}
    (out / "assets" / "state" / "2026.json").write_text("{not json", "utf-8")
    path, changed = record.load_sessions().sessions[1]
    _edit_note(path, changed, "A wombat visited the lesson.")
    again = publish(record, out)
    assert again.read == 6 and not again.problems  # the changed file, then its whole year
    assert {p.name for p in site_pages(out)} == set(pages)
    assert "wombat" in words_by_page(out)[path.stem]


def test_a_damaged_site_state_rebuilds_the_site_and_touches_nothing_outside(
    record: Record, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    publish(record, out)
    (tmp_path / "mine.html").write_text("keep", "utf-8")
    state_path = out / "assets" / "state" / "site.json"
    state = json.loads(state_path.read_text("utf-8"))
    next(iter(state["files"].values()))[3] = "../../mine"  # a page to remove, outside
    state_path.write_text(json.dumps(state), "utf-8")
    (out / "sessions" / "2020-01-01-gone-0000.html").write_text("a deleted session's", "utf-8")
    again = publish(record, out)
    assert (tmp_path / "mine.html").read_text("utf-8") == "keep"
    assert again.read == 6 and again.removed == ["sessions/2020-01-01-gone-0000.html"]
    assert len(data_rows(out)) == 6 and publish(record, out).read == 0
    # A year's kept entry that does not fit its file: that session is read again.
    path, changed = record.load_sessions().sessions[0]
    year_path = out / "assets" / "state" / "2026.json"
    year = json.loads(year_path.read_text("utf-8"))
    damaged = next(rel for rel in year["entries"] if not rel.endswith(path.name))
    year["entries"][damaged]["name"] = "something-else"
    year_path.write_text(json.dumps(year), "utf-8")
    _edit_note(path, changed, "A heron visited the lesson.")
    assert publish(record, out).read == 2 and len(data_rows(out)) == 6


def test_a_broken_session_is_named_every_time_and_left_out(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(record, out)
    path = record.session_files()[0]
    path.write_text(path.read_text("utf-8").replace("format = ", "format = = ", 1), "utf-8")
    (record.sessions_dir / "loop").symlink_to(record.sessions_dir)
    for _ in range(2):  # never remembered as published: named again next time
        result = publish(record, out)
        lines = [str(problem) for problem in result.problems]
        assert len(lines) == 2 and all("\n" not in line for line in lines)
        assert lines[0].startswith(f"{record.sessions_dir / 'loop'}:1:1: is a link")
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: TOML syntax", lines[1])
        assert result.sessions == 5 and not (out / "sessions" / f"{path.stem}.html").exists()


def test_a_site_of_the_first_format_is_taken_over(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "assets").mkdir(parents=True)
    (out / "sessions").mkdir()
    (out / "sessions" / "old-page.html").write_text("old", "utf-8")
    (out / "assets" / "search-data.js").write_text("window.X = [];", "utf-8")
    state = {"format": 1, "layout": "1:C", "sessions": {"/x.toml": {"page": "old-page"}}}
    (out / "assets" / "state.json").write_text(json.dumps(state), "utf-8")
    result = publish(record, out)
    assert sorted(result.removed) == [
        "assets/search-data.js",
        "assets/state.json",
        "sessions/old-page.html",
    ]
    assert result.sessions == 6 and len(data_rows(out)) == 6


def test_a_renamed_community_writes_every_page_again(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(record, out)
    record.update_community(lambda c: c.model_copy(update={"name": "Hillside <Circle>"}))
    again = publish(record, out)
    assert again.read == 6
    assert "Hillside &lt;Circle&gt;" in (out / "index.html").read_text("utf-8")


def test_publish_refuses_a_folder_it_did_not_write(record: Record, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("mine")
    with pytest.raises(PublishError, match="not empty"):
        publish(record, tmp_path / "busy")
    with pytest.raises(PublishError, match="inside the record"):
        publish(record, record.root / "site")
    assert (tmp_path / "busy" / "thesis.docx").read_text() == "mine"


def test_cli_record_publish(capsys, record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    status, stdout, err = run_cli(
        capsys, "--record", str(record.root), "record", "publish", str(out)
    )
    assert status == 0 and err == ""
    assert stdout.splitlines()[0] == (
        f"Published 6 session(s) to {out}: 11 page(s) written, 0 removed, 6 session file(s) read."
    )
    status, stdout, _ = run_cli(capsys, "--record", str(record.root), "record", "publish", str(out))
    assert "0 page(s) written" in stdout
    status, _, err = run_cli(
        capsys, "--record", str(record.root), "record", "publish", str(record.root)
    )
    assert status == 1 and err.count("\n") == 1 and "error:" in err


# -- people's text ----------------------------------------------------------------------------


def _publish_one(tmp_path: Path, texts: dict[str, str], name: str) -> Path:
    record = Record.init(tmp_path / name / "record", Community(name=texts["community"] or "C"))
    record.update_community(
        lambda c: c.model_copy(
            update={
                "purpose": texts["answer"],
                "goals": [texts["note"]],
                "norms": [texts["reflection"]],
                "members": [Member(name=texts["attendee"] or "A", note=texts["label"])],
            }
        )
    )
    record.save_session(session(texts))
    out = tmp_path / name / "site"
    publish(record, out)
    return out


def index_html(out: Path) -> str:
    return (out / "index.html").read_text("utf-8")


def without_options(path: Path) -> str:
    """A page without its filters' options: names sorted alphabetically, so in another order
    for the stand-ins (checked apart: each shows the name it stands for)."""
    return re.sub(r"<option value=[^>]*>[^<]*</option>", "", path.read_text("utf-8"))


@pytest.mark.parametrize("text", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_people_text_on_every_page_shows_as_itself(tmp_path: Path, text: str) -> None:
    texts = dict.fromkeys(FIELDS, text)
    # People are told apart by name (members' rows): three people, three names.
    texts.update(guest=f"{text} 2", presenter=f"{text} 3")
    clean, meaning = stand_ins(texts)
    hostile_out = _publish_one(tmp_path, texts, "hostile")
    clean_out = _publish_one(tmp_path, clean, "clean")
    hostile_pages, clean_pages = site_pages(hostile_out), site_pages(clean_out)
    assert [p.name for p in hostile_pages] == [p.name for p in clean_pages]
    for hostile, clean_page in zip(hostile_pages, clean_pages, strict=True):
        seen, expected = Page(without_options(hostile)), Page(without_options(clean_page))
        want = [TOKEN.sub(lambda m: meaning[m.group()], line) for line in expected.lines]
        assert seen.lines == want, hostile.name
        assert seen.tags == expected.tags, hostile.name
        assert not any(TOKEN.search(str(v)) for _, a in expected.tags for _, v in a)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', index_html(hostile_out))
    assert options[3:] and all(value == label for value, label in options[3:])
    # The search data holds the text as data: JSON strings, read back exactly.
    row = data_rows(hostile_out)[0]
    assert TOKEN.sub(lambda m: meaning[m.group()], data_rows(clean_out)[0][3]) == row[3]


# -- accessibility and print ------------------------------------------------------------------


def test_every_page_has_landmarks_labels_and_headings_in_order(
    demo: Record, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    publish(demo, out)
    for path in site_pages(out):
        page = Page(path.read_text("utf-8"))
        tags = [t for t, _ in page.tags]
        assert page.tags[0] == ("html", [("lang", "en")]), path.name
        for landmark in ("header", "nav", "main", "footer"):
            assert tags.count(landmark) == 1, (path.name, landmark)
        levels = [int(t[1]) for t in tags if re.fullmatch(r"h\d", t)]
        assert levels[0] == 1 and levels.count(1) == 1, path.name
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), path.name
        ids = {dict(a).get("id") for t, a in page.tags if t in ("input", "select")}
        labelled = {dict(a).get("for") for t, a in page.tags if t == "label"}
        assert ids <= labelled, path.name


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_text_colour_meets_wcag_aa_on_every_background() -> None:
    screen = SITE_STYLE.split("@media print")[0]
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", screen))
    backgrounds = set(re.findall(r"background:\s*(#[0-9a-fA-F]{6})", screen))
    assert len(colours) >= 5 and "#ffffff" not in colours and backgrounds
    for text in colours:
        for ground in backgrounds:
            assert _contrast(text, ground) >= 4.5, (text, ground)


def test_print_style_hides_navigation_and_search() -> None:
    printed = SITE_STYLE.split("@media print")[1]
    assert "nav" in printed and "form" in printed and "display: none" in printed


def test_a_large_record_lists_the_newest_and_every_year(tmp_path: Path) -> None:
    record = write_demo(tmp_path / "record", load_library(default_sources()), sessions=130)
    out = tmp_path / "site"
    publish(record, out)
    index = Page(index_html(out))
    links = [dict(attrs)["href"] for tag, attrs in index.tags if tag == "a"]
    assert sum(1 for link in links if link.startswith("sessions/")) == NEWEST
    years = [link for link in links if link.startswith("years/")]
    assert years == sorted(years, reverse=True) and len(years) >= 2
    listed = [
        link
        for year in years
        for link in re.findall(r'href="../(sessions/[^"]+)"', (out / year).read_text("utf-8"))
    ]
    assert sorted(listed) == sorted(f"sessions/{p.stem}.html" for p in record.session_files())


def test_parallel_reading_makes_the_same_site(
    demo: Record, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(demo, tmp_path / "one")
    monkeypatch.setattr(publish_module, "PARALLEL_FROM", 2)
    result = publish(demo, tmp_path / "two", workers=2)
    assert result.read == 12 and not result.problems
    one, two = site_pages(tmp_path / "one"), site_pages(tmp_path / "two")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]
    assert (tmp_path / "one" / "assets" / "search-2026.js").read_bytes() == (
        tmp_path / "two" / "assets" / "search-2026.js"
    ).read_bytes()


def test_dates_in_the_index_are_days(demo: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(demo, out)
    for row in data_rows(out):
        date.fromisoformat(row[1])
