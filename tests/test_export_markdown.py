"""Markdown exports render people's text as that very text, whatever it holds.

A note starting with ``# `` became a heading, an unclosed fence swallowed the rest of a digest,
``<script>`` passed through as HTML. Here every export is rendered by markdown-it-py, as
CommonMark (with tables) and as GFM ("gfm-like": tables, strikethrough, linkify), and read back
as text with the standard library's HTML parser.

What a reader must see of a text (the normalisation, precisely): ``visible(text)`` split on
``"\\n"``, each line stripped with ``str.strip()``, blank lines dropped. In one-line places
(headings, labels, names, table cells) those lines are joined by one space. On the rendered side
a line ends at ``<br>`` and at the start or end of a block element; a newline in the HTML text is
whitespace (a soft break shows as a space, so it must not pass for a line break).

The check: each session is exported twice, once with the hostile text and once with a clean
stand-in token (``Zq3x0q``) for each of its lines, keeping its blank lines. The hostile export
must render as the clean one with each token replaced by its line, and with the same HTML
elements (in GFM, links that linkify makes of a bare address typed in the text are allowed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from protocolrunner.core.base.text import has_control, visible
from protocolrunner.core.export.escape import (
    is_blank,
    markdown_cell,
    markdown_inline,
    markdown_text,
    shown_lines,
)
from protocolrunner.core.export.markdown import (
    digest_markdown,
    session_data,
    session_json,
    session_markdown,
    sessions_json,
)
from protocolrunner.core.record.models import (
    RecordedAction,
    RecordedProtocol,
    RecordedStep,
    RoleHolders,
    SessionRecord,
    SetupAnswer,
    StepNotes,
)

RENDERERS = {
    "commonmark": MarkdownIt("commonmark").enable("table"),
    "gfm-like": MarkdownIt("gfm-like"),
}
BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "thead", "tbody", "tr",
    "td", "th", "blockquote", "pre", "hr", "div",
}  # fmt: skip
LINK_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


class Rendered(HTMLParser):
    """The text lines and the elements of rendered HTML."""

    def __init__(self, html: str, links_allowed: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._text: list[str] = []
        self.tags: list[tuple[str, list]] = []
        self.links: list[str] = []
        self._links_allowed = links_allowed
        self.feed(html)
        self.close()
        joined = "".join(self._text)
        self.lines = [line.strip() for line in joined.split("\n") if line.strip()]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a" and self._links_allowed:
            # linkify: a bare address typed in the text, linked to itself.
            assert [name for name, _ in attrs] == ["href"], attrs
            self.links.append(attrs[0][1])
        else:
            self.tags.append((tag, attrs))
        if tag == "br" or tag in BLOCKS:
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._text.append("\n")

    def handle_data(self, data: str) -> None:
        self._text.append(data.replace("\n", " "))


def render(preset: str, markdown: str) -> Rendered:
    return Rendered(RENDERERS[preset].render(markdown), links_allowed=preset == "gfm-like")


# -- records with text in every place an export writes it --------------------------------------

FIELDS = (
    "title", "community", "attendee", "guest", "role", "presenter", "focus_label", "focus",
    "label", "answer", "step", "step2", "note_label", "note", "action", "owner",
    "reflection", "digest",
)  # fmt: skip


def session(texts: Mapping[str, str], day: int = 1) -> SessionRecord:
    """A session holding ``texts[field]`` for every field in ``FIELDS`` but ``digest``."""
    started = datetime(2026, 10, day, 16, 0, tzinfo=UTC)
    return SessionRecord(
        id=f"{day:08x}",
        status="completed",
        started=started,
        ended=started + timedelta(minutes=50),
        community=texts["community"],
        attendees=[texts["attendee"], texts["guest"]],
        reflection=texts["reflection"],
        protocol=RecordedProtocol(id="consultancy", title=texts["title"]),
        setup=[
            SetupAnswer(id="focus", label=texts["focus_label"], answer=texts["focus"]),
            SetupAnswer(id="context", label=texts["label"], answer=texts["answer"]),
        ],
        roles=[RoleHolders(id="presenter", name=texts["role"], people=[texts["presenter"]])],
        steps=[
            RecordedStep(
                id="overview",
                title=texts["step"],
                planned_seconds=600,
                actual_seconds=660,
                extended_seconds=60,
                notes=[StepNotes(id="notes", label=texts["note_label"], text=texts["note"])],
            ),
            RecordedStep(
                id="debrief",
                title=texts["step2"],
                planned_seconds=300,
                actual_seconds=0,
                skipped=True,
            ),
        ],
        actions=[
            RecordedAction(text=texts["action"], owner=texts["owner"]),
            RecordedAction(text="Bring the plain follow-up", done=True),
        ],
    )


CLEAN = {field: f"Plain {field.replace('_', ' ')}" for field in FIELDS}
TOKEN = re.compile(r"Zq\d+x\d+q")


def stand_ins(texts: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Clean texts of the same shape as ``texts`` (a token for each line a reader sees, the
    blank lines kept), and what each token stands for."""
    clean: dict[str, str] = {}
    meaning: dict[str, str] = {}
    for i, (field, text) in enumerate(texts.items()):
        out = []
        for raw in visible(text).split("\n"):
            if raw.strip():
                token = f"Zq{i}x{len(meaning)}q"
                meaning[token] = raw.strip()
                out.append(token)
            else:
                out.append(raw)
        clean[field] = "\n".join(out)
    return clean, meaning


