"""A record opened for reading only: what ``protocolrunner serve`` gives a browser by default.

Every way the app changes a record (saving a session, reviewing an action item, editing the
community or its members) goes through one of ``Record``'s writing methods; here each refuses
with a ``RecordError`` that the screens already show in one line, so nothing is written.
"""

from __future__ import annotations

import os
from typing import NoReturn

from .folder import Record, RecordError

READ_ONLY_ENV = "PROTOCOLRUNNER_READ_ONLY"
"""Set to 1 (``serve`` does, without ``--facilitate``): the app opens the record read-only."""
READ_ONLY_MESSAGE = "this record is open for reading only (served without --facilitate)"


def read_only_requested() -> bool:
    return os.environ.get(READ_ONLY_ENV, "") not in ("", "0")


class ReadOnlyRecord(Record):
    """A record whose writing methods all refuse."""

    read_only = True

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise RecordError(READ_ONLY_MESSAGE)

    save_session = _refuse
    save_event = _refuse
    update_community = _refuse
