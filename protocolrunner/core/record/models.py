"""The community record's file formats: ``community.toml`` and one file per session.

Both carry a ``format`` version. They are validated like protocol files, so a hand-edited
mistake is reported with its file, line and key, and never crashes a reader.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from ..protocol.model import Slug, Text, lead_question

COMMUNITY_FORMAT = 1
SESSION_FORMAT = 1
"""The format new session files are written in. A file is written in the *lowest* format that
holds what it says, so older protocolrunners keep reading every file they can."""
FOLLOW_THROUGH_FORMAT = 2
"""Action items carried forward or dropped (``status``, ``reviewed``) need format 2; format 1
files have neither key and load unchanged."""
TURNS_FORMAT = 3
"""Steps taken in turns keep each turn (``[[steps.turns]]``) and need format 3."""
SESSION_FORMAT_READ = TURNS_FORMAT
"""The newest session format this protocolrunner reads."""


MAX_RECORDED_SECONDS = 10**9
"""Longer than any meeting (about 31 years): a bound that keeps every total of a record's
seconds within what the search index can store."""
Seconds = Annotated[int, Field(ge=0, le=MAX_RECORDED_SECONDS)]
SignedSeconds = Annotated[int, Field(ge=-MAX_RECORDED_SECONDS, le=MAX_RECORDED_SECONDS)]
SessionStatus = Literal["completed", "ended-early"]
"""A session's ``status`` as written in its file: the values of ``outcome.Outcome``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _check_format(value: int, supported: int, what: str) -> int:
    if value > supported:
        raise ValueError(
            f"this {what} file uses format {value}, newer than this protocolrunner reads "
            f"({supported}); upgrade protocolrunner"
        )
    if value < 1:
        raise ValueError(f"format must be {supported}")
    return value


class Member(_Model):
    name: Text = Field(description="How the member is named on screen and in the record.")
    note: str = Field("", description="Anything worth knowing, e.g. 'Grade 7 maths'.")


class Community(_Model):
    """``community.toml``: who the community is and what it has agreed."""

    format: int = Field(COMMUNITY_FORMAT, description="Version of the community file format.")
    name: Text = Field(description="The community's name.")
    purpose: str = Field("", description="The shared domain: what the community works on.")
    goals: list[str] = Field(default_factory=list, description="What the community aims for.")
    norms: list[str] = Field(default_factory=list, description="The group's agreements.")
    cadence: str = Field("", description="When the community meets, e.g. 'Every other Tuesday'.")
    members: list[Member] = Field(default_factory=list, description="The members.")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Self:
        _check_format(self.format, COMMUNITY_FORMAT, "community")
        seen: dict[str, int] = {}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for i, member in enumerate(self.members):
            if member.name in seen:
                problems.append((("members", i, "name"), f"member '{member.name}' is listed twice"))
            seen.setdefault(member.name, i)
        _report(problems, info)
        return self

    @property
    def member_names(self) -> list[str]:
        return [m.name for m in self.members]


def _report(problems: list[tuple[tuple[str | int, ...], str]], info: ValidationInfo) -> None:
    if not problems:
        return
    sink = info.context.get("problems") if isinstance(info.context, dict) else None
    if sink is None:
        raise ValueError("; ".join(message for _, message in problems))
    sink.extend(problems)


class RecordedProtocol(_Model):
    id: Slug
    title: Text
    version: str = ""
    sha256: str = Field("", description="Hash of the protocol file the session ran.")


class SetupAnswer(_Model):
    id: str
    label: str
    answer: str = ""


class RoleHolders(_Model):
    id: str
    name: str
    people: list[str] = Field(default_factory=list)


class StepNotes(_Model):
    id: str
    label: str
    text: str = ""


class RecordedTurn(_Model):
    person: str
    label: str = ""
    round: int = Field(1, ge=1, le=1000, description="Which round the turn was in, from 1.")
    planned_seconds: Seconds
    actual_seconds: Seconds
    extended_seconds: SignedSeconds = 0
    note: str = ""


class RecordedStep(_Model):
    id: str
    title: str
    planned_seconds: Seconds
    actual_seconds: Seconds
    extended_seconds: SignedSeconds = 0
    skipped: bool = False
    speakers: list[str] = Field(default_factory=list)
    silent: list[str] = Field(default_factory=list)
    notes: list[StepNotes] = Field(default_factory=list)
    turns: list[RecordedTurn] = Field(default_factory=list)