def assert_renders_as_text(
    export: Callable[[Mapping[str, str]], str], texts: Mapping[str, str]
) -> None:
    """``export(texts)`` renders as ``export`` of the stand-ins with the text put back."""
    clean, meaning = stand_ins(texts)
    hostile_md, clean_md = export(texts), export(clean)
    assert not has_control(hostile_md), hostile_md
    for preset in RENDERERS:
        seen, expected = render(preset, hostile_md), render(preset, clean_md)
        want = [TOKEN.sub(lambda m: meaning[m.group()], line) for line in expected.lines]
        assert seen.lines == want, f"{preset}\n{hostile_md}"
        assert seen.tags == expected.tags, f"{preset}: elements differ\n{hostile_md}"
        assert all(link.startswith(LINK_SCHEMES) for link in seen.links), seen.links
        if preset == "commonmark":
            assert seen.links == []


def one_session(texts: Mapping[str, str]) -> str:
    return session_markdown(session(texts))


def two_sessions(texts: Mapping[str, str]) -> str:
    """A digest titled ``texts["digest"]``: the hostile session first, then a clean one it
    must not swallow."""
    return digest_markdown([session(CLEAN, day=8), session(texts, day=1)], texts["digest"])


# -- regressions: each text below broke an export ----------------------------------------------

REGRESSIONS = {
    "hash-at-line-start-became-a-heading": "# Not a heading\n## nor this\n#hashtag",
    "line-then-equals-became-a-setext-heading": "Title line\n===",
    "line-then-dashes-became-a-setext-heading": "Title line\n---\nmore",
    "unclosed-fence-swallowed-the-rest": "```python\nprint('hi')",
    "tilde-fence-and-strikethrough": "~~~\nfenced\n~~gone~~ ~x~",
    "stars-became-emphasis": "*emphasis* and **strong** and a*b*c",
    "underscores-became-emphasis": "_x_ and __y__ and _a_b_ but snake_case stays",
    "brackets-became-links": "[link](https://example.com) ![img](x.png) [ref]\n[ref]: /url",
    "footnote-syntax": "text[^1]\n[^1]: the note",
    "script-tag-passed-through": "<script>alert(1)</script>",
    "img-onerror-passed-through": '<img src=x onerror="alert(1)">',
    "obrien-lost-his-angle-bracket-text": "O'Brien <x> and <b>bold</b> </p>",
    "html-block-at-line-start": "<div>\n*hi*\n</div>\n<!-- hidden -->\n<?php x ?>",
    "angle-autolinks": "<https://example.com> <a@b.co>",
    "pipe-broke-the-table": "a | b || c |",
    "pipe-lines-became-a-table": "| a | b |\n|---|---|\n| 1 | 2 |",
    "delimiter-row-without-pipes": "Header\n:-:\nHeader\n---:",
    "leading-gt-became-a-quote": "> quoted\n>also\n >> deeper",
    "leading-dash-plus-star-became-lists": "- one\n+ two\n* three\n- [ ] task\n-",
    "leading-numbers-became-an-ordered-list": "1. one\n2) two\n10. ten\n1234567890) big",
    "thematic-breaks": "***\n___\n- - -\n* * *",
    "backticks-became-code": "use `code` and ``x`` and `",
    "entities-were-decoded": "&amp; &lt;b&gt; &#35; &#x41; &copy; &nbsp; Tom & Jerry R&D;",
    "backslashes-were-eaten": "C:\\new\\ \\* \\\\ \\# end\\",
    "trailing-double-space-hard-break": "first  \nsecond   \nthird\\",
    "four-space-indent-became-code": "    indented code\n\tand a tab\n        deeper",
    "tabs-inside-lines": "a\tb\t\tc",
    "dollar-became-math": "$5 and $10, $x$",
    "trailing-hash-closed-a-heading": "Step #\nC#",
    "only-punctuation": "#",
    "paragraphs-and-blank-lines": "para one\n\n\n  para two\nline\n \n\t\nthree",
    "control-characters": "\x1b[2J\x9b31m\x00\x07 bell\rcr\x7f\x85\x1c",
    "osc-52-clipboard": "\x1b]52;c;aGk=\x07",
    "crlf-and-cr": "one\r\ntwo\rthree",
    "unicode": "café 日本語 👩\u200d🏫 עברית \u00a0nbsp\u2028sep\u200bzw \u3000ideo",
    "bare-urls-and-emails": "see https://example.com/a_b_(c) and www.example.com or a@b.co",
    "url-took-the-hard-break-backslash": "https://example.com/a_b\nhttps://example.com\nx",
    "url-at-the-end": "https://example.com/a",
    "two-urls-in-one-word": "<http://example.com>https://example.com/a_b***",
    "emoji-and-mentions": ":smile: @someone #12",
    "brace-attributes": "{#id .class}",
}


