"""The protocol file format: pydantic models for what authors write in TOML.

The models are the public contract of a protocol file. Every key has a description: it feeds
the JSON Schema that editors use for completion and hover help, and the authoring reference in
``docs/`` is checked against the same fields.

Checks that span several keys (unique ids, role references, group sizes) run after the types
are valid. When a ``problems`` list is passed in the validation context they are collected there
with their key paths, so the loader can report every one with its line; otherwise the first
failure raises like any other validation error.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..base.text import visible

FORMAT_VERSION = 1
"""The protocol file format this version of protocolrunner reads and writes."""

MAX_STEP_MINUTES = 240

WARN_SHARE = 5
"""By default the warning covers the last fifth of a step or turn..."""
WARN_LEAST = 10
"""...but at least this many seconds (or half of a shorter step)..."""
WARN_MOST = 60
"""...and at most this many."""


@dataclass(frozen=True)
class WarningRule:
    """When the countdown warns in a step whose author set no ``warn_seconds``: the last
    ``percent`` of the step or turn, at least ``least`` seconds (yet never more than half of
    it) and at most ``most``. A facilitator can set it in their settings."""

    percent: int = 100 // WARN_SHARE
    least: int = WARN_LEAST
    most: int = WARN_MOST

    def seconds(self, length: int) -> int:
        """Seconds remaining when the warning starts, in a step or turn of ``length``."""
        return max(min(self.most, length * self.percent // 100), min(self.least, length // 2))


DEFAULT_WARNING = WarningRule()

FACILITATOR_ROLE = "facilitator"
"""The id of the role that keeps time: its holders are shown apart in every step."""
LEAD_QUESTION = "focus"
"""The id of the setup question that leads a session when it is answered."""

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1)]

Loc = tuple[str | int, ...]
"""A key path into a protocol document, as pydantic reports it: ``("steps", 2, "speakers")``."""


class _Model(BaseModel):
    # Unknown keys are errors so a typo never silently drops a setting, and types are strict so
    # `count = true` or `minutes = "5"` is an error here just as in the JSON Schema.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GroupSize(_Model):
    """How many people the protocol is designed for."""

    min: int = Field(1, ge=1, description="Fewest people the protocol works with.")
    max: int | None = Field(
        None, ge=1, description="Most people the protocol works with; leave out for no limit."
    )


class Role(_Model):
    """A part someone plays in the protocol: presenter, facilitator, consultants..."""

    id: Slug = Field(description="Identifier used by steps in `speakers` and `silent`.")
    name: Text = Field(description="Name shown to the room, e.g. 'Presenter'.")
    description: str = Field("", description="What this role does, shown when assigning roles.")
    count: int | None = Field(
        None, ge=0, description="Exactly this many people hold the role. Excludes `min`/`max`."
    )
    min: int | None = Field(None, ge=0, description="At least this many people hold the role.")
    max: int | None = Field(None, ge=1, description="At most this many people hold the role.")
    rest: bool = Field(
        False,
        description="Everyone present who has no other role takes this one (at most one role).",
    )
    rotates: bool = Field(
        False,
        description=(
            "Share this role fairly: when proposing roles, whoever held it least recently is "
            "asked first (presenters and facilitators, usually)."
        ),
    )
    joins: list[Slug] = Field(
        default_factory=list,
        description=(
            "Other roles whose steps this role also takes part in, e.g. a facilitator who also "
            "speaks as a consultant."
        ),
    )

    @property
    def bounds(self) -> tuple[int, int | None]:
        """The fewest and most people this role takes (``None`` = no upper limit).

        With neither ``count`` nor ``min``/``max`` a role takes exactly one person, and the rest
        role any number; a missing ``min`` means 0 and a missing ``max`` means no limit.
        """
        if self.count is not None:
            return self.count, self.count
        if self.min is None and self.max is None:
            return (0, None) if self.rest else (1, 1)
        return self.min or 0, self.max


class SetupField(_Model):
    """A question answered before the session starts and shown throughout it."""

    id: Slug = Field(description="Identifier of the answer in the session record.")
    label: Text = Field(description="The question, e.g. 'Focusing question'.")
    help: str = Field("", description="Guidance shown under the question while it is answered.")
    required: bool = Field(False, description="The session cannot start without an answer.")
    multiline: bool = Field(False, description="Offer a multi-line text box for the answer.")


class CaptureField(_Model):
    """A kind of note the group keeps from a step."""

    id: Slug = Field(description="Identifier of the notes in the session record.")
    label: Text = Field(description="Heading of the note box, e.g. 'Clarifying questions asked'.")
    help: str = Field("", description="A hint shown in the empty note box.")


class TurnPart(_Model):
    """One kind of turn in a round: who speaks, for how long."""

    who: Literal["each", "leader", "others"] = Field(
        "each",
        description=(
            "Who takes this turn: 'each' person in the round's order, one after another; the "
            "round's 'leader' alone; or the 'others', everyone but the leader, one by one. "
            "'leader' and 'others' need `rounds = \"each\"`."
        ),
    )
    minutes: float = Field(
        gt=0, le=MAX_STEP_MINUTES, description="Length of one person's turn, in minutes."
    )
    label: str = Field("", description="What the speaker does, e.g. 'responds to the passage'.")

    @property
    def seconds(self) -> int:
        return round(self.minutes * 60)


class Turns(_Model):
    """A step taken in turns: each person speaks for a set time, round after round."""

    role: Slug | None = Field(
        None, description="Role id whose members take turns; leave out for everyone present."
    )
    seats: int | None = Field(
        None,
        ge=2,
        le=8,
        description=(
            "Turns in small groups of this many, all groups at once: the turns go to seats "
            "('Speaker A', 'Speaker B'...) rather than to names. Excludes `role`."
        ),
    )
    rounds: int | Literal["each"] = Field(
        1,
        description=(
            'How many times the group goes round, or "each": one round led by each person '
            "in turn (Final Word)."
        ),
    )
    rotate: bool = Field(
        False,
        description="With a number of rounds: the first speaker moves one place each round.",
    )
    round_prompts: list[Text] = Field(
        default_factory=list,
        description="A question for each round, in order (Microlabs); shown while it runs.",
    )
    round_prompts_from: Slug | None = Field(
        None,
        description=(
            "The id of a setup question where the group may type its own questions, one per "
            "line, in place of `round_prompts`; rounds it leaves out keep the file's question."
        ),
    )
    parts: list[TurnPart] = Field(
        min_length=1, description="The turns that make up one round, in order."
    )

    @field_validator("rounds")
    @classmethod
    def _rounds(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 20:
            raise ValueError('rounds must be between 1 and 20, or "each"')
        return value

    def own_questions(self, answers: Mapping[str, str]) -> list[str]:
        """The questions the group typed at setup, one per non-blank line (none if the step
        does not ask for them)."""
        if self.round_prompts_from is None:
            return []
        text = answers.get(self.round_prompts_from, "")
        return [" ".join(line.split()) for line in text.splitlines() if line.strip()]

    def prompts_for(self, answers: Mapping[str, str]) -> list[str]:
        """The question of each round: the group's own, from the setup answers, where it typed
        one, and the file's otherwise. Empty when the step has no questions at all."""
        own = self.own_questions(answers)
        if not own or not isinstance(self.rounds, int):
            return list(self.round_prompts)
        fallback = [*self.round_prompts, *[""] * self.rounds]
        return [own[k] if k < len(own) else fallback[k] for k in range(self.rounds)]

    def seconds_for(self, people: int) -> int:
        """Planned length of the whole step when ``people`` take turns."""
        if people <= 0:
            return 0
        if self.rounds == "each":
            one = {"leader": 1, "others": people - 1, "each": people}
            return people * sum(part.seconds * one[part.who] for part in self.parts)
        return self.rounds * people * sum(part.seconds for part in self.parts)


