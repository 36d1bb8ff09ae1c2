"""Run: the countdown, the step, who speaks and who is silent, prompts, plan and notes.

What the facilitator needs at every moment (the countdown, the step, who speaks, the focusing
question, how far the meeting is) stays put; only the prompts, the facilitator's notes and the
instructions scroll, in a box of their own, so 80x24 never scrolls the clock away.

The screen never advances by itself: the facilitator decides. Everything it shows is computed
from the session's deadlines; it wakes when the countdown's next second is due (the session says
when), so an hour on this screen costs one small update a second, and widgets are only touched
when what they show changes. Tests that move a fake clock call ``tick`` to see the result.
"""

from __future__ import annotations

import math
from datetime import datetime

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Footer, ProgressBar, Static

from ...core.base.durations import format_duration
from ...core.base.text import visible
from ...core.protocol.model import CaptureField
from ...core.session.engine import Session, SessionError, State
from ...core.session.outcome import Outcome, outcome_label
from ...core.session.wording import voice_lines
from ..app import ProtocolRunnerApp
from ..dialogs.blank import BLANK_TOOLTIP, BlankScreen
from ..footer import SteadyFooterScreen
from ..styles import HEADING
from ..widgets.countdown import Countdown
from ..widgets.notes import NoteEditor, NotesPanel
from ..widgets.plan import PlanView

TURN_NOTE = "turn_"
"""Note boxes with ids ``turn_<k>`` hold the note on turn k of a step taken in turns."""

WAKE_MARGIN = 0.01
"""Seconds to wake after a second is due, so the new value is there to show."""


MINUTE = Binding.Group("±1 min")


SPEAK = ".run--speak"
SILENT = ".run--silent"
VOICE_STYLES = {
    "speak": SPEAK,
    "silent": SILENT,
    "silent-step": SILENT,
    "facilitator": ".run--facilitator",
}
"""The style of each kind of voice line, by its component class (run.tcss says how it looks)."""


