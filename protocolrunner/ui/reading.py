"""Reading the record for a screen without freezing it: the one way every screen that needs the
search index (or a session file) does it.

``read_then_show`` runs the read in a thread and hands what it returned to ``show`` on the UI
thread, the latest read of a group winning: an earlier read still running when another starts,
or when the widget leaves the screen, is dropped. A small record (``Record.is_small``) is read
at once instead, so the screen's first frame already shows it, without a flash of "reading…".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.widget import Widget
from textual.worker import get_current_worker

from ..core.base.text import visible

T = TypeVar("T")


def read_then_show(
    widget: Widget,
    read: Callable[[], T],
    show: Callable[[T], object],
    *,
    group: str,
    fallback: Callable[[], T],
    at_once: bool | None = None,
    failure: str = "Could not read the record",
) -> None:
    """Call ``show(read())``: at once when ``at_once`` (by default: when the app's record is
    small), else with ``read`` in a thread.

    A read that fails with an ``OSError`` or a ``RecordError`` is told as ``failure: why``, and
    what ``fallback()`` makes is shown instead. Reads in the same ``group`` of ``widget``
    replace each other.
    """
    if at_once is None:
        at_once = _record_is_small(widget)
    if at_once:
        _show(widget, show, *_attempt(read, fallback, failure))
        return

    def in_thread() -> None:
        result = _attempt(read, fallback, failure)
        worker = get_current_worker()
        if worker.is_cancelled:
            return  # the widget left, or a newer read started: the app may be gone too

        def deliver() -> None:
            # Asked again on the UI thread, where a newer read cancels this one: a result that
            # lost the race is never shown, even one already on its way.
            if not worker.is_cancelled:
                _show(widget, show, *result)

        widget.app.call_from_thread(deliver)

    widget.run_worker(in_thread, thread=True, exclusive=True, group=group, name=group)


def _attempt(read: Callable[[], T], fallback: Callable[[], T], failure: str) -> tuple[T, str]:
    # Imported here: the record browser's first frame comes before the record module (whose
    # models it does not need yet).
    from ..core.record.folder import RecordError

    try:
        return read(), ""
    except (OSError, RecordError) as exc:
        return fallback(), visible(f"{failure}: {exc}")


def _show(widget: Widget, show: Callable[[T], object], result: T, problem: str) -> None:
    if problem:
        widget.notify(problem, severity="error", markup=False)
    show(result)


def _record_is_small(widget: Widget) -> bool:
    from .app import ProtocolRunnerApp

    app = widget.app
    assert isinstance(app, ProtocolRunnerApp)
    return app.context.record.is_small()
