"""Sessions as PDF, through Typst (the ``typst`` package: the compiler inside a wheel).

Why Typst: it installs with pip alone, compiles a page in a few hundredths of a second, and
shapes Arabic and Hebrew and lays out right-to-left text with the fonts it carries (fpdf2 would
need a font file shipped here and a separate shaping library). The text of a session is handed to
a fixed template (``templates/sessions.typ``) as JSON data and shown as strings, never pasted into
Typst markup, which would read ``#``, ``*``, ``<label>`` or ``$`` in a note as commands.

Chinese, Japanese and Korean need a font Typst does not carry: they render when the computer has
one (Noto Sans CJK, say; system fonts are searched), and are missing from the PDF otherwise. The
HTML export shows them with the browser's fonts.

Typst is an optional dependency (``pip install "protocolrunner[pdf]"``): without it,
``PdfUnavailable`` says so in one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ..record.models import SessionRecord
from .document import SessionDocument, one_line, session_document, text_lines

INSTALL_HINT = 'PDF export needs Typst: pip install "protocolrunner[pdf]"'


class PdfUnavailable(RuntimeError):
    """The ``typst`` package is not installed."""


class PdfFailed(RuntimeError):
    """Typst could not make the document (a one-line reason)."""


def _template() -> bytes:
    return resources.files(__package__).joinpath("templates", "sessions.typ").read_bytes()


def _document_data(doc: SessionDocument) -> dict[str, Any]:
    facts = [["When", doc.when], ["Time", doc.time], ["Status", doc.status]]
    if one_line(doc.community):
        facts.append(["Community", one_line(doc.community)])
    if doc.attendees:
        facts.append(["Present", ", ".join(one_line(n) for n in doc.attendees)])
    facts += [[one_line(r.label) or "Role", one_line(r.text)] for r in doc.roles]

    def labelled(label: str, text: str) -> dict[str, Any]:
        return {"label": one_line(label), "text": text_lines(text)}

    return {
        "title": one_line(doc.title),
        "focus": one_line(doc.lead.text) if doc.lead else "",
        "lead": labelled(doc.lead.label, doc.lead.text) if doc.lead else None,
        "facts": facts,
        "setup": [labelled(item.label, item.text) for item in doc.setup],
        "timing": [
            {
                "number": row.number,
                "title": one_line(row.title),
                "planned": row.planned,
                "actual": row.actual,
                "note": row.note,
                "over": row.over,
            }
            for row in doc.timing
        ],
        "planned": doc.planned,
        "actual": doc.actual,
        "notes": [
            {
                "number": step.number,
                "title": one_line(step.title),
                "notes": [labelled(n.label, n.text) for n in step.notes],
            }
            for step in doc.notes
        ],
        "actions": [
            {"text": one_line(a.text), "owner": one_line(a.owner), "state": a.state_words}
            for a in doc.actions
        ],
        "reflection": text_lines(doc.reflection),
    }


def _compile(data: dict[str, Any], system_fonts: bool) -> bytes:
    try:
        import typst
    except ImportError:
        raise PdfUnavailable(INSTALL_HINT) from None
    try:
        return typst.compile(
            _template(),
            ignore_system_fonts=not system_fonts,
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
        )
    except Exception as exc:  # the binding raises its own error types, one per kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdfFailed(f"could not make the PDF: {first}") from None


def session_pdf(record: SessionRecord, *, paper: str = "a4", system_fonts: bool = True) -> bytes:
    """A session as a PDF. ``system_fonts=False`` uses only the fonts Typst carries."""
    doc = session_document(record)
    data = {
        "title": one_line(doc.title),
        "paper": paper,
        "digest": False,
        "sessions": [_document_data(doc)],
    }
    return _compile(data, system_fonts)


def digest_pdf(
    records: Sequence[SessionRecord],
    title: str,
    *,
    paper: str = "a4",
    system_fonts: bool = True,
) -> bytes:
    """Several sessions, oldest first, each from a new page, after a list of them."""
    ordered = sorted(records, key=lambda r: r.started)
    data = {
        "title": one_line(title),
        "paper": paper,
        "digest": True,
        "sessions": [_document_data(session_document(r)) for r in ordered],
    }
    return _compile(data, system_fonts)
