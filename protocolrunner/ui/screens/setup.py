"""Setup: the protocol's questions, who is here, who plays which role, and the time we have."""

from __future__ import annotations

import random

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
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

from ...core.base.durations import format_duration
from ...core.base.problems import FileProblems
from ...core.base.text import visible
from ...core.protocol.describe import total_minutes
from ...core.protocol.library import LibraryEntry
from ...core.record.community_edit import add_members
from ...core.record.folder import RecordError
from ...core.record.members import load_history
from ...core.session.engine import Session, natural_plan
from ...core.session.fit import FitError, fit_to_time
from ...core.session.roles import (
    PastSession,
    Proposal,
    check_assignment,
    group_size_note,
    pick_by_hand,
    propose_fair,
    propose_random,
)
from ..app import ProtocolRunnerApp
from ..dialogs.confirm import ConfirmDialog
from ..footer import SteadyFooterScreen
from ..reading import read_then_show
from ..widgets.editors import SafeInput, SafeTextArea
from ..widgets.followthrough import FollowThrough
from ..widgets.role_picker import RolePicker, RoleRow


class SetupScreen(SteadyFooterScreen):
    """Everything a session needs before the first step starts."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "setup.tcss"
    # Back from "Leave setup?" focus stays where it was (on nothing, after Escape), so a second
    # Escape asks again instead of only leaving the first box.
    AUTO_FOCUS = ""

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
        self.proposal = Proposal({})
        """Who holds which role, and why (fair rotation, shuffle, or a pick by hand)."""
        self.plan: list[int] = natural_plan(self.protocol, self.attendees, {})
        self._shuffles = 0
        self._history: list[PastSession] | None = None
        """Who held which role when: read once per setup, off the UI thread for a large record."""
        self._fair_waits = False
        """Fair rotation was asked for and waits for the history (shown once it is read)."""
        self._fair_quiet = True
        self._untouched: tuple[object, ...] = ()
        """The form as it opened: Escape leaves without asking only while it is the same."""

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        p = self.protocol
        community = self.app.context.community
        yield Header()
        # Not a Tab stop itself: it scrolls to whatever field has focus, and PageUp/PageDown
        # still reach it from there.
        with VerticalScroll(id="setup-form", can_focus=False):
            # The header already shows the title.
            yield Static(Content(visible(p.summary)), id="setup-summary")
            if p.setup:
                yield Label(Content("Before we start"), classes="section heading")
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
            yield Label(Content("Who is here"), classes="section heading")
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
            yield Label(Content("Roles"), classes="section heading")
            yield Static(id="roles-summary")
            with Vertical(id="role-pickers"):
                for role in p.roles:
                    if not role.rest:  # the rest role is whoever is left: nothing to pick
                        yield RoleRow(role)
            with Horizontal(id="role-buttons"):
                yield Button("Fair rotation (ctrl+f)", id="fair")
                yield Button("Shuffle (ctrl+r)", id="shuffle")
            yield Static(id="roles-problems")
            yield Label(Content("Time"), classes="section heading")
            yield SafeInput(
                placeholder=f"We have ... minutes (leave empty for {total_minutes(p)})",
                type="integer",
                valid_empty=True,
                id="minutes",
            )
            yield Static(id="plan-preview")
            if community.norms:
                yield Label(Content("Our norms"), classes="section heading")
                norms = "\n".join(f"• {visible(n)}" for n in community.norms)
                yield Static(Content(norms), id="norms")
            yield Button("Start the session (ctrl+s)", id="begin", variant="success")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Set up: {visible(self.protocol.title)}"
        self.action_propose(quiet=True)
        self._show_plan()
        self._show_attendance()
        self.query(".setup-multiline, Input").first().focus()
        self._untouched = self._form()
        # Through the search index, once per setup: reading every session file on each tick of
        # the attendance list would freeze the screen. A small record is read before the first
        # frame; a large one in a thread, the roles saying so until it is read.
        record = self.app.context.record
        read_then_show(
            self, lambda: load_history(record), self._history_read, group="setup", fallback=list
        )

    # -- who is here ----------------------------------------------------------------------------
    @property
    def present(self) -> list[str]:
        ticked = set(self.query_one("#attendees", SelectionList).selected)
        return [name for name in [*self.attendees, *self.guests] if name in ticked]

    def _show_attendance(self) -> None:
        # An empty list shows nothing, not even focus: it is no Tab stop until someone is added.
        attendance = self.query_one("#attendees", SelectionList)
        attendance.display = attendance.option_count > 0

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
        self._show_attendance()

    # -- roles ------------------------------------------------------------------------------
    def _repropose(self) -> None:
        if self._shuffles:
            self.action_shuffle(again=False)
        else:
            self.action_propose(quiet=True)

    def _history_read(self, history: list[PastSession]) -> None:
        self._history = history
        if self._fair_waits:
            untouched = self._form() == self._untouched
            self.action_propose(quiet=self._fair_quiet)
            if untouched:  # the proposal setup opens with: Escape still leaves at once
                self._untouched = self._form()

    def action_propose(self, quiet: bool = False) -> None:
        self._shuffles = 0
        if self._history is None:
            self._fair_waits = True
            self._fair_quiet = quiet
            self._show_roles()
            return
        self._fair_waits = False
        self.proposal = propose_fair(self.protocol, self.present, self._history)
        self._show_roles()
        if not quiet:
            self.notify("Roles proposed by fair rotation")

    def action_shuffle(self, again: bool = True) -> None:
        self._fair_waits = False
        if again:
            self._shuffles += 1
        seed = random.randrange(1 << 32) if again else self._shuffles
        self.proposal = propose_random(self.protocol, self.present, seed)
        self._show_roles()

    @on(Button.Pressed, "#fair")
    def _fair_pressed(self) -> None:
        self.action_propose()

    @on(Button.Pressed, "#shuffle")
    def _shuffle_pressed(self) -> None:
        self.action_shuffle()

    @property
    def roles(self) -> dict[str, list[str]]:
        return self.proposal.roles

    @property
    def reasons(self) -> dict[str, str]:
        return self.proposal.reasons

    def picker(self, role_id: str, slot: int = 0) -> RolePicker:
        """The picker for place ``slot`` of the role ``role_id``."""
        return next(p for p in self.query(RolePicker) if p.role_id == role_id and p.slot == slot)

    @on(Select.Changed, "RolePicker")
    def _role_picked(self, event: Select.Changed) -> None:
        picker = event.select
        if not isinstance(picker, RolePicker):
            return
        role_id = picker.role_id
        names = [
            str(p.value)
            for p in self.query(RolePicker)
            if p.role_id == role_id and p.value is not Select.NULL
        ]
        self._fair_waits = False
        self.proposal = pick_by_hand(self.protocol, self.present, self.proposal, role_id, names)
        self._show_roles()

    def _show_roles(self) -> None:
        present = self.present
        if self._fair_waits:
            # No proposal yet rather than an unfair one, or "nobody" in every role.
            waiting = "Fair rotation: reading who held which role before…"
            self.query_one("#roles-summary", Static).update(Content.styled(waiting, "dim"))
            self.query_one("#roles-problems", Static).update(Content(""))
            with self.prevent(Select.Changed):
                options = [(Content(visible(n)), n) for n in present]
                for picker in self.query(RolePicker):
                    picker.set_options(options)
            return
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
            for picker in self.query(RolePicker):
                holders = self.roles.get(picker.role_id, [])
                picker.set_options(options)
                wanted = holders[picker.slot] if picker.slot < len(holders) else Select.NULL
                if picker.value != wanted:
                    picker.value = wanted
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
        times = [format_duration(s) for s in self.plan]
        total = format_duration(sum(self.plan))
        width = max(6, len(total))  # an hour or more is a wider total: every row follows it
        rows = [
            Content.assemble(f"{time:>{width}}  ", visible(step.title))
            for step, time in zip(self.protocol.steps, times, strict=True)
        ]
        rows.append(Content.styled(f"{total:>{width}}  in all", "bold"))
        preview.update(Content("\n").join(rows))

    # -- start ------------------------------------------------------------------------------
    @on(Button.Pressed, "#begin")
    def _begin_pressed(self) -> None:
        self.action_begin()

    def _answer(self, question_id: str) -> str:
        field = self.query_one(f"#setup-{question_id}")
        if isinstance(field, TextArea):
            return field.text
        assert isinstance(field, Input)
        return field.value

    def action_begin(self) -> None:
        answers = {}
        for question in self.protocol.setup:
            field = self.query_one(f"#setup-{question.id}")
            answer = self._answer(question.id)
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
        if self._fair_waits:
            self.notify("The roles come in a moment: the record is still being read")
            return
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

    def _form(self) -> tuple[object, ...]:
        """What the facilitator typed and chose here, to compare with the form as it opened."""
        # Tuples, not the screen's own lists, which change in place (a guest is appended).
        return (
            tuple(self._answer(question.id) for question in self.protocol.setup),
            tuple(self.present),
            tuple(self.guests),
            tuple((role_id, tuple(names)) for role_id, names in sorted(self.roles.items())),
            self.query_one("#minutes", Input).value,
        )

    def action_back(self) -> None:
        # Escape in a text box leaves the box, as in the run screen's note boxes; only an
        # Escape from outside one leaves setup.
        if isinstance(self.focused, Input | TextArea):
            self.set_focus(None)
            return
        if self._form() == self._untouched:
            self.app.pop_screen()
            return

        def done(leave: bool | None) -> None:
            if leave:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmDialog(
                "Leave setup? What you typed and chose here will be lost.",
                yes="Leave",
                no="Stay",
            ),
            done,
        )
