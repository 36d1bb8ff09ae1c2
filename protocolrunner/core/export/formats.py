"""The export formats, by name: one session or a digest of several, as Markdown, JSON, HTML or
PDF. The command line and the app's screens both export through ``render_export``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..record.models import SessionRecord


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    """What people call it: ``Markdown``."""
    suffix: str
    media_type: str
    binary: bool = False


FORMATS = {
    "md": ExportFormat("Markdown", ".md", "text/markdown"),
    "json": ExportFormat("JSON", ".json", "application/json"),
    "html": ExportFormat("HTML", ".html", "text/html"),
    "pdf": ExportFormat("PDF", ".pdf", "application/pdf", binary=True),
}


def digest_title(community: str, count: int) -> str:
    return f"{community}: {count} sessions"


def render_export(kind: str, sessions: Sequence[SessionRecord], title: str) -> str | bytes:
    """``sessions`` in the format ``kind`` (a key of ``FORMATS``): one session alone, or a
    digest titled ``title`` of several (JSON: a list). PDF is bytes, the others text.

    Raises ``export_pdf.PdfUnavailable`` for PDF when Typst is not installed.
    """
    if kind == "json":
        from .markdown import session_json, sessions_json

        return session_json(sessions[0]) if len(sessions) == 1 else sessions_json(sessions)
    if kind == "md":
        from .markdown import digest_markdown, session_markdown

        return (
            session_markdown(sessions[0])
            if len(sessions) == 1
            else digest_markdown(sessions, title)
        )
    if kind == "html":
        from .html import digest_html, session_html

        return session_html(sessions[0]) if len(sessions) == 1 else digest_html(sessions, title)
    if kind == "pdf":
        from .pdf import digest_pdf, session_pdf

        return session_pdf(sessions[0]) if len(sessions) == 1 else digest_pdf(sessions, title)
    raise ValueError(f"no export format {kind!r}")
