"""A session in progress as the journal keeps it: pydantic models, validated when read.

``Session.snapshot()`` builds a :class:`SessionSnapshot`; the journal writes it inside a
:class:`JournalFile` and reads it back with :func:`parse`, which turns any problem (bad JSON, a
missing or mistyped key, an index out of range, a format from another version) into one
``JournalUnreadable`` with a one-line message. ``Session.from_snapshot`` then trusts what it
is given: every check a restore needs is here.

The JSON is the one protocolrunner has always written (journal format 1, snapshot formats 1
and 2), key for key, so a journal left by an earlier version mid-meeting still resumes and an
earlier version can still read what this one writes.

Importing this module loads pydantic: the journal imports it only once there is a journal file
to read, so the first frame of home never waits for it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from ..protocol.model import Protocol
from .journal import JOURNAL_FORMAT, JournalUnreadable
from .outcome import Outcome

SNAPSHOT_FORMAT = 2
"""2: a running countdown is saved as its deadline (a wall-clock instant), and ``elapsed`` holds
only the time spent before the running segment began. 1 (still read): ``elapsed`` included the
running segment up to ``saved_at``, and there was no ``deadline``."""
SNAPSHOT_FORMATS_READ = (1, 2)

MAX_SECONDS = 10**9
"""Longer than any meeting (about 31 years), as in the record: a session resumed from the
journal can always be saved."""
MAX_COUNT = 10**6
"""More steps, turns or rounds than any protocol has."""
DEADLINE_SLACK = 0.001
"""A deadline is kept to the microsecond: a segment just begun may come back a hair below 0."""

Seconds = Annotated[int, Field(ge=0, le=MAX_SECONDS)]
SignedSeconds = Annotated[int, Field(ge=-MAX_SECONDS, le=MAX_SECONDS)]
Spent = Annotated[float, Field(ge=0, le=MAX_SECONDS)]
SignedSpent = Annotated[float, Field(ge=-MAX_SECONDS, le=MAX_SECONDS)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
SessionId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]
"""As ``new_session_id`` makes them: the journal's file name comes from it."""


class EventKind(StrEnum):
    """What happened to a session: see ``engine.Event``."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    GOTO = "goto"
    """To another step: ``to_step`` is its index."""
    EXTEND = "extend"
    """Minutes given (or, if negative, taken): ``seconds`` says how many seconds."""
    TURN = "turn"
    """To another turn of the current step: ``to_step`` is the turn's index."""
    END = "end"


class _Model(BaseModel):
    # Strict, as the protocol and record models are: ``"elapsed": "10"`` is an error, not a
    # guess. No NaN or infinity either: a countdown cannot show them.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class TurnSnapshot(_Model):
    """One person's turn: the fields of ``engine.Turn``."""

    name: str
    planned: Seconds
    label: str
    round: Count
    extension: SignedSeconds
    elapsed: Spent
    note: str


