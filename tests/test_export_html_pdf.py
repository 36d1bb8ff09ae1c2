"""HTML and PDF exports show people's text as that very text, and never as markup.

The HTML check is the Markdown export's (``test_export_markdown``), on the same corpus: each
session is exported with the hostile text and with a clean stand-in token for each of its lines;
parsed by the standard library's HTML parser, the hostile page must read as the clean one with
each token replaced by its line, and have the very same elements and attributes. What a reader
sees of a text is defined once for every export (``markdown.shown_lines``).

The PDF is made by Typst from data, never from markup: its text, extracted with pypdf, holds
names in accented and non-Latin scripts and Typst's own markup characters as they were typed.
"""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import run_cli
from test_export_markdown import CLEAN, FIELDS, REGRESSIONS, TOKEN, all_fields, session, stand_ins

from protocolrunner.core.base.text import has_control
from protocolrunner.core.export.document import one_line, session_document
from protocolrunner.core.export.escape import shown_lines
from protocolrunner.core.export.html import digest_html, session_html
from protocolrunner.core.record.models import RecordedAction

BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "thead", "tbody",
    "tfoot", "tr", "td", "th", "div", "dl", "dt", "dd", "article", "main", "nav", "header",
    "footer", "title", "style", "head", "body", "html",
}  # fmt: skip


class Page(HTMLParser):
    """The text lines, the elements and their attributes of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._text: list[str] = []
        self.tags: list[tuple[str, list]] = []
        self.feed(html)
        self.close()
        joined = "".join(self._text)
        self.lines = [line.strip() for line in joined.split("\n") if line.strip()]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, attrs))
        if tag == "br" or tag in BLOCKS:
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((f"/{tag}", []))
        if tag in BLOCKS:
            self._text.append("\n")

    def handle_data(self, data: str) -> None:
        self._text.append(data.replace("\n", " "))


def assert_renders_as_text(export: Callable[[Mapping[str, str]], str], texts) -> None:
    clean, meaning = stand_ins(texts)
    hostile_html, clean_html = export(texts), export(clean)
    assert not has_control(hostile_html)
    seen, expected = Page(hostile_html), Page(clean_html)
    want = [TOKEN.sub(lambda m: meaning[m.group()], line) for line in expected.lines]
    assert seen.lines == want, hostile_html
    assert seen.tags == expected.tags, "elements differ"
    # No attribute carries people's text: only the page's own ids, classes and links.
    assert not any(TOKEN.search(str(value)) for _, attrs in expected.tags for _, value in attrs)


def one_session(texts: Mapping[str, str]) -> str:
    return session_html(session(texts))


def two_sessions(texts: Mapping[str, str]) -> str:
    return digest_html([session(CLEAN, day=8), session(texts, day=1)], texts["digest"])


@pytest.mark.parametrize("text", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_text_in_every_field_of_an_html_session_shows_as_itself(text: str) -> None:
    assert_renders_as_text(one_session, dict.fromkeys(FIELDS, text))


@pytest.mark.parametrize("text", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_text_in_every_field_of_an_html_digest_shows_as_itself(text: str) -> None:
    assert_renders_as_text(two_sessions, dict.fromkeys(FIELDS, text))


@settings(max_examples=150, deadline=None)
@given(texts=all_fields)
def test_any_text_in_an_html_session_shows_as_itself(texts: dict[str, str]) -> None:
    assert_renders_as_text(one_session, texts)


@settings(max_examples=60, deadline=None)
@given(texts=all_fields)
def test_any_text_in_an_html_digest_shows_as_itself(texts: dict[str, str]) -> None:
    assert_renders_as_text(two_sessions, texts)


@given(st.text(st.sampled_from("ab \t\r\n\x1b\x85\u2028")) | st.text())
def test_one_line_joins_the_shown_lines_also_by_its_short_cut(text: str) -> None:
    assert one_line(text) == " ".join(line for line in shown_lines(text) if line is not None)


def test_html_page_is_self_contained_and_scriptless() -> None:
    html = one_session({**CLEAN, "note": "<script>alert(1)</script>", "title": "<b>T</b>"})
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "default-src 'none'" in html  # nothing loaded, no script runs
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    page = Page(html)
    assert page.tags[0] == ("html", [("lang", "en")])
    assert [t for t, _ in page.tags if t in ("main", "h1")] == ["main", "h1"]


def test_html_headings_go_down_one_level_at_a_time() -> None:
    for html in (one_session(CLEAN), two_sessions(CLEAN)):
        levels = [int(tag[1]) for tag, _ in Page(html).tags if re.fullmatch(r"h\d", tag)]
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_html_shows_timing_outcome_and_follow_through_from_the_core() -> None:
    record = session(CLEAN).model_copy(
        update={
            "actions": [
                RecordedAction(text="Carry me", status="carried"),
                RecordedAction(text="Drop me", status="dropped"),
                RecordedAction(text="Done", done=True),
            ]
        }
    )
    doc = session_document(record)
    lines = Page(session_html(record)).lines
    assert doc.time in lines and "completed" in lines  # timing_phrase, outcome_label
    assert "Total" in lines and doc.planned in lines and doc.actual in lines
    assert "+1:00 given" in lines and "skipped" in lines
    assert [line for line in lines if line.endswith((" me", " Done"))] == [
        "carried forward Carry me",
        "dropped Drop me",
        "done Done",
    ]


# -- PDF ---------------------------------------------------------------------------------------

NAMES = ["Zoë Ångström", "François Ñúñez", "Αλέξης Παππάς", "Дмитрий Кузнецов"]
RIGHT_TO_LEFT = ["محمد علي", "יעל כהן"]

TYPST_MARKUP = [
    "#set text(red)",
    "<script>alert(1)</script>",
    "*not bold* _not italic_",
    "$x^2$",
    "@ref <label>",
    "= not a heading",
    "// not a comment",
    "#{ 1 + 1 }",
    "\\ back \\slash",
    "[bracket] {brace}",
]


def pdf_text(pdf: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Text without white space: extraction puts spaces and line breaks where it likes."""
    return "".join(text.split())