class Step(_Model):
    """One timed part of the protocol."""

    id: Slug = Field(description="Identifier of the step, unique within the protocol.")
    title: Text = Field(description="Title shown in large type while the step runs.")
    minutes: float | None = Field(
        None,
        gt=0,
        le=MAX_STEP_MINUTES,
        description=(
            "Planned length in minutes; fractions are allowed (2.5 = 2 min 30 s). Required, "
            "except in a step taken in `turns`, whose length comes from its turns."
        ),
    )
    turns: Turns | None = Field(
        None,
        description=(
            "Take this step in turns, each person speaking for a set time (Final Word, "
            "Microlabs). Replaces `minutes`."
        ),
    )
    speakers: list[Slug] = Field(
        default_factory=list,
        description="Role ids who talk in this step; an empty list means a silent step.",
    )
    silent: list[Slug] = Field(
        default_factory=list,
        description="Role ids who listen (and may take notes) without speaking.",
    )
    instructions: str = Field("", description="What happens in this step, shown to the room.")
    prompts: list[Text] = Field(
        default_factory=list, description="Questions or sentence starters the group works with."
    )
    facilitator_notes: str = Field(
        "", description="Advice for the facilitator; hidden in projector mode."
    )
    warn_seconds: int | None = Field(
        None,
        ge=0,
        description=(
            "Seconds before the end when the countdown turns to 'almost out of time'; when "
            "the step is fitted to less time, they shrink in proportion. Default: a fifth of "
            "the step as it runs, at least 10 and at most 60 seconds."
        ),
    )
    capture: list[CaptureField] = Field(
        default_factory=list, description="The notes worth keeping from this step."
    )

    @property
    def seconds(self) -> int:
        """Planned length in whole seconds (of a step in turns: see ``Protocol.step_seconds``)."""
        if self.minutes is None:
            raise ValueError(
                f"step '{self.id}' is taken in turns: its length depends on who is there"
            )
        return round(self.minutes * 60)

    @property
    def warn_at(self) -> int:
        """Seconds remaining when the warning starts, in the step as written."""
        return self.warn_for(self.seconds)

    def warn_for(
        self, seconds: int, scale: float = 1.0, rule: WarningRule = DEFAULT_WARNING
    ) -> int:
        """Seconds remaining when the warning starts, in a step or turn that runs ``seconds``.

        ``scale`` is how the step was fitted at setup (its planned time over its written
        time): an author's ``warn_seconds`` shrinks with it, so a fitted step keeps the same
        share of warning, but never grows past what the author wrote.
        """
        if self.warn_seconds is not None:
            warn = round(self.warn_seconds * min(1.0, scale))
            if warn < seconds:
                return warn
        # A share of the step, clamped: a long step needs no more than a minute's notice, and a
        # short one at least a few seconds, yet never more than half of it.
        return rule.seconds(seconds)


