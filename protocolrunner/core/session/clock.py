"""The one place protocolrunner reads time.

Everything that needs time takes a ``Clock``: monotonic seconds for durations (never jumps when
the wall clock is changed) and aware wall time for timestamps. Tests pass a ``FakeClock`` and
advance it by hand, so timings and snapshots are exact.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary start; only differences mean anything."""
        ...

    def now(self) -> datetime:
        """The current wall time, with its time zone."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now().astimezone()


class FakeClock:
    """A clock that moves only when told to. Wall time and monotonic time advance together."""

    DEFAULT_START = datetime(2026, 10, 1, 15, 30, tzinfo=timezone(timedelta(hours=1)))

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._wall = start or self.DEFAULT_START
        if self._wall.tzinfo is None:
            self._wall = self._wall.replace(tzinfo=UTC)
        self._mono = monotonic_start

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._wall

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._mono += seconds
        self._wall += timedelta(seconds=seconds)


SYSTEM_CLOCK: Clock = SystemClock()