@pytest.mark.parametrize("text", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_text_in_every_field_renders_as_itself(text: str) -> None:
    assert_renders_as_text(one_session, dict.fromkeys(FIELDS, text))


@pytest.mark.parametrize("text", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_text_in_every_field_of_a_digest_renders_as_itself(text: str) -> None:
    assert_renders_as_text(two_sessions, dict.fromkeys(FIELDS, text))


@pytest.mark.parametrize("preset", RENDERERS)
def test_unclosed_fence_in_session_one_does_not_swallow_session_two(preset: str) -> None:
    """A note of ```` ```python ```` with no closing fence swallowed the rest of the digest."""
    texts = {**CLEAN, "note": "```python\nprint('unclosed')", "reflection": "```"}
    html = RENDERERS[preset].render(two_sessions(texts))
    assert html.count("<table>") == 2
    assert html.count("<h2>") == 2
    assert "<pre>" not in html and "<code>" not in html
    assert html.count("Plain reflection") == 1  # the second session's reflection


def test_markdown_shows_control_characters_as_escapes() -> None:
    """``record export`` prints Markdown to the terminal: an ESC or a CSI must not reach it."""
    note = "before\x1b]52;c;aGk=\x07\x9b2J after"
    markdown = one_session({**CLEAN, "note": note, "title": "Tuning\x1b[2J"})
    assert not has_control(markdown)
    text = render("commonmark", markdown).lines
    assert "before\\x1b]52;c;aGk=\\x07\\x9b2J after" in text
    assert text[0] == "Tuning\\x1b[2J, 1 Oct 2026"


# -- the escaping functions themselves ---------------------------------------------------------


def test_plain_prose_is_left_as_it_is() -> None:
    prose = "Tom & Jerry's plan (v2): 50% done, see page 4. Is it worth it? Yes! snake_case"
    assert markdown_text(prose) == prose
    assert markdown_inline(prose) == prose
    assert markdown_text("Ann asked: what now?\nBea: wait.") == "Ann asked: what now?\\\nBea: wait."


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("# x", "\\# x"),
        ("a\n===", "a\\\n\\==="),
        ("- a\n+ b\n1. c\n2) d", "\\- a\\\n\\+ b\\\n1\\. c\\\n2\\) d"),
        ("> q", "\\> q"),
        ("*a* _b_ a_b", "\\*a\\* \\_b\\_ a_b"),
        ("<b> [x](y) `c` ~d~ $e | f", "\\<b> \\[x\\](y) \\`c\\` \\~d\\~ \\$e \\| f"),
        ("&amp; & &#35;", "\\&amp; & \\&#35;"),
        ("C:\\dir\\", "C:\\\\dir\\\\"),
        ("    code  \n\tnext", "code\\\nnext"),
        ("one\n\n\ntwo", "one\n\ntwo"),
        ("\x1b[2J", "\\\\x1b\\[2J"),
    ],
)
def test_markdown_text_escapes_what_markdown_would_read(text: str, markdown: str) -> None:
    assert markdown_text(text) == markdown


