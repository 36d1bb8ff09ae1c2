"""People's text written into Markdown so that it reads back as the same text.

A note, a name or a title is plain text, not Markdown: pasted in raw, a note that starts with
``# `` became a heading, an unclosed fence of three backticks swallowed the rest of a digest and
``<script>`` went through as HTML. Every piece of text an export writes goes through one of the
functions here, which escape what CommonMark and GFM would otherwise read as markup.

What the reader sees
    ``shown_lines(text)`` defines it: the text is passed through ``text.visible`` (control
    characters but newline and tab are shown as escapes such as ``\\x1b``; a CR LF becomes a
    line break), split on newlines, each line stripped of leading and trailing whitespace (as
    ``str.strip`` does: spaces, tabs, NBSP and the other Unicode spaces), and blank lines
    dropped. Spaces and tabs *inside* a line are kept. A renderer shows exactly these lines:

    - ``markdown_text`` (notes, answers, action items, the reflection) keeps each line as a
      line: lines are joined by a hard line break (a trailing backslash) and a run of blank
      lines becomes a paragraph break.
    - ``markdown_inline`` (headings, labels, names, list items) and ``markdown_cell`` (a table
      cell) have no room for a line break: the lines are joined by one space.

    Leading indentation is dropped on purpose: four spaces would start a code block, and a
    CommonMark paragraph strips it anyway. Trailing spaces are dropped too (two of them are a
    hard break).

Why ``visible`` here too
    A Markdown file could hold an ESC or a NUL as harmless text, but ``record export`` and
    ``record show`` print Markdown to the terminal, where an ESC starts an escape sequence and
    U+009B is a one-character CSI. So Markdown shows control characters as escapes, like the
    screens do; the JSON export keeps them exactly (escaped as JSON, see ``export``).

What is escaped (with a backslash, which CommonMark allows before any ASCII punctuation)
    - everywhere: the backslash (escapes), the backtick (code spans and fences), ``*`` (emphasis,
      lists, thematic breaks), ``~`` (GFM strikethrough and fences), ``[`` and ``]`` (links,
      images, references, footnotes), ``<`` (raw HTML and autolinks: HTML always shows as
      text), ``|`` (GFM tables), ``$`` (math on GitHub);
    - ``_`` unless it sits between two letters or digits (``snake_case`` cannot start
      emphasis and stays readable);
    - ``&`` only where it would start an entity reference (``&amp;``, ``&#35;``): ``Tom & Jerry``
      stays as it is;
    - at the start of a line only: ``#`` (ATX heading), ``>`` (block quote), ``-`` and ``+``
      (list, setext underline, thematic break), ``=`` (setext underline), ``:`` (a GFM table
      delimiter row), and the ``.`` or ``)`` after leading digits (ordered list);
    - in ``markdown_inline``, the first ``#`` of a run that ends the text after a space (it
      would close an ATX heading: ``x #``, not ``C#``).

    Bare URLs and e-mail addresses are left alone: GFM renderers turn them into links whose
    text is the address itself, which is what the writer typed. But GFM (markdown-it's linkify,
    for one) takes the text of a ``https://`` link from the Markdown source, backslashes and
    all: when the rest of such an address holds an escaped character (or the backslash of a
    hard line break follows it), the ``:`` of ``://`` is escaped too, and the address stays
    plain text.
"""

from __future__ import annotations

import re

from ..base.text import visible

_INLINE = re.compile(r"[\\`*~\[\]<|$]|&(?=#|[A-Za-z0-9]+;)|_+")
_LINE_START = re.compile(r"[#>+\-=:]|(\d+)([.)])")
_URL = re.compile(r":(?=//(\S*))")  # GFM may link from here, in the rest of the word
_CLOSING = re.compile(r"[ \t](#+)$")  # would close an ATX heading


def shown_lines(text: str) -> list[str | None]:
    """The lines a reader sees of ``text``, with ``None`` for each run of blank lines between
    them (a paragraph break). Empty when ``text`` shows nothing."""
    lines: list[str | None] = []
    for raw in visible(text).split("\n"):
        line = raw.strip()
        if line:
            lines.append(line)
        elif lines and lines[-1] is not None:
            lines.append(None)
    if lines and lines[-1] is None:
        lines.pop()
    return lines


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing once written as Markdown."""
    return not shown_lines(text)


def _escape(line: str, closing: bool = False, hard_break: bool = False) -> str:
    """One stripped line, escaped to read as itself wherever a line may start. With
    ``closing``, a run of ``#`` that ends the line after a space is escaped too; with
    ``hard_break``, the line ends with a backslash (a hard line break)."""

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in ``line``
    for match in _INLINE.finditer(line):
        found = match.group()
        if found[0] != "_":
            edits.append((match.start(), match.end(), "\\" + found))
            continue
        start, end = match.start(), match.end()
        inside = start > 0 and end < len(line) and line[start - 1].isalnum()
        if not (inside and line[end].isalnum()):
            edits.append((start, end, "\\_" * len(found)))
    if hard_break:  # a backslash, which an address that ends the line would take in
        edits.append((len(line), len(line), "\\"))
    for url in _URL.finditer(line):
        colon, end = url.start(), url.end(1)
        if any(colon < start <= end for start, _, _ in edits):
            edits.append((colon, colon + 1, "\\:"))
    pieces, done = [], 0
    for start, end, replacement in sorted(edits):
        pieces += [line[done:start], replacement]
        done = end
    escaped = "".join(pieces) + line[done:]
    closer = _CLOSING.search(escaped) if closing else None
    if closer is not None:
        escaped = f"{escaped[: closer.start(1)]}\\{escaped[closer.start(1) :]}"
    lead = _LINE_START.match(escaped)
    if lead is None:
        return escaped
    if lead.group(1) is not None:
        return f"{lead.group(1)}\\{escaped[lead.end(1) :]}"
    return "\\" + escaped


def markdown_text(text: str, indent: str = "") -> str:
    """``text`` as Markdown paragraphs that render as the same lines (see the module notes).

    ``indent`` starts every line but the first (blank lines between paragraphs stay empty), so
    the text may follow a list marker: ``"- " + markdown_text(text, indent="  ")``.
    """
    out: list[str] = []
    lines = shown_lines(text)
    for i, line in enumerate(lines):
        if line is None:
            out.append("")
            continue
        escaped = _escape(line, hard_break=i + 1 < len(lines) and lines[i + 1] is not None)
        out.append(escaped if not out else indent + escaped)
    return "\n".join(out)


def markdown_inline(text: str) -> str:
    """``text`` on one line (for a heading, a label or a list item): its lines joined by a
    space, escaped to render as that text."""
    return _escape(" ".join(line for line in shown_lines(text) if line is not None), closing=True)


def markdown_cell(text: str) -> str:
    """``text`` in one cell of a GFM table. ``|`` is escaped everywhere, so this is
    ``markdown_inline``; the name says where it is used."""
    return markdown_inline(text)