class Protocol(_Model):
    """A discussion protocol: roles, setup questions and timed steps."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, title="protocolrunner protocol"
    )

    format: int = Field(
        description=f"Version of the protocol file format; this release reads {FORMAT_VERSION}."
    )
    id: Slug = Field(description="Identifier: lowercase letters, digits and dashes.")
    title: Text = Field(description="Name of the protocol as shown in the library.")
    version: Text = Field("1.0", description="Version of this protocol text, kept with sessions.")
    summary: Text = Field(description="One line that says what the protocol is for.")
    purpose: str = Field("", description="A paragraph on when and why to use the protocol.")
    source: str = Field("", description="Attribution: who developed the protocol, and where.")
    tags: list[Text] = Field(default_factory=list, description="Words to find the protocol by.")
    group_size: GroupSize = Field(
        default_factory=lambda: GroupSize(min=1), description="How many people it is designed for."
    )
    roles: list[Role] = Field(min_length=1, description="The parts people play.")
    setup: list[SetupField] = Field(
        default_factory=list, description="Questions asked before the session starts."
    )
    steps: list[Step] = Field(min_length=1, description="The timed steps, in order.")

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value > FORMAT_VERSION:
            raise ValueError(
                f"this file uses format {value}, newer than this protocolrunner reads "
                f"({FORMAT_VERSION}); upgrade protocolrunner"
            )
        if value < 1:
            raise ValueError(f"format must be {FORMAT_VERSION}")
        return value

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        problems = list(semantic_problems(self))
        if not problems:
            return self
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if sink is None:
            raise ValueError("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg in problems))
        sink.extend(problems)
        return self

    @property
    def typical_size(self) -> int:
        """The group size that totals are shown for before anyone is chosen."""
        low, high = self.group_size.min, self.group_size.max
        return low if high is None else (low + high + 1) // 2

    def turn_takers(self, step: Step, people: int | None = None) -> int:
        """How many people take turns in ``step`` when ``people`` are present (an estimate)."""
        if step.turns is None:
            return 0
        if step.turns.seats is not None:
            return step.turns.seats
        present = self.typical_size if people is None else people
        if step.turns.role is None:
            return present
        role = self.role(step.turns.role)
        low, high = role.bounds
        if role.rest:
            others = sum(r.bounds[0] for r in self.roles if r.id != role.id)
            return max(low, present - others)
        return min(high or present, max(low, present))

    def step_seconds(self, step: Step, people: int | None = None) -> int:
        """Planned length of ``step``; for a step in turns, with ``people`` present
        (by default the typical group size)."""
        if step.turns is None:
            return step.seconds
        return step.turns.seconds_for(self.turn_takers(step, people))

    def seconds_for(self, people: int | None = None) -> int:
        """Planned length of the whole protocol with ``people`` present."""
        return sum(self.step_seconds(step, people) for step in self.steps)

    @property
    def seconds(self) -> int:
        """Planned length of the whole protocol in seconds, for a typical group."""
        return self.seconds_for()

    @property
    def has_turns(self) -> bool:
        return any(step.turns is not None for step in self.steps)

    def role(self, role_id: str) -> Role:
        return next(role for role in self.roles if role.id == role_id)

    def answer_problems(self, answers: Mapping[str, str]) -> dict[str, str]:
        """What is wrong with setup ``answers`` beyond a missing required one, by question id:
        more of the group's own questions than a step has rounds for."""
        problems: dict[str, str] = {}
        for step in self.steps:
            turns = step.turns
            if turns is None or turns.round_prompts_from is None:
                continue
            given = len(turns.own_questions(answers))
            if isinstance(turns.rounds, int) and given > turns.rounds:
                problems[turns.round_prompts_from] = (
                    f"{step.title} has {turns.rounds} rounds: give at most {turns.rounds} "
                    f"questions, one per line ({given} now)"
                )
        return problems

    @property
    def rest_role(self) -> Role | None:
        return next((role for role in self.roles if role.rest), None)