def pdf_session(**texts: str) -> bytes:
    export_pdf = pytest.importorskip("protocolrunner.core.export.pdf")
    pytest.importorskip("typst")
    return export_pdf.session_pdf(session({**CLEAN, **texts}), system_fonts=False)


def test_pdf_shows_accented_and_non_latin_names() -> None:
    pdf = pdf_session(
        attendee=NAMES[0],
        guest=", ".join(NAMES[1:]),
        owner=RIGHT_TO_LEFT[0],
        presenter=RIGHT_TO_LEFT[1],
    )
    assert pdf.startswith(b"%PDF-")
    text = squeezed(pdf_text(pdf))
    for name in NAMES:
        assert squeezed(name) in text, name
    # Right-to-left names come back in visual order: each word is there.
    assert all(word in text for name in RIGHT_TO_LEFT for word in name.split())


@pytest.mark.parametrize("markup", TYPST_MARKUP)
def test_pdf_shows_typst_markup_in_notes_as_typed(markup: str) -> None:
    pdf = pdf_session(note=markup, title=markup, attendee=markup, action=markup)
    text = squeezed(pdf_text(pdf))
    assert text.count(squeezed(markup)) >= 4, text


def test_pdf_digest_lists_and_holds_every_session() -> None:
    export_pdf = pytest.importorskip("protocolrunner.core.export.pdf")
    pytest.importorskip("typst")
    records = [session({**CLEAN, "note": f"Note {day}"}, day=day) for day in (3, 1, 2)]
    text = pdf_text(export_pdf.digest_pdf(records, "Circle: 3 sessions", system_fonts=False))
    assert "3 session(s)." in text
    assert [int(n) for n in re.findall(r"Note (\d)", text)] == [1, 2, 3]  # oldest first


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, timeout=30)
    return bool(found.stdout.strip())


@pytest.mark.skipif(
    not _has_cjk_font(),
    reason="no CJK font on this computer (e.g. Debian's fonts-noto-cjk): Typst carries none, "
    "so Chinese, Japanese and Korean are missing from PDFs here (documented in the README)",
)
def test_pdf_shows_cjk_names_with_a_system_font() -> None:
    export_pdf = pytest.importorskip("protocolrunner.core.export.pdf")
    pdf = export_pdf.session_pdf(session({**CLEAN, "attendee": "王小明 日本語"}))
    assert "王小明" in squeezed(pdf_text(pdf))


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def demo_record(tmp_path: Path) -> Path:
    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo

    root = tmp_path / "record"
    write_demo(root, load_library(default_sources()), sessions=4)
    return root


def test_record_export_html_writes_a_page(capsys, demo_record: Path, tmp_path: Path) -> None:
    target = tmp_path / "digest.html"
    status, out, err = run_cli(
        capsys, "--record", str(demo_record), "record", "export", "--format", "html", "-o",
        str(target),
    )  # fmt: skip
    assert status == 0 and out == ""
    assert err == f"Wrote 4 session(s) to {target}\n"
    page = Page(target.read_text(encoding="utf-8"))
    assert page.lines[0].endswith(": 4 sessions")  # the title, named after the community
    assert sum(1 for tag, _ in page.tags if tag == "article") == 4


def test_record_export_pdf_writes_a_pdf(capsys, demo_record: Path, tmp_path: Path) -> None:
    pytest.importorskip("typst")
    target = tmp_path / "digest.pdf"
    status, _, _ = run_cli(
        capsys, "--record", str(demo_record), "record", "export", "--format", "pdf", "-o",
        str(target),
    )  # fmt: skip
    assert status == 0
    assert "4 session(s)." in pdf_text(target.read_bytes())


def test_record_export_pdf_without_typst_says_how_to_get_it(
    capsys, demo_record: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "typst", None)  # an import of it fails
    status, out, err = run_cli(
        capsys, "--record", str(demo_record), "record", "export", "--format", "pdf", "-o",
        str(tmp_path / "x.pdf"),
    )  # fmt: skip
    assert status == 1 and out == ""
    assert (
        err == 'protocolrunner: error: PDF export needs Typst: pip install "protocolrunner[pdf]"\n'
    )
    assert not (tmp_path / "x.pdf").exists()
