"""Setup: the protocol's questions, who is here, who plays which role, and the time we have."""

from __future__ import annotations

import random

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.selection_list import Selection

from ...core.community_edit import add_members
from ...core.describe import format_duration, total_minutes
from ...core.engine import Session, natural_plan
from ...core.fit import FitError, fit_to_time
from ...core.library import LibraryEntry
from ...core.members import load_history
from ...core.problems import FileProblems
from ...core.protocol import Role
from ...core.record import RecordError
from ...core.roles import (
    PastSession,
    check_assignment,
    group_size_note,
    propose_fair,
    propose_random,
)
from ...core.text import visible
from ..widgets.editors import SafeInput, SafeTextArea
from ..widgets.followthrough import FollowThrough

MAX_SLOTS = 4


def _slots(role: Role) -> int:
    low, high = role.bounds
    return min(MAX_SLOTS, high if high is not None else max(low, 1))


class SetupScreen(Screen):
    """Everything a session needs before the first step starts."""

    CSS_PATH = "setup.tcss"

    BINDINGS = [
        Binding("ctrl+s,f5", "begin", "Start", id="setup.start", key_display="^s"),
        Binding("ctrl+f", "propose", "Fair roles", id="setup.fair"),
        Binding("ctrl+r", "shuffle", "Shuffle roles", id="setup.shuffle"),
        Binding("escape", "back", "Back", id="setup.back"),
        Binding("f1", "app.help", "Help", id="setup.help"),
    ]

    def __init__(self, entry: LibraryEntry) -> None:
        super().__init__()
        self.entry = entry
        self.protocol = entry.protocol
        community = self.app.context.community
        self.attendees: list[str] = list(community.member_names)
        self.guests: list[str] = []
        self.first_meeting = not self.attendees
        """No members yet: the people typed in become the community's members."""
        self.roles: dict[str, list[str]] = {}
        self.reasons: dict[str, str] = {}
        self.plan: list[int] = natural_plan(self.protocol, self.attendees, {})
        self._shuffles = 0
        self._history: list[PastSession] | None = None

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        p = self.protocol
        community = self.app.context.community
        yield Header()
        with VerticalScroll(id="setup-form"):
            yield Static(
                Content.assemble(
                    ("Set up: ", "bold"), (visible(p.title), "bold"), f" · {visible(p.summary)}"
                ),
                id="setup-title",
            )
            if p.setup:
                yield Label(Content.styled("Before we start", "bold $accent"), classes="section")
                for question in p.setup:
                    flag = " (required)" if question.required else ""
                    label = visible(question.label)
                    yield Label(Content(label + flag), classes="question")
                    if question.help:
                        help_text = " ".join(visible(question.help).split())
                        yield Static(Content(help_text), classes="help")
                    if question.multiline:
                        yield SafeTextArea(
                            id=f"setup-{question.id}",
                            soft_wrap=True,
                            tab_behavior="focus",
                            placeholder=Content(label),
                            classes="setup-multiline",
                        )
                    else:
                        yield SafeInput(id=f"setup-{question.id}", placeholder=label)
            yield Label(Content.styled("Who is here", "bold $accent"), classes="section")
            if self.first_meeting:
                yield Static(
                    "The community has no members yet: type the name of each person here "
                    "below. They become its members when the session starts (change them "
                    "with o, Community, on the home screen).",
                    id="no-members",
                )
            yield SelectionList[str](
                *[Selection(Content(visible(name)), name, True) for name in self.attendees],
                id="attendees",
            )
            who = "a person" if self.first_meeting else "a guest"
            yield SafeInput(placeholder=f"Add {who}: type a name, press Enter", id="guest")
            yield FollowThrough(
                self.attendees, title="From earlier meetings", id="setup-followthrough"
            )
            yield Label(Content.styled("Roles", "bold $accent"), classes="section")
            yield Static(id="roles-summary")
            with Vertical(id="role-pickers"):
                for role in p.roles:
                    if role.rest:
                        continue
                    with Horizontal(classes="role-row"):
                        yield Label(Content(visible(role.name)), classes="role-name")
                        for slot in range(_slots(role)):
                            yield Select[str](
                                [],
                                prompt="nobody",
                                id=f"role-{role.id}-{slot}",
                                classes="role-select",
                            )
            with Horizontal(id="role-buttons"):
                yield Button("Fair rotation (ctrl+f)", id="fair")
                yield Button("Shuffle (ctrl+r)", id="shuffle")
            yield Static(id="roles-problems")
            yield Label(Content.styled("Time", "bold $accent"), classes="section")
            yield SafeInput(
                placeholder=f"We have ... minutes (leave empty for {total_minutes(p)})",
                type="integer",
                id="minutes",
            )
            yield Static(id="plan-preview")
            if community.norms:
                yield Label(Content.styled("Our norms", "bold $accent"), classes="section")
                norms = "\n".join(f"• {visible(n)}" for n in community.norms)
                yield Static(Content(norms), id="norms")
            yield Button("Start the session (ctrl+s)", id="begin", variant="success")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Set up: {visible(self.protocol.title)}"
        self.action_propose(quiet=True)
        self._show_plan()
        self.query(".setup-multiline, Input").first().focus()

    # -- who is here ----------------------------------------------------------------------------
    @property
    def present(self) -> list[str]:
        ticked = set(self.query_one("#attendees", SelectionList).selected)
        return [name for name in [*self.attendees, *self.guests] if name in ticked]

    @on(SelectionList.SelectedChanged, "#attendees")
    def _attendance_changed(self) -> None:
        self._repropose()
        self.query_one(FollowThrough).set_owners(self.present)

    @on(Input.Submitted, "#guest")
    def _add_guest(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        event.input.value = ""
        if not name:
            return
        if name in self.attendees or name in self.guests:
            self.notify(visible(f"{name} is already on the list"), markup=False)
            return
        self.guests.append(name)
        label = name if self.first_meeting else f"{name} (guest)"
        self.query_one("#attendees", SelectionList).add_option(
            Selection(Content(visible(label)), name, True)
        )

    # -- roles ------------------------------------------------------------------------------
    def _repropose(self) -> None:
        if self._shuffles:
            self.action_shuffle(again=False)
        else:
            self.action_propose(quiet=True)

    def _role_history(self) -> list[PastSession]:
        # Read once per setup, through the search index: reading every session file of a
        # large record on each tick of the attendance list would freeze the screen.
        if self._history is None:
            self._history = load_history(self.app.context.record)
        return self._history

    def action_propose(self, quiet: bool = False) -> None:
        self._shuffles = 0
        proposal = propose_fair(self.protocol, self.present, self._role_history())
        self.roles, self.reasons = proposal.roles, proposal.reasons
        self._show_roles()
        if not quiet:
            self.notify("Roles proposed by fair rotation")

    def action_shuffle(self, again: bool = True) -> None:
        if again:
            self._shuffles += 1
        seed = random.Random().random() if again else self._shuffles
        proposal = propose_random(self.protocol, self.present, seed)
        self.roles, self.reasons = proposal.roles, proposal.reasons
        self._show_roles()

    @on(Button.Pressed, "#fair")
    def _fair_pressed(self) -> None:
        self.action_propose()

    @on(Button.Pressed, "#shuffle")
    def _shuffle_pressed(self) -> None:
        self.action_shuffle()

    @on(Select.Changed, ".role-select")
    def _role_picked(self, event: Select.Changed) -> None:
        role_id = (event.select.id or "").removeprefix("role-").rsplit("-", 1)[0]
        picked: list[str] = []
        for select in self.query("Select.role-select").results(Select):
            if (
                select.id
                and select.id.startswith(f"role-{role_id}-")
                and select.value is not Select.NULL
            ):
                picked.append(str(select.value))
        # Someone picked for this role leaves any other role they had.
        for other, names in self.roles.items():
            if other != role_id:
                self.roles[other] = [n for n in names if n not in picked]
        self.roles[role_id] = list(dict.fromkeys(picked))
        rest = self.protocol.rest_role
        if rest is not None:
            taken = {n for rid, names in self.roles.items() if rid != rest.id for n in names}
            self.roles[rest.id] = [n for n in self.present if n not in taken]
        self.reasons[role_id] = "chosen by hand"
        self._show_roles()

    def _show_roles(self) -> None:
        present = self.present
        lines: list[Content] = []
        for role in self.protocol.roles:
            names = visible(", ".join(self.roles.get(role.id, []))) or "nobody"
            line = Content.assemble((f"{visible(role.name)}: ", "bold"), names)
            if self.reasons.get(role.id) and not role.rest:
                reason = visible(self.reasons[role.id])
                line = Content.assemble(line, ("  (" + reason + ")", "dim"))
            lines.append(line)
        self.query_one("#roles-summary", Static).update(Content("\n").join(lines))
        # Showing a proposal in the pickers is not a choice by hand: keep their Changed quiet.
        with self.prevent(Select.Changed):
            options = [(Content(visible(n)), n) for n in present]
            for role in self.protocol.roles:
                if role.rest:
                    continue
                names = self.roles.get(role.id, [])
                for slot in range(_slots(role)):
                    select = self.query_one(f"#role-{role.id}-{slot}", Select)
                    select.set_options(options)
                    wanted = names[slot] if slot < len(names) else Select.NULL
                    if select.value != wanted:
                        select.value = wanted
        problems = check_assignment(self.protocol, present, self.roles)
        note = group_size_note(self.protocol, len(present))
        text = Content("\n").join(
            [Content.styled(visible(p), "$error") for p in problems]
            + ([Content.styled(visible(note), "$warning")] if note else [])
        )
        self.query_one("#roles-problems", Static).update(text)
        if self.protocol.has_turns:
            self._show_plan()  # steps in turns last as long as the people taking them

    # -- time -------------------------------------------------------------------------------
    @on(Input.Changed, "#minutes")
    def _minutes_changed(self) -> None:
        self._show_plan()

    def _show_plan(self) -> None:
        raw = self.query_one("#minutes", Input).value.strip()
        planned = natural_plan(self.protocol, self.present, self.roles)
        preview = self.query_one("#plan-preview", Static)
        try:
            self.plan = fit_to_time(planned, int(raw) * 60) if raw else planned
        except (FitError, ValueError) as exc:
            self.plan = planned
            preview.update(Content.styled(visible(f"Cannot fit: {exc}"), "$error"))
            return
        rows = [
            Content.assemble(f"{format_duration(s):>6}  ", visible(step.title))
            for step, s in zip(self.protocol.steps, self.plan, strict=True)
        ]
        rows.append(Content.styled(f"{format_duration(sum(self.plan)):>6}  in all", "bold"))
        preview.update(Content("\n").join(rows))

    # -- start ------------------------------------------------------------------------------
    @on(Button.Pressed, "#begin")
    def _begin_pressed(self) -> None:
        self.action_begin()

    def action_begin(self) -> None:
        answers = {}
        for question in self.protocol.setup:
            field = self.query_one(f"#setup-{question.id}")
            answer = field.text if isinstance(field, TextArea) else field.value
            answers[question.id] = answer
            if question.required and not answer.strip():
                self.notify(
                    visible(f"Please answer: {question.label}"), severity="error", markup=False
                )
                field.focus()
                return
        for question_id, problem in self.protocol.answer_problems(answers).items():
            self.notify(visible(problem), severity="error", markup=False)
            self.query_one(f"#setup-{question_id}").focus()
            return
        present = self.present
        problems = check_assignment(self.protocol, present, self.roles)
        if problems:
            self.notify(visible(problems[0]), severity="error", markup=False)
            return
        context = self.app.context
        if self.first_meeting and present:
            self._make_members(present)
        session = Session(
            self.protocol,
            attendees=present,
            roles=self.roles,
            setup=answers,
            plan=self.plan,
            clock=context.clock,
            community=context.community.name,
        )
        self.app.start_session(session, self.entry.sha256)

    def _make_members(self, names: list[str]) -> None:
        context = self.app.context
        try:
            context.community, added = add_members(context.record, names)
        except (RecordError, FileProblems, OSError) as exc:
            # The meeting matters more than the list: start anyway, and say why.
            self.notify(
                visible(f"Could not add them to the community's members: {exc}"),
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        if added:
            people = "1 person" if len(added) == 1 else f"{len(added)} people"
            self.notify(f"Added {people} to the community's members", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