def lead_question(answers: Mapping[str, str]) -> str | None:
    """The id of the setup answer that leads a session: the one shown under the step on the run
    screen, first in the record's view and exports, and in the browser's list.

    ``answers`` maps question ids to answers in the protocol's order. The focusing question
    (id ``focus``) leads when it is answered, wherever the protocol asks it; otherwise the first
    answered question does. Blank answers never lead. ``None`` when nothing is answered.
    """
    # Blank as shown: a control character that Python counts as space (NEL) shows as an escape.
    answered = [qid for qid, text in answers.items() if visible(text).strip()]
    if LEAD_QUESTION in answered:
        return LEAD_QUESTION
    return answered[0] if answered else None


def format_loc(loc: Iterable[str | int]) -> str:
    """``("steps", 2, "speakers")`` -> ``steps[2].speakers``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _duplicates(items: Iterable[Any], base: Loc, what: str) -> Iterable[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in seen:
            yield (
                (*base, index, "id"),
                f"duplicate {what} id '{item.id}' "
                f"(first used by {format_loc((*base, seen[item.id]))})",
            )
        else:
            seen[item.id] = index


def semantic_problems(protocol: Protocol) -> Iterable[tuple[Loc, str]]:
    """Problems that no single key shows: each is ``(key path, message)``."""
    yield from _duplicates(protocol.roles, ("roles",), "role")
    yield from _duplicates(protocol.setup, ("setup",), "setup")
    yield from _duplicates(protocol.steps, ("steps",), "step")

    role_ids = {role.id for role in protocol.roles}
    known = ", ".join(sorted(role_ids))

    rests = [i for i, role in enumerate(protocol.roles) if role.rest]
    for index in rests[1:]:
        yield (
            ("roles", index, "rest"),
            f"only one role can be the rest; '{protocol.roles[rests[0]].id}' already is",
        )

    for index, role in enumerate(protocol.roles):
        loc: Loc = ("roles", index)
        if role.count is not None and (role.min is not None or role.max is not None):
            key = "min" if role.min is not None else "max"
            yield (*loc, key), "use either count or min/max, not both"
        if role.min is not None and role.max is not None and role.min > role.max:
            yield (*loc, "min"), f"min ({role.min}) is more than max ({role.max})"
        for j, other in enumerate(role.joins):
            if other not in role_ids:
                yield (*loc, "joins", j), f"unknown role '{other}' (roles: {known})"
            elif other == role.id:
                yield (*loc, "joins", j), "a role cannot join itself"

    group = protocol.group_size
    if group.max is not None and group.min > group.max:
        yield ("group_size", "min"), f"min ({group.min}) is more than max ({group.max})"
    lows = sum(role.bounds[0] for role in protocol.roles)
    highs = [role.bounds[1] for role in protocol.roles]
    if group.max is not None and lows > group.max:
        yield (
            ("group_size", "max"),
            f"the roles need at least {lows} people but group_size.max is {group.max}",
        )
    if group.min < lows:
        yield (
            ("group_size", "min"),
            f"the roles need at least {lows} people; raise group_size.min to {lows}",
        )
    if None not in highs:
        most = sum(h for h in highs if h is not None)
        if most < group.min:
            yield (
                ("group_size", "min"),
                f"the roles hold at most {most} people but group_size.min is {group.min}; "
                "add a role with rest = true",
            )

    for index, step in enumerate(protocol.steps):
        loc = ("steps", index)
        yield from _duplicates(step.capture, (*loc, "capture"), "capture")
        for key in ("speakers", "silent"):
            ids: list[str] = getattr(step, key)
            for j, role_id in enumerate(ids):
                if role_id not in role_ids:
                    yield (*loc, key, j), f"unknown role '{role_id}' (roles: {known})"
            for role_id, n in Counter(ids).items():
                if n > 1:
                    yield (*loc, key), f"role '{role_id}' is listed {n} times"
        for j, role_id in enumerate(step.silent):
            if role_id in step.speakers:
                yield (*loc, "silent", j), f"role '{role_id}' is both a speaker and silent"
        if step.turns is not None:
            yield from _turn_problems(protocol, step, loc, known)
            continue
        if step.minutes is None:
            yield (*loc, "minutes"), "missing: give the step's minutes, or take it in turns"
            continue
        if step.warn_seconds is not None and step.warn_seconds >= step.seconds:
            yield (
                (*loc, "warn_seconds"),
                f"warn_seconds ({step.warn_seconds}) must be less than the step's "
                f"{step.seconds} seconds",
            )
        if step.seconds < 1 or not math.isfinite(step.minutes):
            yield (*loc, "minutes"), "a step lasts at least one second"


def _turn_problems(
    protocol: Protocol, step: Step, loc: Loc, known: str
) -> Iterable[tuple[Loc, str]]:
    turns = step.turns
    assert turns is not None
    if step.minutes is not None:
        yield (*loc, "minutes"), "a step taken in turns gets its length from them; remove minutes"
    if turns.role is not None and turns.role not in {role.id for role in protocol.roles}:
        yield (*loc, "turns", "role"), f"unknown role '{turns.role}' (roles: {known})"
    if turns.role is not None and turns.seats is not None:
        yield (*loc, "turns", "seats"), "turns go to a role or to seats, not both"
    for j, part in enumerate(turns.parts):
        if part.who != "each" and turns.rounds != "each":
            yield (
                (*loc, "turns", "parts", j, "who"),
                f"'{part.who}' needs rounds = \"each\" (a round led by each person)",
            )
        if part.seconds < 1 or not math.isfinite(part.minutes):
            yield (*loc, "turns", "parts", j, "minutes"), "a turn lasts at least one second"
    if turns.round_prompts:
        if turns.rounds == "each":
            yield (
                (*loc, "turns", "round_prompts"),
                'a question per round needs a number of rounds, not "each"',
            )
        elif len(turns.round_prompts) != turns.rounds:
            yield (
                (*loc, "turns", "round_prompts"),
                f"{len(turns.round_prompts)} questions for {turns.rounds} rounds: "
                "give one per round",
            )
    if turns.round_prompts_from is not None:
        questions = {question.id for question in protocol.setup}
        if turns.round_prompts_from not in questions:
            yield (
                (*loc, "turns", "round_prompts_from"),
                f"unknown setup question '{turns.round_prompts_from}' "
                f"(setup questions: {', '.join(sorted(questions)) or 'none'})",
            )
        if turns.rounds == "each":
            yield (
                (*loc, "turns", "round_prompts_from"),
                'a question per round needs a number of rounds, not "each"',
            )
    if turns.rotate and turns.rounds == "each":
        yield (*loc, "turns", "rotate"), "rounds led by each person already rotate; remove rotate"