class RunScreen(SteadyFooterScreen):
    """The screen the room sees during the meeting."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "run.tcss"
    COMPONENT_CLASSES = {"run--speak", "run--silent", "run--facilitator"}

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    # The function keys work everywhere, even while typing notes: they are priority bindings,
    # so an editor can never swallow them or type them in. The footer shows them for that
    # reason. The letter keys are quicker, and work when no note box has focus.
    BINDINGS = [
        # F5 says what it will do: one of these two is active at a time (see check_action).
        Binding(
            "f5",
            "pause",
            "Pause",
            id="run.pause",
            priority=True,
            tooltip="Pause or resume the countdown",
        ),
        Binding(
            "f5",
            "resume",
            "Resume",
            id="run.resume",
            priority=True,
            tooltip="Pause or resume the countdown",
        ),
        Binding(
            "f8",
            "next_step",
            "Next",
            id="run.next",
            priority=True,
            tooltip="Go to the next step or turn (on the last step: end)",
        ),
        # Going back is a correction, not a step of the meeting: help lists it, and the footer
        # keeps its room for ^q Quit at 80 columns.
        Binding(
            "f7",
            "previous_step",
            "Back",
            id="run.back",
            priority=True,
            show=False,
            tooltip="Go back to the previous step or turn",
        ),
        # One footer entry for both: the run screen's keys must fit in 80 columns.
        Binding(
            "f10",
            "extend(60)",
            "+1 min",
            id="run.plus",
            priority=True,
            group=MINUTE,
            tooltip="Give this step one more minute",
        ),
        Binding(
            "f9",
            "extend(-60)",
            "-1 min",
            id="run.minus",
            priority=True,
            group=MINUTE,
            tooltip="Take a minute off this step",
        ),
        # In footer order: the controls a meeting needs come first, so 80 columns show it.
        Binding(
            "f12",
            "end_session",
            "End",
            id="run.end",
            priority=True,
            tooltip="Finish the meeting and go to the summary (asks first)",
        ),
        Binding(
            "f2",
            "toggle_projector",
            "Projector",
            id="run.projector",
            priority=True,
            tooltip="Only the big timer, the step, who speaks and the prompts",
        ),
        Binding(
            "f3",
            "focus_notes",
            "Notes",
            id="run.notes",
            priority=True,
            tooltip="Go to the note boxes (again: the next box)",
        ),
        Binding(
            "f1",
            "app.help",
            "Help",
            id="run.help",
            priority=True,
            tooltip="The keys of this screen, its lists and everywhere",
        ),
        Binding(
            "space",
            "toggle_pause",
            "Pause",
            id="run.pause-key",
            show=False,
            tooltip="Pause or resume the countdown",
        ),
        Binding(
            "n",
            "next_step",
            "Next",
            id="run.next-key",
            show=False,
            tooltip="Go to the next step or turn (on the last step: end)",
        ),
        # Not b: b and . are a clicker's blank-screen keys (below). Backspace goes back, as in
        # slide shows.
        Binding(
            "backspace",
            "previous_step",
            "Back",
            id="run.back-key",
            show=False,
            tooltip="Go back to the previous step or turn",
        ),
        Binding(
            "plus,equals_sign",
            "extend(60)",
            "+1 min",
            id="run.plus-key",
            show=False,
            tooltip="Give this step one more minute",
        ),
        Binding(
            "minus",
            "extend(-60)",
            "-1 min",
            id="run.minus-key",
            show=False,
            tooltip="Take a minute off this step",
        ),
        Binding(
            "p",
            "toggle_projector",
            "Projector",
            id="run.projector-key",
            show=False,
            tooltip="Only the big timer, the step, who speaks and the prompts",
        ),
        Binding(
            "e",
            "end_session",
            "End",
            id="run.end-key",
            show=False,
            tooltip="Finish the meeting and go to the summary (asks first)",
        ),
        Binding(
            "i",
            "focus_notes",
            "Notes",
            id="run.notes-key",
            show=False,
            tooltip="Go to the note boxes (again: the next box)",
        ),
        Binding(
            "m",
            "toggle_bell",
            "Bell on/off",
            id="run.bell",
            show=False,
            tooltip="Ring the bell at time-up, or not",
        ),
        Binding(
            "o",
            "shuffle_turns",
            "Shuffle turns",
            id="run.shuffle-turns",
            show=False,
            tooltip="Shuffle the order of turns (before the second turn)",
        ),
        Binding(
            "question_mark",
            "app.help",
            "Help",
            id="run.help-key",
            show=False,
            tooltip="The keys of this screen, its lists and everywhere",
        ),
        Binding(
            "escape",
            "leave_notes",
            "Leave notes",
            id="run.leave-notes",
            show=False,
            tooltip="Leave the note box, so the letter keys act",
        ),
        # A presentation clicker: forward and back send PageDown and PageUp. Priority, like the
        # function keys, so a focused note box never takes them as a page move; they leave the
        # note box too, so the clicker's blank button (below) then blanks rather than types.
        Binding(
            "pagedown",
            "clicker_next",
            "Next",
            id="run.next-page",
            priority=True,
            show=False,
            tooltip="Go to the next step or turn (on the last step: end)",
        ),
        Binding(
            "pageup",
            "clicker_back",
            "Back",
            id="run.back-page",
            priority=True,
            show=False,
            tooltip="Go back to the previous step or turn",
        ),
        # A clicker's blank-screen button sends b or . (the keys slide shows use). Letters, so
        # in a note box they type; Escape first, or the palette's "Blank the screen".
        Binding(
            "b,full_stop", "blank", "Blank", id="run.blank-key", show=False, tooltip=BLANK_TOOLTIP
        ),
    ]

    # The command palette offers the screen's enabled bindings under these names (a key's
    # tooltip is the command's help); see ProtocolRunnerApp.get_system_commands.
    COMMAND_NAMES = {
        "pause": "Pause or resume",
        "resume": "Pause or resume",
        "toggle_pause": "Pause or resume",
        "next_step": "Next step",
        "clicker_next": "Next step",
        "previous_step": "Previous step",
        "clicker_back": "Previous step",
        "extend(60)": "Add a minute",
        "extend(-60)": "Take a minute off",
        "end_session": "End session",
        "toggle_projector": "Projector mode",
        "focus_notes": "Go to the notes",
        "toggle_bell": "Bell on or off",
        "shuffle_turns": "Shuffle the turns",
        "leave_notes": "Leave the note box",
        "blank": "Blank the screen",
    }

    def __init__(self, session: Session, protocol_sha256: str = "") -> None:
        super().__init__()
        self.session = session
        self.protocol_sha256 = protocol_sha256
        self._signalled: set[tuple[int, int]] = set()
        self._last_key: tuple[object, ...] | None = None
        self._wake: Timer | None = None
        self._texts: dict[str, str] = {}
        self._notes_turn: tuple[int, int] | None = None

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="run-top"):
            yield Static(id="step-heading")
            yield Static(id="clock-info")
        with Horizontal(id="run-body"):
            with Vertical(id="run-main"):
                yield Countdown(id="countdown")
                yield Static(id="step-title")
                yield Static(id="turn")
                yield Static(id="turn-step")
                yield Static(id="focus")
                yield Static(id="speakers")
                yield Static(id="silent")
                # What is read during the step comes first: the instructions were read out
                # when it began.
                with VerticalScroll(id="run-scroll"):
                    yield Static(id="prompts")
                    yield Static(id="facilitator-notes")
                    yield Static(id="instructions")
            with Vertical(id="run-side"):
                yield Static(Content("Plan"), id="plan-title", classes="heading")
                yield PlanView(id="plan")
                yield ProgressBar(total=100, show_eta=False, id="progress")
                yield Static(id="totals")
        yield VerticalScroll(id="notes-area")
        yield Footer()

    def on_mount(self) -> None:
        self.session.warning = self.app.context.warning
        if self.app.context.settings.settings.projector.start:
            self.action_toggle_projector()
        if self.session.state is State.NOT_STARTED:
            self.session.start()
        elif self.session.display_remaining() <= 0:
            # A resumed session already over time rang before it was interrupted.
            self._signalled.add((self.session.index, self.session.current.turn))
        self.app.save_journal(self.session, self.protocol_sha256, force=True)
        self.show_step()
        self.tick()

    def _wake_up(self) -> None:
        self._wake = None
        self.tick()

    # -- showing ---------------------------------------------------------------------------
    def show_step(self) -> None:
        """Everything that changes only with the step."""
        s = self.session
        run = s.current
        step = run.step
        self._notes_turn = (s.index, run.turn)  # the notes are shown below, with the step's
        self.query_one("#step-heading", Static).update(
            Content.assemble(
                (f"Step {s.index + 1} of {len(s.runs)}", "bold"),
                " · ",
                visible(s.protocol.title),
            )
        )
        self.query_one("#step-title", Static).update(Content.styled(visible(step.title), "bold"))
        focus = s.lead
        focus_widget = self.query_one("#focus", Static)
        focus_widget.set_class(focus is None, "-empty")
        if focus is not None:
            answer = " ".join(visible(s.setup[focus.id]).split())
            focus_widget.update(Content.assemble((f"{visible(focus.label)}: ", "bold"), answer))
        self.show_turn()
        _, silent = self._voices()
        silent_widget = self.query_one("#silent", Static)
        silent_widget.set_class(silent is None, "-empty")
        if silent is not None:
            silent_widget.update(silent)
        instructions = "\n\n".join(
            " ".join(p.split())
            for p in visible(step.instructions).strip().split("\n\n")
            if p.strip()
        )
        self.query_one("#instructions", Static).update(Content(instructions))
        prompts = self.query_one("#prompts", Static)
        prompts.set_class(not step.prompts, "-empty")
        prompts.update(
            Content("\n").join(
                [Content.styled("Prompts", HEADING)]
                + [Content.assemble("• ", " ".join(visible(p).split())) for p in step.prompts]
            )
        )
        notes = self.query_one("#facilitator-notes", Static)
        # Classes, not ``display``: an inline style would beat projector mode's stylesheet.
        notes.set_class(not step.facilitator_notes.strip(), "-empty")
        notes.update(
            Content.assemble(
                ("For the facilitator: ", "bold italic"),
                (" ".join(visible(step.facilitator_notes).split()), "italic"),
            )
        )
        self.query_one("#run-scroll", VerticalScroll).scroll_home(animate=False)
        self.call_later(self._show_notes)
        self._last_key = None

    def show_turn(self) -> None:
        """Who speaks: the step's speakers, or in a step taken in turns whose turn it is."""
        s = self.session
        run = s.current
        turn_widget = self.query_one("#turn", Static)
        turn_widget.set_class(not run.turns, "-empty")
        turn = run.current_turn
        if turn is None:
            self.query_one("#speakers", Static).update(self._speakers_line())
            return
        person = s.turn_person(turn)
        now = Content.assemble(("Now: ", SPEAK), (visible(person.name), "bold"))
        if person.role_name:
            now = Content.assemble(now, f" ({visible(person.role_name)})")
        if turn.label:
            now = Content.assemble(now, f" {visible(turn.label)}")
        upcoming = s.upcoming_turn()
        if upcoming is not None:
            then = Content.assemble(("Next: ", "bold"), visible(upcoming.name))
            if upcoming.label:
                then = Content.assemble(then, f" {visible(upcoming.label)}")
        else:
            then = Content.styled("Last turn of this step.", "italic")
        self.query_one("#speakers", Static).update(Content("\n").join([now, then]))
        spec = run.step.turns
        assert spec is not None
        rounds = len(run.order) if spec.rounds == "each" else spec.rounds
        where = f"Turn {run.turn + 1} of {len(run.turns)} · round {turn.round + 1} of {rounds}"
        about: list[str | tuple[str, str]] = [(where, "bold")]
        if spec.rounds == "each":
            about.append(f", led by {visible(run.order[turn.round])}")
        lines = [Content.assemble(*about)]
        question = s.round_prompt(turn.round)
        if question:
            lines.append(
                Content.assemble(
                    (f"Round {turn.round + 1}: ", HEADING),
                    " ".join(visible(question).split()),
                )
            )
        turn_widget.update(Content("\n").join(lines))
        if self._notes_turn != (s.index, run.turn):
            self._notes_turn = (s.index, run.turn)
            self.call_later(self._show_notes)  # the box for this turn's note

    def _voices(self) -> tuple[Content, Content | None]:
        """Who speaks (and who keeps time), and who listens in silence: the core's rule
        (``Session.voices``), in the room's words (``voice_lines``)."""
        shown = [
            (line.kind, Content.assemble((f"{line.label}: ", VOICE_STYLES[line.kind]), line.text))
            for line in voice_lines(self.session.voices())
        ]
        speak = Content("\n").join([text for kind, text in shown if kind != "silent"])
        silent = next((text for kind, text in shown if kind == "silent"), None)
        return speak, silent

    def _speakers_line(self) -> Content:
        return self._voices()[0]

    async def _show_notes(self) -> None:
        s = self.session
        area = self.query_one("#notes-area", VerticalScroll)
        fields = [(s.index, f, s.note(s.index, f.id)) for f in s.current.step.capture]
        turn = s.current.current_turn
        if turn is not None:
            # The turn's own box first. Its id has an underscore, which no protocol's note id
            # can (ids are slugs), so the two never collide.
            label = f"On {turn.name}'s turn" + (f" ({turn.label})" if turn.label else "")
            field = CaptureField.model_construct(
                id=f"{TURN_NOTE}{s.current.turn}",
                label=label,
                help=f"What {turn.name} said that is worth keeping",
            )
            fields.insert(0, (s.index, field, turn.note))
        had_focus = isinstance(self.focused, NoteEditor)
        # The old editors must be gone before the new ones (which may share ids) arrive.
        await area.remove_children()
        await area.mount(NotesPanel(fields))
        area.set_class(not fields, "-empty")
        if had_focus and fields:
            self.action_focus_notes()

    def tick(self) -> None:
        """Show what changed, signal time-up once per step, and sleep until the next second."""
        if self._wake is not None:
            self._wake.stop()
            self._wake = None
        s = self.session
        if s.state is State.FINISHED:
            return
        seconds = s.display_seconds()
        state = s.state
        self.query_one(Countdown).show(seconds, state)
        signal = (s.index, s.current.turn)
        if state is State.OVERTIME and signal not in self._signalled:
            self._signalled.add(signal)
            self._time_up()
        # The plan and totals move by the minute: the countdown is where the seconds are.
        elapsed = s.total_elapsed()
        end = s.projected_end()
        key = (
            state,
            s.index,
            s.current.turn,
            int(elapsed // 60),
            f"{end:%H:%M}",
            self.app.context.bell,
        )
        if key != self._last_key:
            self._last_key = key
            self._show_progress(elapsed, end)
        self.app.save_journal(s, self.protocol_sha256)
        self._wake = self.set_timer(s.until_display_changes() + WAKE_MARGIN, self._wake_up)

    def _time_up(self) -> None:
        title = self.session.current.step.title
        if self.app.context.bell:
            self.app.bell()
        next_key, more_key = self.key_for("next_step"), self.key_for("extend(60)")
        self.notify(
            visible(
                f"Time is up: {title}. Press {next_key} for the next step or {more_key} for "
                "another minute."
            ),
            title="Time is up",
            severity="warning",
            markup=False,
        )

    def _show_progress(self, elapsed: float, end: datetime) -> None:
        s = self.session
        run = s.current
        turn_step = self.query_one("#turn-step", Static)
        turn_step.set_class(not run.turns, "-empty")
        if run.turns:
            # The big countdown is the turn's; the whole step's time is here, by the minute.
            used, budget = int(s.elapsed() // 60), math.ceil(run.budget / 60)
            left = len(run.turns) - run.turn - 1
            self._update_text(
                "#turn-step",
                f"Whole step: {used} of {budget} min used · "
                f"{left} turn{'' if left == 1 else 's'} to go",
            )
        self.query_one(PlanView).show(s)
        total = s.timing().adjusted
        self.query_one(ProgressBar).update(total=max(total, 1), progress=min(elapsed, total))
        minutes = f"{int(elapsed // 60)} of {math.ceil(total / 60)} min"
        self._update_text("#totals", f"{minutes}\nEnds about {end:%H:%M}")
        bell = "" if self.app.context.bell else " · bell off"
        self._update_text("#clock-info", f"ends ~{end:%H:%M} · {minutes}{bell}")

    def _update_text(self, selector: str, text: str) -> None:
        """Show ``text``, asking for a new layout only when its shape changes.

        A layout of the whole screen costs more than everything else a tick does.
        """
        widget = self.query_one(selector, Static)
        before = self._texts.get(selector)
        if before == text:
            return
        self._texts[selector] = text
        same_shape = before is not None and [len(line) for line in before.split("\n")] == [
            len(line) for line in text.split("\n")
        ]
        widget.update(Content(text), layout=not same_shape)

    # -- notes -------------------------------------------------------------------------------
    @on(NotesPanel.Changed)
    def _note_changed(self, event: NotesPanel.Changed) -> None:
        if event.field_id.startswith(TURN_NOTE):
            turn = int(event.field_id.removeprefix(TURN_NOTE))
            self.session.set_turn_note(event.step_index, turn, event.text)
        else:
            self.session.set_note(event.step_index, event.field_id, event.text)
        self.app.save_journal(self.session, self.protocol_sha256)

    def action_focus_notes(self) -> None:
        editors = list(self.query(NoteEditor))
        if not editors:
            self.notify("This step keeps no notes.")
            return
        if self.has_class("-projector"):
            self.action_toggle_projector()
        current = self.focused
        if current in editors:
            editors[(editors.index(current) + 1) % len(editors)].focus()
        else:
            editors[0].focus()

    def action_leave_notes(self) -> None:
        if isinstance(self.focused, NoteEditor):
            self.set_focus(None)

    # -- controls ----------------------------------------------------------------------------
    def _changed(self, step_changed: bool = False) -> None:
        if step_changed:
            self.show_step()
        self._last_key = None
        self.tick()
        self.app.save_journal(self.session, self.protocol_sha256, force=True)
        self.refresh_bindings()

    def action_toggle_pause(self) -> None:
        self.session.toggle_pause()
        self._changed()

    def action_pause(self) -> None:
        self.action_toggle_pause()

    def action_resume(self) -> None:
        self.action_toggle_pause()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return self.session.running
        if action == "resume":
            return not self.session.running
        # Hidden, not greyed, when they cannot apply, so the footer and palette stay short.
        if action == "shuffle_turns":
            return self.session.can_reorder_turns(self.session.index)
        if action == "leave_notes":
            return isinstance(self.focused, NoteEditor)
        return True

    def _forget_notices(self) -> None:
        """Drop the notices about the step or turn being left ("keeps no notes", "time is up"):
        they would cover the next one's note box. A failed journal write is shown again by the
        write that follows every move."""
        self.app.clear_notifications()

    def action_next_step(self) -> None:
        """The next turn of a step taken in turns, else the next step (on the last: end)."""
        s = self.session
        if s.upcoming_turn() is not None:
            s.next_turn()
            self._forget_notices()
            self.show_turn()
            self._changed()
            return
        if s.is_last_step:
            self.action_end_session()
            return
        s.next()
        self._forget_notices()
        self._changed(step_changed=True)

    def action_previous_step(self) -> None:
        s = self.session
        if s.current.turn > 0:
            s.previous_turn()
            self._forget_notices()
            self.show_turn()
            self._changed()
            return
        if s.index == 0:
            self.notify("This is the first step.")
            return
        s.previous()
        self._forget_notices()
        self._changed(step_changed=True)

    def action_clicker_next(self) -> None:
        """A clicker's forward button: the next step or turn, out of the note box."""
        self.action_leave_notes()
        self.action_next_step()

    def action_clicker_back(self) -> None:
        """A clicker's back button: the previous step or turn, out of the note box."""
        self.action_leave_notes()
        self.action_previous_step()

    def action_shuffle_turns(self) -> None:
        s = self.session
        if not s.current.turns:
            self.notify("This step is not taken in turns.")
            return
        try:
            s.shuffle_turns(s.index)
        except SessionError as exc:
            self.notify(visible(str(exc).capitalize() + "."), markup=False)
            return
        self.notify(visible("New order: " + ", ".join(s.current.order)), markup=False, timeout=4)
        self.show_turn()
        self._changed()

    def action_extend(self, seconds: int) -> None:
        change = self.session.extend(seconds)
        if self.session.display_remaining() > 0:
            self._signalled.discard((self.session.index, self.session.current.turn))
        if change:
            sign = "+" if change > 0 else "-"
            self.notify(f"{sign}{format_duration(abs(change))} for this step", timeout=2)
        self._changed()

    def action_toggle_projector(self) -> None:
        projector = not self.has_class("-projector")
        self.set_class(projector, "-projector")
        self.query_one(Countdown).set_class(projector, "-big")
        if projector and isinstance(self.focused, NoteEditor):
            self.set_focus(None)
        self.app.set_projector_theme(projector)

    def key_for(self, action: str) -> str:
        """The key that runs ``action`` now, as the footer shows it (a letter key if it has
        one, as the room's facilitator is told): keys may be remapped in the settings."""
        keys = [
            active.binding
            for active in self.active_bindings.values()
            if active.binding.action == action and active.node is self
        ]
        keys.sort(key=lambda b: b.priority)
        return self.app.get_key_display(keys[0]) if keys else action

    def action_blank(self) -> None:
        """Blank the screen and pause; coming back resumes only what the blank paused."""
        paused_here = self.session.running
        if paused_here:
            self.session.pause()
            self._changed()

        def back(_: None) -> None:
            if paused_here and not self.session.running:
                self.session.resume()
                self._changed()

        self.app.push_screen(BlankScreen(), back)

    def action_toggle_bell(self) -> None:
        self.app.context.bell = not self.app.context.bell
        self.notify("Bell on" if self.app.context.bell else "Bell off", timeout=2)
        self._changed()

    def action_end_session(self) -> None:
        s = self.session
        if s.is_last_step:
            question = "End the session? You can still edit notes before saving."
        else:
            question = (
                f"End the session now, at step {s.index + 1} of {len(s.runs)}? "
                f"It will be recorded as {outcome_label(Outcome.ENDED_EARLY)}."
            )

        def done(yes: bool | None) -> None:
            if yes:
                s.end()
                self.app.save_journal(s, self.protocol_sha256, force=True)
                self.app.show_summary(s, self.protocol_sha256)

        from ..dialogs.confirm import ClickerConfirmDialog

        self.app.push_screen(ClickerConfirmDialog(question, yes="End", no="Keep going"), done)
