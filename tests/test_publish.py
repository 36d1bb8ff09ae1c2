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
from support import run_cli
from test_export_html_pdf import Page
from test_export_markdown import FIELDS, REGRESSIONS, TOKEN, session, stand_ins

from protocolrunner.core.browse import query_terms, searchable_texts
from protocolrunner.core.demo import write_demo
from protocolrunner.core.followthrough import load_items, mark
from protocolrunner.core.library import default_sources, load_library
from protocolrunner.core.models import Community, Member
from protocolrunner.core.publish import SITE_STYLE, PublishError, publish, search_terms
from protocolrunner.core.record import Record, session_toml
from protocolrunner.core.text import has_control

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
    return sorted(out.glob("*.html")) + sorted((out / "sessions").glob("*.html"))


def data_rows(out: Path) -> list[list]:
    text = (out / "assets" / "search-data.js").read_text("utf-8")
    prefix = "window.PROTOCOLRUNNER_SESSIONS = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


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
    rows = {row[0]: row for row in data_rows(out)}
    loaded = demo.load_sessions().sessions
    assert len(rows) == len(loaded)
    for _, session_record in loaded:
        words = {t for text in searchable_texts(session_record) for t in query_terms(text)}
        (row,) = [r for name, r in rows.items() if name.endswith(session_record.id)]
        assert set(row[8].split()) == words
        assert row[8].startswith(" ") and row[8].endswith(" ")


@pytest.mark.parametrize(
    "text", ["Élodie's ÇA va? straße", "x_y 1.5 日本語 e\u0301t\u00e9", "İstanbul ǅ ﬁ ①"]
)
def test_search_terms_are_the_query_terms_of_the_texts(text: str) -> None:
    """The same words as the index's search finds in composed text (as typed, NFC); in text
    written decomposed, an accent no longer splits a word in two."""
    composed = unicodedata.normalize("NFC", text)
    assert search_terms([text, "two"]) == [*query_terms(composed), "two"]


def test_publishing_again_writes_only_what_changed(record: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = publish(record, out)
    assert len(first.written) == 6 + 4 + 3  # pages, shared pages, assets
    again = publish(record, out)
    assert again.read == 0 and again.written == [] and again.removed == []

    # One session's note edited: its page and the search data, nothing else.
    path, changed = record.load_sessions().sessions[2]
    steps = [s.model_copy() for s in changed.steps]
    note = steps[1].notes[0].model_copy(update={"text": "A quokka visited the lesson."})
    steps[1] = steps[1].model_copy(update={"notes": [note, *steps[1].notes[1:]]})
    path.write_text(session_toml(changed.model_copy(update={"steps": steps})), "utf-8")
    one = publish(record, out)
    page_name = next(n for n in one.written if n.startswith("sessions/"))
    assert one.read == 1 and set(one.written) == {page_name, "assets/search-data.js"}
    assert "A quokka visited the lesson." in (out / page_name).read_text("utf-8")

    # An action item reviewed: its session's page and the open items.
    item = next(i for i in load_items(record) if i.state == "open")
    mark(record, item, "dropped", datetime(2026, 12, 1, 12, tzinfo=UTC), by="Ann")
    reviewed = publish(record, out)
    assert reviewed.read == 1 and "actions.html" in reviewed.written
    assert any(name.startswith("sessions/") for name in reviewed.written)

    # A session removed: its page goes.
    path.unlink()
    removed = publish(record, out)
    assert removed.removed == [page_name] and not (out / page_name).exists()
    assert removed.sessions == 5


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
        f"Published 6 session(s) to {out}: 10 page(s) written, 0 removed, 6 session file(s) read."
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


def test_dates_in_the_index_are_days(demo: Record, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(demo, out)
    for row in data_rows(out):
        date.fromisoformat(row[1])
