"""The session engine: a protocol run step by step against a clock.

Time is never counted in ticks. Each step keeps the seconds it has run in earlier segments, and
while it runs, the time since the segment started is read from the clock; remaining time is
``planned + extension - elapsed``. Pausing closes a segment, so a long pause or a long session
accumulates no drift, and nothing depends on how often a screen asks.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ..protocol.model import (
    DEFAULT_WARNING,
    FACILITATOR_ROLE,
    Protocol,
    SetupField,
    Step,
    WarningRule,
    lead_question,
)
from .clock import SYSTEM_CLOCK, Clock
from .outcome import Outcome
from .roles import check_assignment
from .snapshot import (
    SNAPSHOT_FORMAT,
    ActionSnapshot,
    EventKind,
    EventSnapshot,
    RunSnapshot,
    SessionSnapshot,
    TurnSnapshot,
)

if TYPE_CHECKING:
    from ..record.models import SessionRecord, SetupAnswer


class State(StrEnum):
    NOT_STARTED = "not-started"
    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"
    OVERTIME = "overtime"
    FINISHED = "finished"


class SessionError(RuntimeError):
    """An operation that makes no sense in the session's current state."""


@dataclass
class ActionItem:
    """Something someone will try before a later meeting."""

    text: str
    owner: str = ""
    done: bool = False


@dataclass
class Turn:
    """One person's turn in a step taken in turns."""

    name: str
    planned: int
    label: str = ""
    round: int = 0
    extension: int = 0
    elapsed: float = 0.0
    note: str = ""

    @property
    def budget(self) -> int:
        return self.planned + self.extension


@dataclass
class StepRun:
    """What happened in one step: its planned time, extensions, time spent, and notes.

    A step taken in turns also has its ``turns`` (``turn`` is the current one), built from
    ``order``, the people taking turns, with each turn's length scaled by ``scale`` when the
    session was fitted to less time. Its ``planned`` and ``extension`` are its turns' sums.
    """

    step: Step
    planned: int
    extension: int = 0
    elapsed: float = 0.0
    visited: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    turn: int = 0
    order: list[str] = field(default_factory=list)
    scale: float = 1.0

    @property
    def budget(self) -> int:
        return self.planned + self.extension

    @property
    def current_turn(self) -> Turn | None:
        return self.turns[self.turn] if self.turns else None


def seat_name(index: int) -> str:
    """``Speaker A``, ``Speaker B``...: who speaks when small groups take turns all at once."""
    return f"Speaker {chr(ord('A') + index)}"