class RecordedAction(_Model):
    text: str
    owner: str = ""
    done: bool = False
    status: Literal["carried", "dropped"] | None = Field(
        None,
        description="Follow-through at a later meeting: 'carried' forward (still open) or "
        "'dropped'; absent while open or done.",
    )
    reviewed: date | None = Field(
        None, description="When the group last marked it done, carried it or dropped it."
    )

    @model_validator(mode="after")
    def _check_status(self) -> Self:
        if self.done and self.status is not None:
            raise ValueError(f"an action item that is done cannot also be {self.status}")
        return self

    @property
    def is_open(self) -> bool:
        """Still to follow through: neither done nor dropped (carried items stay open)."""
        return not self.done and self.status != "dropped"

    @property
    def state(self) -> Literal["open", "carried", "done", "dropped"]:
        return "done" if self.done else (self.status or "open")


FOLLOW_THROUGH_EVENT_FORMAT = 1


class FollowThroughEvent(_Model):
    """``followthrough/YYYY/<date>-<session>-<item>-<id>.toml``: one decision about one action
    item, taken at a later meeting. The item's state is that of its latest event."""

    format: int = Field(FOLLOW_THROUGH_EVENT_FORMAT, description="Version of the event format.")
    id: str = Field(pattern=r"^[0-9a-f]{8}$", description="This event's own random id.")
    session: str = Field(
        pattern=r"^[0-9a-f]{8}$", description="The id of the session the item came from."
    )
    item: int = Field(ge=0, le=100_000, description="The item's place in that session, from 0.")
    state: Literal["open", "done", "carried", "dropped"] = Field(
        description="What the group decided: done, carried forward, dropped, or open again."
    )
    at: AwareDatetime = Field(description="When it was decided.")
    by: str = Field("", description="Who marked it.")
    text: str = Field("", description="The item's text, for people reading this file.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_format(self.format, FOLLOW_THROUGH_EVENT_FORMAT, "follow-through")
        return self


class SessionRecord(_Model):
    """One meeting, as kept in ``sessions/YYYY/<date>-<protocol>-<id>.toml``."""

    format: int = SESSION_FORMAT
    id: str = Field(pattern=r"^[0-9a-f]{8}$")
    community: str = ""
    status: SessionStatus
    started: AwareDatetime
    ended: AwareDatetime
    attendees: list[str] = Field(default_factory=list)
    reflection: str = ""
    protocol: RecordedProtocol
    setup: list[SetupAnswer] = Field(default_factory=list)
    roles: list[RoleHolders] = Field(default_factory=list)
    steps: list[RecordedStep] = Field(default_factory=list)
    actions: list[RecordedAction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Self:
        _check_format(self.format, SESSION_FORMAT_READ, "session")
        if any(a.status or a.reviewed for a in self.actions):
            # A hand-edited or older file that uses follow-through keys says so on saving.
            self.format = max(self.format, FOLLOW_THROUGH_FORMAT)
        if any(step.turns for step in self.steps):
            self.format = max(self.format, TURNS_FORMAT)
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.ended < self.started:
            problems.append((("ended",), "ends before it starts"))
        _report(problems, info)
        return self

    # -- conveniences for readers ---------------------------------------------------------
    def people(self, role_id: str) -> list[str]:
        return next((r.people for r in self.roles if r.id == role_id), [])

    def role_of(self, name: str) -> RoleHolders | None:
        return next((r for r in self.roles if name in r.people), None)

    @property
    def presenters(self) -> list[str]:
        return self.people("presenter")

    def answer(self, setup_id: str) -> str:
        return next((s.answer for s in self.setup if s.id == setup_id), "")

    @property
    def focus(self) -> str:
        """The answer that leads the session (``protocol.lead_question``): the focusing
        question, or the first answer for protocols that ask another."""
        lead = lead_question({item.id: item.answer for item in self.setup})
        return self.answer(lead) if lead else ""

    @property
    def actual_seconds(self) -> int:
        return sum(step.actual_seconds for step in self.steps)
