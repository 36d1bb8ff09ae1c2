"""Community: name, purpose, goals, norms and members, edited where the community meets.

Saving validates the form (every problem listed in plain words), then writes only what was
changed here onto the freshest ``community.toml`` under the record's lock, atomically.
"""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ...core.base.problems import FileProblems, Problem
from ...core.base.text import visible
from ...core.record.browse import describe_problem
from ...core.record.community_edit import (
    lines_text,
    parse_lines,
    save_community,
    validate_community,
)
from ...core.record.folder import COMMUNITY_FILE, RecordError
from ...core.record.models import Community, Member
from ..app import ProtocolRunnerApp
from ..footer import SteadyFooterScreen
from ..styles import HEADING
from ..widgets.editors import SafeInput, SafeTextArea


def member_content(member: Member) -> Content:
    if member.note:
        return Content.assemble(
            (visible(member.name), "bold"), ("  " + visible(member.note), "dim")
        )
    return Content.styled(visible(member.name), "bold")


def _text_field(title: str, hint: str, text: str, id: str, placeholder: str) -> ComposeResult:
    """A headed box of several lines (purpose, goals, norms)."""
    yield Label(Content.assemble((title, HEADING), (f"  {hint}", "dim")), classes="section")
    yield SafeTextArea(
        text,
        id=id,
        soft_wrap=True,
        tab_behavior="focus",
        classes="community-text",
        placeholder=placeholder,
    )


class MemberList(OptionList):
    """The members; Delete removes the highlighted one, Enter edits it."""

    BINDINGS = [
        Binding("delete,backspace", "remove", "Remove member", id="community.remove-member"),
    ]

    def action_remove(self) -> None:
        screen = self.screen
        if isinstance(screen, CommunityScreen):
            screen.remove_member()