def turn_takers(
    step: Step, attendees: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> list[str]:
    """Who takes turns in ``step``, in order: seats, the turn role's holders, or everyone."""
    if step.turns is None:
        return []
    if step.turns.seats is not None:
        return [seat_name(k) for k in range(step.turns.seats)]
    if step.turns.role is None:
        return list(attendees)
    return list(roles.get(step.turns.role, ()))


def natural_plan(
    protocol: Protocol, attendees: Sequence[str], roles: Mapping[str, Sequence[str]]
) -> list[int]:
    """Each step's planned seconds for these people: steps in turns depend on who is there."""
    return [
        step.seconds
        if step.turns is None
        else step.turns.seconds_for(len(turn_takers(step, attendees, roles)))
        for step in protocol.steps
    ]


def build_turns(step: Step, order: Sequence[str], scale: float = 1.0) -> list[Turn]:
    """The turns of ``step`` for the people in ``order``: who speaks when, for how long.

    Rounds led by each person (Final Word) take the leader first and then the others in order
    from the leader on; numbered rounds (Microlabs) go round ``order``, starting one place
    further each round when the step rotates.
    """
    spec = step.turns
    if spec is None or not order:
        return []
    people = list(order)
    out: list[Turn] = []

    def add(names: Sequence[str], part_index: int, round_: int) -> None:
        part = spec.parts[part_index]
        seconds = max(1, round(part.seconds * scale))
        out.extend(Turn(name, seconds, part.label, round_) for name in names)

    if spec.rounds == "each":
        for r, leader in enumerate(people):
            others = people[r + 1 :] + people[:r]
            for i, part in enumerate(spec.parts):
                who = {"leader": [leader], "others": others, "each": [leader, *others]}
                add(who[part.who], i, r)
    else:
        for r in range(spec.rounds):
            shift = r % len(people) if spec.rotate else 0
            for i in range(len(spec.parts)):
                add(people[shift:] + people[:shift], i, r)
    return out


@dataclass(frozen=True, slots=True)
class Event:
    """A change to the session, at ``at``, in step ``step`` (the step it left, for a goto).

    ``seconds`` is the time given (or taken) by an extend; ``to_step`` is the step a goto went
    to, or the turn a turn event went to. A restore adds a pause at the moment of the snapshot.
    """

    kind: EventKind
    at: datetime
    step: int
    seconds: float = 0.0
    to_step: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role_id: str
    role_name: str


@dataclass(frozen=True, slots=True)
class Voices:
    """Who speaks in a step, who stays silent, and who keeps time, by name.

    ``speakers`` and ``silent`` hold the roles the step names in ``speakers`` and ``silent``,
    and the roles that join them (``joins``), no one else; nobody is in both. ``facilitator``
    holds the facilitator role in every step, shown apart as keeping time, whether or not the
    step also names them. A step with no speakers is a silent step.
    """

    speakers: tuple[Person, ...]
    silent: tuple[Person, ...]
    facilitator: tuple[Person, ...]

    @property
    def silent_step(self) -> bool:
        return not self.speakers


@dataclass(frozen=True, slots=True)
class StepTime:
    """One step's time, in whole seconds.

    ``planned``: the protocol's plan for the step as fitted at setup. ``adjusted``: planned
    plus the minutes given or taken during the meeting. ``actual``: the time taken, rounded
    once, here, so that every screen and export shows the same second.
    """

    title: str
    planned: int
    adjusted: int
    actual: int

    @property
    def given(self) -> int:
        """Seconds added (or, if negative, taken away) during the meeting."""
        return self.adjusted - self.planned

    @property
    def over(self) -> bool:
        return self.actual > self.adjusted

    @property
    def skipped(self) -> bool:
        return self.actual == 0


@dataclass(frozen=True, slots=True)
class Timing:
    """Planned, adjusted and actual time of a session and of each step. Totals are the sums of
    the steps as shown, so a column always adds up to its total."""

    steps: tuple[StepTime, ...]

    @property
    def planned(self) -> int:
        return sum(step.planned for step in self.steps)

    @property
    def adjusted(self) -> int:
        return sum(step.adjusted for step in self.steps)

    @property
    def actual(self) -> int:
        return sum(step.actual for step in self.steps)


def record_timing(record: SessionRecord) -> Timing:
    """The time of a saved session, computed as :meth:`Session.timing` computes a live one."""
    return Timing(
        tuple(
            StepTime(
                step.title,
                step.planned_seconds,
                step.planned_seconds + step.extended_seconds,
                step.actual_seconds,
            )
            for step in record.steps
        )
    )


def record_lead(record: SessionRecord) -> SetupAnswer | None:
    """The setup answer that leads a saved session (see ``protocol.lead_question``)."""
    lead = lead_question({item.id: item.answer for item in record.setup})
    return next((item for item in record.setup if item.id == lead), None)


def new_session_id() -> str:
    """A short random id: file names come from it, never from user text."""
    return secrets.token_hex(4)


class Session:
    """One meeting running one protocol."""

    def __init__(
        self,
        protocol: Protocol,
        *,
        attendees: Sequence[str],
        roles: Mapping[str, Sequence[str]],
        setup: Mapping[str, str] | None = None,
        plan: Sequence[int] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        session_id: str | None = None,
        community: str = "",
        check_roles: bool = True,
    ) -> None:
        if check_roles:
            problems = check_assignment(protocol, attendees, roles)
            if problems:
                raise SessionError("; ".join(problems))
        planned = list(plan) if plan is not None else natural_plan(protocol, attendees, roles)
        if len(planned) != len(protocol.steps) or any(p < 0 for p in planned):
            raise SessionError("the plan must give a length for every step")
        self.protocol = protocol
        self.clock = clock
        self.id = session_id or new_session_id()
        self.community = community
        self.attendees = list(attendees)
        self.roles = {role.id: list(roles.get(role.id, ())) for role in protocol.roles}
        self.setup = {q.id: (setup or {}).get(q.id, "") for q in protocol.setup}
        self.runs = [
            StepRun(step, seconds) for step, seconds in zip(protocol.steps, planned, strict=True)
        ]
        for run in self.runs:
            if run.step.turns is not None:
                takers = turn_takers(run.step, self.attendees, self.roles)
                natural = run.step.turns.seconds_for(len(takers))
                # A plan fitted to less time scales every turn alike.
                scale = run.planned / natural if plan is not None and natural else 1.0
                self._set_turns(run, takers, scale)
        self.actions: list[ActionItem] = []
        self.reflection = ""
        self.events: list[Event] = []
        self._events_built: list[tuple[Event, EventSnapshot]] = []
        self.index = 0
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.outcome: Outcome | None = None
        self._running_since: float | None = None
        self.revision = 0
        """Bumped on every change, so a journal knows when there is something new to save."""
        self.warning: WarningRule = DEFAULT_WARNING
        """When the countdown warns in steps whose author set no time: the facilitator's
        setting, not part of the session (a resumed session takes the facilitator's again)."""

    # -- queries -------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        if self.outcome is not None:
            return State.FINISHED
        if self.started_at is None:
            return State.NOT_STARTED
        if self._running_since is None:
            return State.PAUSED
        remaining = self.display_remaining()
        if remaining <= 0:
            return State.OVERTIME
        if remaining <= self.warn_at():
            return State.WARNING
        return State.RUNNING

    def warn_at(self) -> int:
        """Seconds left when the countdown warns: a share of the current step (or turn) as it
        runs, fitted and given or taken minutes included, never of the step as written."""
        run = self.current
        turn = run.current_turn
        if turn is not None:
            return run.step.warn_for(turn.budget, run.scale, self.warning)
        if run.step.turns is not None:  # nobody takes turns: the step as a whole
            return run.step.warn_for(run.budget, run.scale, self.warning)
        return run.step.warn_for(run.budget, run.planned / run.step.seconds, self.warning)

    @property
    def running(self) -> bool:
        return self._running_since is not None

    @property
    def current(self) -> StepRun:
        return self.runs[self.index]

    @property
    def is_last_step(self) -> bool:
        return self.index == len(self.runs) - 1

    def elapsed(self, index: int | None = None) -> float:
        """Seconds spent in a step (the current one by default), including the running segment."""
        i = self.index if index is None else index
        spent = self.runs[i].elapsed
        if i == self.index and self._running_since is not None:
            spent += self.clock.monotonic() - self._running_since
        return spent

    def remaining(self, index: int | None = None) -> float:
        """Seconds left in a step; negative once it runs over."""
        i = self.index if index is None else index
        return self.runs[i].budget - self.elapsed(i)

    def turn_elapsed(self, index: int | None = None, turn: int | None = None) -> float:
        """Seconds spent in a turn (the current turn of the current step by default)."""
        i = self.index if index is None else index
        run = self.runs[i]
        t = run.turn if turn is None else turn
        spent = run.turns[t].elapsed
        if i == self.index and t == run.turn and self._running_since is not None:
            spent += self.clock.monotonic() - self._running_since
        return spent

    def turn_remaining(self) -> float:
        """Seconds left in the current turn; negative once it runs over."""
        turn = self.current.current_turn
        if turn is None:
            raise SessionError(f"step '{self.current.step.id}' is not taken in turns")
        return turn.budget - self.turn_elapsed()

    def display_remaining(self) -> float:
        """What the big countdown counts down: the current turn, or else the step."""
        return self.turn_remaining() if self.current.turns else self.remaining()

    def display_seconds(self) -> int:
        """Whole seconds for a countdown: rounds up while time remains, so 0 means time is up."""
        left = self.display_remaining()
        return math.ceil(left) if left > 0 else -math.floor(-left)

    def until_display_changes(self) -> float:
        """Seconds until ``display_seconds`` shows a new value (1.0 while nothing runs).

        Lets a screen wake once per displayed second, on the second, instead of polling.
        """
        if self._running_since is None:
            return 1.0
        left = self.display_remaining()
        return (left - math.floor(left)) or 1.0

    def total_elapsed(self) -> float:
        return sum(self.elapsed(i) for i in range(len(self.runs)))

    def timing(self) -> Timing:
        """Planned, adjusted and actual time, as the record will keep them."""
        return Timing(
            tuple(
                StepTime(run.step.title, run.planned, run.budget, round(self.elapsed(i)))
                for i, run in enumerate(self.runs)
            )
        )

    @property
    def lead(self) -> SetupField | None:
        """The setup question whose answer leads the session (see ``protocol.lead_question``)."""
        lead = lead_question(self.setup)
        return next((q for q in self.protocol.setup if q.id == lead), None)

    def projected_end(self) -> datetime:
        """When the session will end if every step from now on takes its planned time."""
        if self.ended_at is not None:
            return self.ended_at
        left = sum(max(0.0, self.remaining(i)) for i in range(self.index, len(self.runs)))
        return self.clock.now() + timedelta(seconds=left)

    def people(self, role_ids: Sequence[str]) -> list[Person]:
        """Everyone holding one of ``role_ids``, or a role that joins one of them."""
        wanted = set(role_ids)
        out: list[Person] = []
        for role in self.protocol.roles:
            if role.id in wanted or wanted.intersection(role.joins):
                out.extend(Person(name, role.id, role.name) for name in self.roles[role.id])
        return out

    def voices(self, index: int | None = None) -> Voices:
        """Who speaks, who stays silent and who keeps time in a step (the current one by
        default). The one rule for every screen: see :class:`Voices`."""
        step = self.runs[self.index if index is None else index].step
        speakers = self.people(step.speakers)
        talking = {p.name for p in speakers}
        silent = [p for p in self.people(step.silent) if p.name not in talking]
        return Voices(tuple(speakers), tuple(silent), tuple(self.people([FACILITATOR_ROLE])))

    def speakers(self, index: int | None = None) -> list[Person]:
        return list(self.voices(index).speakers)

    def silent(self, index: int | None = None) -> list[Person]:
        return list(self.voices(index).silent)

    def _set_turns(self, run: StepRun, order: Sequence[str], scale: float) -> None:
        run.order = list(order)
        run.scale = scale
        run.turns = build_turns(run.step, run.order, scale)
        run.turn = 0
        run.planned = sum(t.planned for t in run.turns)
        run.extension = sum(t.extension for t in run.turns)

    def turn_person(self, turn: Turn) -> Person:
        """The person taking ``turn``, with the role they hold."""
        role_id = self.role_of(turn.name)
        role_name = self.protocol.role(role_id).name if role_id else ""
        return Person(turn.name, role_id or "", role_name)

    def round_prompt(self, round_: int, index: int | None = None) -> str:
        """The question for round ``round_`` (from 0) of a step in turns, or ``""``: the
        group's own from the setup answers, or the protocol's."""
        turns = self.runs[self.index if index is None else index].step.turns
        if turns is None:
            return ""
        prompts = turns.prompts_for(self.setup)
        return prompts[round_] if round_ < len(prompts) else ""

    def upcoming_turn(self) -> Turn | None:
        """The turn after the current one in this step, if any."""
        run = self.current
        return run.turns[run.turn + 1] if run.turn + 1 < len(run.turns) else None

    def role_of(self, name: str) -> str | None:
        return next((rid for rid, names in self.roles.items() if name in names), None)

    def note(self, index: int, field_id: str) -> str:
        return self.runs[index].notes.get(field_id, "")

    # -- operations ----------------------------------------------------------------------------
    def _event(self, kind: EventKind, seconds: float = 0.0, to_step: int | None = None) -> None:
        self.events.append(Event(kind, self.clock.now(), self.index, seconds, to_step))
        self.revision += 1

    def _require_active(self) -> None:
        if self.outcome is not None:
            raise SessionError("the session has ended")

    def _close_segment(self) -> None:
        if self._running_since is not None:
            now = self.clock.monotonic()
            spent = now - self._running_since
            self.current.elapsed += spent
            if self.current.turns:
                self.current.turns[self.current.turn].elapsed += spent
            self._running_since = now

    def start(self) -> None:
        if self.started_at is not None:
            raise SessionError("the session has already started")
        self.started_at = self.clock.now()
        self.current.visited = True
        self._running_since = self.clock.monotonic()
        self._event(EventKind.START)

    def pause(self) -> None:
        self._require_active()
        if self._running_since is None:
            return
        self._close_segment()
        self._running_since = None
        self._event(EventKind.PAUSE)

    def resume(self) -> None:
        self._require_active()
        if self.started_at is None:
            self.start()
            return
        if self._running_since is not None:
            return
        self._running_since = self.clock.monotonic()
        self._event(EventKind.RESUME)

    def toggle_pause(self) -> None:
        if self.running:
            self.pause()
        else:
            self.resume()

    def goto(self, index: int) -> None:
        """Move to another step. A running session keeps running; a paused one stays paused."""
        self._require_active()
        if not 0 <= index < len(self.runs):
            raise SessionError(f"there is no step {index + 1}")
        if self.started_at is None:
            self.start()
        if index == self.index:
            return
        self._close_segment()
        self._event(EventKind.GOTO, to_step=index)
        self.index = index
        self.current.visited = True

    def next(self) -> None:
        if self.is_last_step:
            raise SessionError("this is the last step; end the session instead")
        self.goto(self.index + 1)

    def previous(self) -> None:
        if self.index == 0:
            raise SessionError("this is the first step")
        self.goto(self.index - 1)

    def extend(self, seconds: int) -> int:
        """Add (or, if negative, take away) time from the current step; return what changed.

        A step's time can be shortened to zero but not below.
        """
        self._require_active()
        turn = self.current.current_turn
        change = max(int(seconds), -(self.current.budget if turn is None else turn.budget))
        if change:
            self.current.extension += change
            if turn is not None:
                turn.extension += change
            self._event(EventKind.EXTEND, seconds=change)
        return change

    # -- turns ------------------------------------------------------------------------------
    def goto_turn(self, turn: int) -> None:
        """Move to another turn of the current step, running or paused as before."""
        self._require_active()
        run = self.current
        if not run.turns:
            raise SessionError(f"step '{run.step.id}' is not taken in turns")
        if not 0 <= turn < len(run.turns):
            raise SessionError(f"there is no turn {turn + 1} in '{run.step.title}'")
        if self.started_at is None:
            self.start()
        if turn == run.turn:
            return
        self._close_segment()
        run.turn = turn
        self._event(EventKind.TURN, to_step=turn)

    def next_turn(self) -> None:
        if self.upcoming_turn() is None:
            raise SessionError("this is the last turn of the step")
        self.goto_turn(self.current.turn + 1)

    def previous_turn(self) -> None:
        if self.current.turn == 0:
            raise SessionError("this is the first turn of the step")
        self.goto_turn(self.current.turn - 1)

    def can_reorder_turns(self, index: int) -> bool:
        """Whether step ``index`` is taken in turns whose order may still change: until its
        second turn begins."""
        run = self.runs[index]
        return bool(run.turns) and run.turn == 0 and not any(t.elapsed for t in run.turns[1:])

    def set_turn_order(self, index: int, order: Sequence[str]) -> None:
        """Take a step's turns in another order; only before its second turn begins.

        Time already spent in the first turn stays with the new first turn.
        """
        self._require_active()
        run = self.runs[index]
        if not run.turns:
            raise SessionError(f"step '{run.step.id}' is not taken in turns")
        if not self.can_reorder_turns(index):
            raise SessionError("the turns have begun: their order can no longer change")
        if sorted(order) != sorted(run.order):
            raise SessionError("the new order must have the same people")
        self._close_segment()
        spent = run.turns[0].elapsed
        self._set_turns(run, order, run.scale)
        run.turns[0].elapsed = spent
        self.revision += 1

    def shuffle_turns(self, index: int, rng: random.Random | None = None) -> None:
        order = list(self.runs[index].order)
        (rng or random.Random()).shuffle(order)
        self.set_turn_order(index, order)

    def set_turn_note(self, index: int, turn: int, text: str) -> None:
        """A note on one person's turn, kept exactly as typed."""
        run = self.runs[index]
        if not 0 <= turn < len(run.turns):
            raise SessionError(f"step '{run.step.id}' has no turn {turn + 1}")
        if run.turns[turn].note != text:
            run.turns[turn].note = text
            self.revision += 1

    def end(self, completed: bool | None = None) -> None:
        """Finish the session; it counts as completed when it ends on the last step."""
        self._require_active()
        if self.started_at is None:
            self.start()
        self._close_segment()
        self._running_since = None
        self.ended_at = self.clock.now()
        done = self.is_last_step if completed is None else completed
        self.outcome = Outcome.COMPLETED if done else Outcome.ENDED_EARLY
        self._event(EventKind.END)

    # -- notes -----------------------------------------------------------------------------
    def set_note(self, index: int, field_id: str, text: str) -> None:
        """Keep ``text`` exactly as typed (any Unicode, any length, markup-like text and all)."""
        run = self.runs[index]
        if field_id not in {f.id for f in run.step.capture}:
            raise SessionError(f"step '{run.step.id}' keeps no notes called '{field_id}'")
        if run.notes.get(field_id, "") != text:
            run.notes[field_id] = text
            self.revision += 1

    def set_reflection(self, text: str) -> None:
        if self.reflection != text:
            self.reflection = text
            self.revision += 1

    def add_action(self, text: str, owner: str = "") -> ActionItem:
        item = ActionItem(text, owner)
        self.actions.append(item)
        self.revision += 1
        return item

    def update_action(
        self,
        index: int,
        *,
        text: str | None = None,
        owner: str | None = None,
        done: bool | None = None,
    ) -> None:
        item = self.actions[index]
        if text is not None:
            item.text = text
        if owner is not None:
            item.owner = owner
        if done is not None:
            item.done = done
        self.revision += 1

    # -- snapshots (the journal) ----------------------------------------------------------
    def snapshot(self) -> SessionSnapshot:
        """Everything needed to resume, as the journal keeps it.

        A running countdown is kept as its deadline, so the snapshot stays true while it runs
        and nothing else changes: only ``saved_at`` (when the app was last known to be alive)
        moves. Built without validation (the checks are for reading a file back), and from
        copies, so it stays as it was when the session moves on.
        """
        now = self.clock.now()
        deadline = None
        if self._running_since is not None:
            deadline = now + timedelta(seconds=self.display_remaining())
        return SessionSnapshot.model_construct(
            format=SNAPSHOT_FORMAT,
            id=self.id,
            community=self.community,
            protocol=self.protocol,
            attendees=list(self.attendees),
            roles={role: list(names) for role, names in self.roles.items()},
            setup=dict(self.setup),
            index=self.index,
            running=self.running,
            deadline=deadline,
            started_at=self.started_at,
            ended_at=self.ended_at,
            outcome=self.outcome,
            runs=[_run_snapshot(run) for run in self.runs],
            actions=[ActionSnapshot.model_construct(**vars(item)) for item in self.actions],
            reflection=self.reflection,
            events=self._event_snapshots(),
            saved_at=now,
        )

    def _event_snapshots(self) -> list[EventSnapshot]:
        """The events as snapshots, each built once: the journal is written every second or
        two, and a long meeting holds hundreds of events, which only ever get added to."""
        built = self._events_built
        kept = 0
        for (event, _), current in zip(built, self.events, strict=False):
            if event is not current:
                break
            kept += 1
        del built[kept:]
        built.extend((e, EventSnapshot.model_construct(**asdict(e))) for e in self.events[kept:])
        return [snapshot for _, snapshot in built]

    @classmethod
    def from_snapshot(cls, snapshot: SessionSnapshot, clock: Clock = SYSTEM_CLOCK) -> Session:
        """Rebuild a session from a snapshot read back by ``snapshot.parse`` (which checked
        it). A running session comes back paused.

        It is paused as of ``saved_at``: the journal cannot know how long after that the app
        stopped, nor whether the room went on meeting, so the facilitator resumes by hand.
        """
        session = cls(
            snapshot.protocol,
            attendees=snapshot.attendees,
            roles=snapshot.roles,
            setup=snapshot.setup,
            plan=[run.planned for run in snapshot.runs],
            clock=clock,
            session_id=snapshot.id,
            community=snapshot.community,
            check_roles=False,
        )
        for run, saved in zip(session.runs, snapshot.runs, strict=True):
            run.extension = saved.extension
            run.elapsed = saved.elapsed
            run.visited = saved.visited
            run.notes = dict(saved.notes)
            if saved.turns:
                run.order = list(saved.order)
                run.scale = saved.scale
                run.turns = [Turn(**vars(turn)) for turn in saved.turns]
                run.turn = saved.turn
            # Turns rebuilt at a scale worked back from the plan may round apart from those
            # saved: the plan is what was saved.
            run.planned = saved.planned
        session.index = snapshot.index
        session.started_at = snapshot.started_at
        session.ended_at = snapshot.ended_at
        session.outcome = snapshot.outcome
        session.actions = [ActionItem(**vars(item)) for item in snapshot.actions]
        session.reflection = snapshot.reflection
        session.events = [Event(**vars(event)) for event in snapshot.events]
        if snapshot.running and session.outcome is None:
            segment = max(0.0, snapshot.running_segment())
            run = session.current
            run.elapsed += segment
            if run.turns:
                run.turns[run.turn].elapsed += segment
            session.events.append(Event(EventKind.PAUSE, snapshot.saved_at, session.index))
        return session


def _run_snapshot(run: StepRun) -> RunSnapshot:
    return RunSnapshot.model_construct(
        planned=run.planned,
        extension=run.extension,
        elapsed=run.elapsed,
        visited=run.visited,
        notes=dict(run.notes),
        turn=run.turn,
        order=list(run.order),
        scale=run.scale,
        turns=[TurnSnapshot.model_construct(**vars(turn)) for turn in run.turns],
    )
