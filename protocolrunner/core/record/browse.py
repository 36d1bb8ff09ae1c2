"""Browsing the community record: a list fetched a page at a time, and search matches.

The record browser shows sessions newest first from the search index. However large the record,
it asks the index for a count and one page of the rows a ``SessionFilter`` (``core.record.index``)
selects, and for the next page only when the reader gets near the end of what is loaded. What a
search matched is found here too, as character spans of plain text, so a screen can style them
without ever treating the text as markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.problems import Problem
from ..base.text import visible
from .index import EVERY_SESSION, MAX_QUERY_WORDS, SessionFilter, SessionIndex, SessionRow

if TYPE_CHECKING:
    from .models import SessionRecord

PAGE_SIZE = 60
"""Rows fetched from the index at a time: more than a tall terminal shows."""

Span = tuple[int, int]
"""``(start, end)`` character offsets into a string, end exclusive."""

MAX_TERMS = MAX_QUERY_WORDS
"""The most words one search may have. Each word is a term of the full-text query, and SQLite's
work on a query (its snippets above all) grows quickly with the number of terms: 1,000 copies of
one word took 20 s over 200 sessions."""


# -- filters and pages ------------------------------------------------------------------------


def parse_day(text: str) -> date | None:
    """A date typed as ``2026-10-03``; ``None`` when empty. Raises ``ValueError`` otherwise."""
    text = text.strip()
    if not text:
        return None
    return date.fromisoformat(text)


@dataclass
class SessionPages:
    """The sessions a filter selects, newest first, loaded from the index a page at a time.

    Paging needs no count: a short page is the last one. ``count()`` asks the index (once) how
    many sessions match, for showing; a screen can do that after the first rows are drawn.
    """

    index: SessionIndex
    filter: SessionFilter = EVERY_SESSION
    page_size: int = PAGE_SIZE
    rows: list[SessionRow] = field(default_factory=list)
    total: int | None = None
    """How many sessions match, once known (counted, or the last page reached)."""

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.rows) >= self.total

    def count(self) -> int:
        if self.total is None:
            self.total = self.index.count(self.filter)
        return self.total

    def fetch_more(self) -> list[SessionRow]:
        """The next page (empty when everything is loaded), also appended to ``rows``."""
        if self.complete:
            return []
        page = self.index.query(
            self.filter, limit=self.page_size, offset=len(self.rows), snippets=False
        )
        self.rows.extend(page)
        if len(page) < self.page_size:
            # The end (also when the index changed under us and has fewer rows than counted).
            self.total = len(self.rows)
        return page

    def needs_more(self, position: int, margin: int | None = None) -> bool:
        """Whether a reader at row ``position`` (or showing it) is near the end of what is
        loaded, so the next page should be fetched."""
        margin = self.page_size // 3 if margin is None else margin
        return not self.complete and position >= len(self.rows) - margin


# -- search matches -------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
"""A token as SQLite's unicode61 tokenizer sees one: a run of letters and digits."""


def fold(text: str) -> str:
    """How the index compares words: case- and accent-insensitively ("Élodie" = "elodie")."""
    if text.isascii():
        return text.lower()  # what the rest does to ASCII, in one step
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_terms(query: str) -> list[str]:
    """The folded words of a search; as in ``index.fts_query`` the last one is a prefix."""
    return [fold(m.group()) for m in _WORD.finditer(query.replace("\x00", " "))]


def match_spans(text: str, query: str) -> list[Span]:
    """Where the words of ``query`` occur in ``text``: whole words, except that the last word
    of the query also matches the start of a word (so highlights follow typing)."""
    terms = query_terms(query)
    if not terms or not text:
        return []
    whole, prefix = set(terms[:-1]), terms[-1]
    spans: list[Span] = []
    for match in _WORD.finditer(text):
        word = fold(match.group())
        if word in whole or word.startswith(prefix):
            spans.append((match.start(), match.end()))
    return spans


def snippet(text: str, query: str, width: int = 80) -> tuple[str, list[Span]]:
    """About ``width`` characters of ``text`` on one line around its first match, with the
    matches in it; ``("", [])`` when nothing matches. For showing: control characters in
    ``text`` come out as escapes (``core.base.text.visible``), and the spans are of that text."""
    flat = " ".join(visible(text).split())
    spans = match_spans(flat, query)
    if not spans:
        return "", []
    first_start, first_end = spans[0]
    start = max(0, min(first_start - width // 4, len(flat) - width))
    # Start at a word boundary, so the snippet does not open with half a word.
    if start > 0:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < first_start else start
    end = min(len(flat), max(start + width, first_end))
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(flat) else ""
    body = flat[start:end]
    shift = len(lead) - start
    kept = [(s + shift, min(e, end) + shift) for s, e in spans if s >= start and s < end]
    return lead + body + tail, kept


def searchable_texts(record: SessionRecord) -> list[str]:
    """The texts of a session that full-text search covers, in reading order."""
    texts = [answer.answer for answer in record.setup]
    texts += [note.text for step in record.steps for note in step.notes]
    texts += [
        f"{action.text} ({action.owner})" if action.owner else action.text
        for action in record.actions
    ]
    texts.append(record.reflection)
    texts.append(" ".join(record.attendees))
    return [text for text in texts if text.strip()]


def session_snippet(record: SessionRecord, query: str, width: int = 80) -> tuple[str, list[Span]]:
    """The first searchable text of ``record`` that matches ``query``, as a snippet."""
    for text in searchable_texts(record):
        found = snippet(text, query, width)
        if found[1]:
            return found
    return "", []


# -- problems -----------------------------------------------------------------------------


def describe_problem(problem: Problem, root: Path) -> str:
    """A problem with its file named relative to the record, the way people find it; for
    showing, so control characters come out as escapes."""
    path = Path(problem.file)
    try:
        # The folder resolved, not the file: a link is named as itself, not as its target.
        shown = (path.parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return visible(str(problem))
    return visible(str(replace(problem, file=shown)))
