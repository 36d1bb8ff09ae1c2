"""Exports from the app's screens, in any format of ``core.export.formats``: written to the export
folder, or, when the app is served to a web browser, sent to that browser as a download
(``App.deliver_text`` / ``deliver_binary``), since the server's disk is not the reader's."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from textual.app import App

from ..core.base.atomic import write_atomic
from ..core.base.text import visible
from ..core.export.formats import FORMATS, render_export
from ..core.export.pdf import PdfFailed, PdfUnavailable
from ..core.record.models import SessionRecord


def export_sessions(
    app: App, folder: Path, kind: str, sessions: Sequence[SessionRecord], stem: str, title: str = ""
) -> Path | None:
    """Export ``sessions`` as ``kind`` under the name ``stem`` plus the format's suffix, and say
    where it went. The path written, or None when delivered to a browser or not written."""
    form = FORMATS[kind]
    name = stem + form.suffix
    try:
        data = render_export(kind, sessions, title)
    except (PdfUnavailable, PdfFailed) as exc:
        app.notify(visible(str(exc)), title="Not exported", severity="error", markup=False)
        return None
    if app.is_web:
        if isinstance(data, bytes):
            app.deliver_binary(io.BytesIO(data), save_filename=name, mime_type=form.media_type)
        else:
            app.deliver_text(
                io.StringIO(data), save_filename=name, mime_type=form.media_type, encoding="utf-8"
            )
        app.notify(visible(name), title=f"Sent to your browser as {form.name}", markup=False)
        return None
    path = folder / name
    try:
        write_atomic(path, data)
    except OSError as exc:
        app.notify(visible(f"Could not export: {exc}"), severity="error", markup=False, timeout=10)
        return None
    app.notify(visible(str(path)), title=f"Exported as {form.name}", markup=False)
    return path