def test_markdown_text_indents_continuation_lines_for_a_list_item() -> None:
    assert markdown_text("a\nb\n\nc", indent="  ") == "a\\\n  b\n\n  c"


def test_inline_and_cell_text_is_one_line() -> None:
    assert markdown_inline("a\n  b\n\nc") == "a b c"
    assert markdown_cell("x | y\nz") == "x \\| y z"
    assert markdown_inline("Step #") == "Step \\#"
    assert markdown_inline("C#") == "C#"


def test_shown_lines_and_blankness() -> None:
    assert shown_lines(" a \r\n\n\n\tb\x1b ") == ["a", None, "b\\x1b"]
    assert shown_lines("\n \n\t") == []
    assert is_blank(" \u00a0\n") and not is_blank("\x00")


# -- any text ----------------------------------------------------------------------------------

FRAGMENTS = [
    "# ", "#", "## ", "===", "---", "***", "___", "- - -", "```", "```python", "~~~", "`", "``",
    "*", "**", "_", "__", "~~", "~", "[link](http://example.com)", "[x]", "![i](x.png)",
    "[^1]", "[a]: /url", "]", "(", ")", "<script>alert(1)</script>", "<img src=x onerror=a()>",
    "<div>", "</p>", "<!-- c -->", "<?x ?>", "<![CDATA[x]]>", "<http://example.com>", "<x>",
    "O'Brien", "|", "| a | b |", "|---|---|", ":-:", ":", "> ", ">", "- ", "+ ", "* ", "1. ",
    "1) ", "10.", "&amp;", "&#35;", "&#x41;", "&copy", "&", ";", "\\", "\\\\", "  ", "    ",
    "\t", "\n", "\n\n", "  \n", "\\\n", "\r\n", "\r", "café", "日本語", "👩\u200d🏫", "עברית",
    "\u00a0", "\u2028", "\u200b", "\ufeff", "\x00", "\x1b[2J", "\x1b]52;c;aGk=\x07", "\x9b",
    "\x85", "\x7f", "\x0b", "\x0c", "$", "$x$", "www.example.com", "https://example.com/a_b",
    "a@b.co", ":smile:", "@name", "{#id}", "snake_case", "x", "word", " ", "=", "+", "-", "!",
    "0", "1", "9.",
]  # fmt: skip
awkward = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=8).map(
    "".join
)
titles = awkward.filter(bool)  # a protocol title may not be empty
all_fields = st.fixed_dictionaries(
    {field: titles if field == "title" else awkward for field in FIELDS}
)


@settings(max_examples=200, deadline=None)
@given(texts=all_fields)
def test_any_text_in_a_session_renders_as_itself(texts: dict[str, str]) -> None:
    assert_renders_as_text(one_session, texts)


@settings(max_examples=100, deadline=None)
@given(texts=all_fields)
def test_any_text_in_a_digest_renders_as_itself(texts: dict[str, str]) -> None:
    assert_renders_as_text(two_sessions, texts)


# -- JSON stays exact --------------------------------------------------------------------------

CONTROLS = "esc\x1b[2J bel\x07 nul\x00 csi\x9b31m nel\x85 del\x7f café 日本語 \u2028"


def test_json_keeps_text_exact_and_escapes_c1_and_del() -> None:
    """JSON escapes C0 controls itself but let U+009B (a CSI) and DEL through to a terminal."""
    record = session({**CLEAN, "note": CONTROLS, "title": CONTROLS})
    out = session_json(record)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out)
    assert "\\u009b31m" in out and "\\u007f" in out and "\\u0085" in out
    assert "café 日本語" in out  # letters stay readable
    assert json.loads(out) == session_data(record)
    assert json.loads(out)["steps"][0]["notes"][0]["text"] == CONTROLS


def test_several_sessions_as_json_escape_c1_too() -> None:
    records = [session({**CLEAN, "reflection": CONTROLS}, day=d) for d in (1, 2)]
    out = sessions_json(records)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out)
    assert [item["reflection"] for item in json.loads(out)] == [CONTROLS, CONTROLS]
