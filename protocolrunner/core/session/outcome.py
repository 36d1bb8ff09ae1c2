"""How a session ended. Apart from the engine so that the record browser, which never imports
pydantic, can name it too."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    COMPLETED = "completed"
    ENDED_EARLY = "ended-early"


_OUTCOME_LABELS = {Outcome.COMPLETED: "completed", Outcome.ENDED_EARLY: "ended early"}


def outcome_label(outcome: Outcome | str) -> str:
    """How a session ended, in words: ``completed`` or ``ended early``. Takes a session's
    ``outcome`` or a record's ``status`` (the same strings)."""
    return _OUTCOME_LABELS[Outcome(outcome)]