class CommunityScreen(SteadyFooterScreen):
    """Who the community is and what it has agreed, editable."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "record_community.tcss"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="community.save"),
        Binding("escape", "back", "Back", id="community.back"),
        Binding("f1", "app.help", "Help", id="community.help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        context = self.app.context
        self.broken: list[Problem] = []
        """Why ``community.toml`` cannot be read; the form is then read-only."""
        try:
            self.original = context.record.load_community()
        except FileProblems as exc:
            # Never an empty form one ctrl+s away from wiping the file: the last good content,
            # read-only, and what is wrong.
            self.broken = exc.problems
            self.original = context.record.last_good_community() or context.community
        self.members: list[Member] = list(self.original.members)
        self.shown: Community = self.original
        """The community as the form showed it when it opened (see ``_remember_shown``)."""

    def compose(self) -> ComposeResult:
        c = self.original
        yield Header()
        if self.broken:
            yield Static(self._broken_content(), id="community-broken")
        with VerticalScroll(id="community-form", disabled=bool(self.broken)):
            yield Static(
                Content.assemble(
                    ("Our community", "bold"),
                    ("  · saved in " + self._where(), "dim"),
                ),
                id="community-title",
            )
            with Horizontal(id="community-head"):
                with Vertical():
                    yield Label(Content("Name"), classes="section heading")
                    yield SafeInput(c.name, id="edit-name", placeholder="The community's name")
                with Vertical():
                    yield Label(Content("When we meet"), classes="section heading")
                    yield SafeInput(
                        c.cadence, id="edit-cadence", placeholder="e.g. Every other Tuesday"
                    )
            yield from _text_field(
                "Purpose",
                "what we work on together",
                c.purpose,
                "edit-purpose",
                "What the community works on together",
            )
            yield from _text_field(
                "Goals", "one per line", lines_text(c.goals), "edit-goals", "One goal per line"
            )
            yield from _text_field(
                "Norms",
                "our agreements, one per line",
                lines_text(c.norms),
                "edit-norms",
                "One agreement per line",
            )
            yield Label(
                Content.assemble(
                    ("Members", HEADING),
                    ("  Enter: edit below · Delete: remove · a name typed again: new note", "dim"),
                ),
                classes="section",
            )
            yield MemberList(id="edit-members")
            with Horizontal(id="member-add"):
                yield SafeInput(id="member-name", placeholder="Name")
                yield SafeInput(id="member-note", placeholder="Note, e.g. Grade 7 maths")
                yield Button("Add", id="add-member")
            yield Static(id="community-errors")
            yield Button("Save (ctrl+s)", id="save-community", variant="success")
        yield Footer()

    def _broken_content(self) -> Content:
        root = self.app.context.record.root
        lines = [
            Content.styled(
                f"{COMMUNITY_FILE} cannot be read, so it cannot be edited here:", "bold $error"
            )
        ]
        lines += [Content("  " + describe_problem(p, root)) for p in self.broken[:3]]
        lines.append(
            Content(
                "Below is the last version read on this computer, read-only. Fix the file in "
                "an editor (or run 'protocolrunner record sync' if a sync left it so), then "
                "open this screen again."
            )
        )
        return Content("\n").join(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "save" and self.broken)

    def _where(self) -> str:
        path = self.app.context.record.community_path
        return visible(f"{path.parent.name}/{path.name}")

    def on_mount(self) -> None:
        self.title = "Community"
        self._show_members()
        self._remember_shown()
        if not self.broken:
            self.query_one("#edit-name", Input).focus()

    def _remember_shown(self) -> None:
        """Keep the community as the form shows it, to tell what the person changes here.

        The form need not hold a text exactly as the file does: it trims spaces, and a TextArea
        takes a lone CR, VT, FF or NEL for a line break. Compared with the file, such a text
        would count as changed without anyone touching it, and be written back changed; compared
        with what the form showed, only what is edited here is written (``merge`` keeps every
        other field as the file has it).
        """
        shown, _ = validate_community(self.form_data())
        self.shown = shown or self.original

    # -- members --------------------------------------------------------------------------------
    def _show_members(self, highlight: int | None = None) -> None:
        listing = self.query_one(MemberList)
        listing.clear_options()
        listing.add_options(Option(member_content(m)) for m in self.members)
        if self.members:
            listing.highlighted = min(highlight or 0, len(self.members) - 1)

    @on(Input.Submitted, "#member-name, #member-note")
    @on(Button.Pressed, "#add-member")
    def add_member(self) -> None:
        name_input = self.query_one("#member-name", Input)
        note_input = self.query_one("#member-note", Input)
        name, note = name_input.value.strip(), note_input.value.strip()
        if not name:
            self.notify("Type the member's name first", severity="warning")
            name_input.focus()
            return
        for i, member in enumerate(self.members):
            if member.name == name:
                self.members[i] = Member(name=name, note=note)
                self.notify(visible(f"Updated {name}"), markup=False)
                self._show_members(i)
                break
        else:
            self.members.append(Member(name=name, note=note))
            self.notify(visible(f"Added {name}; ctrl+s saves"), markup=False)
            self._show_members(len(self.members) - 1)
        name_input.value = note_input.value = ""
        name_input.focus()

    def remove_member(self) -> None:
        listing = self.query_one(MemberList)
        index = listing.highlighted
        if index is None or index >= len(self.members):
            return
        member = self.members.pop(index)
        self.notify(visible(f"Removed {member.name}; ctrl+s saves"), markup=False)
        self._show_members(index)

    @on(OptionList.OptionSelected, "#edit-members")
    def _edit_member(self, event: OptionList.OptionSelected) -> None:
        member = self.members[event.option_index]
        self.query_one("#member-name", Input).value = member.name
        self.query_one("#member-note", Input).value = member.note
        self.query_one("#member-note", Input).focus()

    # -- saving ---------------------------------------------------------------------------------
    def form_data(self) -> dict[str, object]:
        return {
            "format": self.original.format,
            "name": self.query_one("#edit-name", Input).value.strip(),
            "cadence": self.query_one("#edit-cadence", Input).value.strip(),
            "purpose": self.query_one("#edit-purpose", TextArea).text.strip(),
            "goals": parse_lines(self.query_one("#edit-goals", TextArea).text),
            "norms": parse_lines(self.query_one("#edit-norms", TextArea).text),
            "members": [m.model_dump() for m in self.members],
        }

    def edited(self) -> Community | None:
        community, problems = validate_community(self.form_data())
        errors = self.query_one("#community-errors", Static)
        errors.update(Content("\n").join(Content.styled(visible(p), "$error") for p in problems))
        errors.display = bool(problems)
        return community

    @property
    def unsaved(self) -> bool:
        community, _ = validate_community(self.form_data())
        return community is None or community != self.shown

    @on(Button.Pressed, "#save-community")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> bool:
        edited = self.edited()
        if edited is None:
            self.notify("Not saved: see the problems above the Save button", severity="error")
            self.query_one("#community-errors").scroll_visible()
            return False
        if edited == self.shown:
            self.notify("Nothing changed")
            return True
        context = self.app.context
        try:
            saved = save_community(context.record, self.shown, edited)
        except (OSError, RecordError, FileProblems) as exc:
            self.notify(
                visible(str(exc)), title="Not saved", severity="error", markup=False, timeout=10
            )
            return False
        context.community = saved
        self.original = saved
        self.members = list(saved.members)
        self._show_members()
        self._remember_shown()
        self.notify(visible(f"Saved {context.record.community_path.name}"), markup=False)
        return True

    def action_back(self) -> None:
        if not self.unsaved:
            self.app.pop_screen()
            return
        from ..dialogs.confirm import ConfirmDialog

        def done(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmDialog(
                "Leave without saving your changes to the community?", yes="Leave", no="Stay"
            ),
            done,
        )