class RunSnapshot(_Model):
    """One step's run: the fields of ``engine.StepRun`` but its step. The four turn keys
    (``turn``, ``order``, ``scale``, ``turns``) come together, and only for a step that someone
    takes in turns; otherwise they are left out of the file and have the engine's defaults."""

    planned: Seconds
    extension: SignedSeconds
    elapsed: Spent
    visited: bool
    notes: dict[str, str]
    turn: Count = 0
    order: list[str] = Field(default_factory=list)
    scale: Annotated[float, Field(ge=0, le=MAX_SECONDS)] = 1.0
    turns: list[TurnSnapshot] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_turns(self) -> Self:
        given = self.model_fields_set & set(_TURN_KEYS)
        if given and len(given) < len(_TURN_KEYS):
            raise ValueError(f"{', '.join(_TURN_KEYS)} go together")
        if given and not self.turn < len(self.turns):
            raise ValueError(f"turn {self.turn + 1} does not exist")
        return self

    @model_serializer(mode="wrap")
    def _leave_out_no_turns(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.turns:
            for key in _TURN_KEYS:
                data.pop(key, None)
        return data

    @property
    def budget(self) -> int:
        return self.planned + self.extension


_TURN_KEYS = ("turn", "order", "scale", "turns")


class ActionSnapshot(_Model):
    """An action item: the fields of ``engine.ActionItem``."""

    text: str
    owner: str
    done: bool


class EventSnapshot(_Model):
    """A change to the session: the fields of ``engine.Event``."""

    kind: EventKind
    at: AwareDatetime
    step: Count
    seconds: SignedSpent
    to_step: Count | None


class SessionSnapshot(_Model):
    """Everything needed to resume a session, as of ``saved_at``.

    A running countdown (``running``) is kept as its ``deadline``: the snapshot stays true while
    only the clock moves. Fields follow ``engine.Session``; ``runs`` has one entry per step of
    ``protocol`` and ``index`` is the current step.
    """

    format: int
    id: SessionId
    community: str
    protocol: Protocol
    attendees: list[str]
    roles: dict[str, list[str]]
    setup: dict[str, str]
    index: Count
    running: bool
    deadline: AwareDatetime | None = None
    """Absent in format 1."""
    started_at: AwareDatetime | None
    ended_at: AwareDatetime | None
    outcome: Outcome | None
    runs: list[RunSnapshot]
    actions: list[ActionSnapshot]
    reflection: str
    events: list[EventSnapshot]
    saved_at: AwareDatetime

    @field_validator("format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        if type(value) is not int or value not in SNAPSHOT_FORMATS_READ:
            raise ValueError(f"unknown journal format {_shown(value)}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        steps = self.protocol.steps
        if len(self.runs) != len(steps):
            raise ValueError(f"{len(self.runs)} steps run, but the protocol has {len(steps)}")
        if self.index >= len(steps):
            raise ValueError(f"step {self.index + 1} does not exist: the protocol has {len(steps)}")
        for step, run in zip(steps, self.runs, strict=True):
            if run.turns and step.turns is None:
                raise ValueError(f"step '{step.id}' is not taken in turns")
        if self.counting:
            if self.deadline is None:
                raise ValueError("a running session needs its deadline")
            if self.running_segment() < -DEADLINE_SLACK:
                raise ValueError(f"the deadline {self.deadline.isoformat()} is after the time left")
        return self

    @property
    def counting(self) -> bool:
        """Whether a countdown ran when the snapshot was taken, kept as its deadline."""
        return self.format >= 2 and self.running and self.outcome is None

    def running_segment(self) -> float:
        """Seconds the running countdown had run, up to ``saved_at``, that ``elapsed`` does not
        hold yet (0 unless :attr:`counting`)."""
        if not self.counting or self.deadline is None:
            return 0.0
        run = self.runs[self.index]
        if run.turns:
            turn = run.turns[run.turn]
            budget, spent = turn.planned + turn.extension, turn.elapsed
        else:
            budget, spent = run.budget, run.elapsed
        return budget - spent - (self.deadline - self.saved_at).total_seconds()


class JournalFile(_Model):
    """A journal file: the snapshot, and where and from which protocol file it came."""

    format: int = JOURNAL_FORMAT
    record: str = ""
    protocol_sha256: str = ""
    session: SessionSnapshot

    @field_validator("format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:
        if type(value) is not int or value != JOURNAL_FORMAT:
            raise ValueError(f"unknown journal format {_shown(value)}")
        return value


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], text: str | bytes) -> M:
    """``model`` read from JSON ``text``, or ``JournalUnreadable`` saying the first problem in
    one line (the key where there is one; never the value, which may be huge)."""
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    error = (first.get("ctx") or {}).get("error")
    message = str(error) if first["type"] == "value_error" and error else first["msg"]
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    raise JournalUnreadable(message, ".".join(_shown_key(part) for part in first["loc"]))


def _shown(value: object) -> str:
    """A value in a message: a short one as it is, anything else by its type."""
    if isinstance(value, int) and not -(10**15) < value < 10**15:
        return "(a huge number)"
    text = repr(value) if value is None or isinstance(value, str | int | float) else ""
    return text if text and len(text) <= 20 else f"of type {type(value).__name__}"


def _shown_key(part: str | int) -> str:
    """A part of a key path, on one line and short (a dict key comes from the file)."""
    text = str(part) if str(part).isprintable() else repr(part)
    return text if len(text) <= 40 else text[:39] + "…"
