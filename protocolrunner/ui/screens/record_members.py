"""Members: each member's sessions, roles taken, last time presenting, and next in rotation.

The numbers come from ``core.record.members.member_histories`` over the record's role history, with
the same fair-rotation order setup uses to propose roles.
"""

from __future__ import annotations

from datetime import date

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Static

from ...core.base.text import visible
from ...core.record.members import PRESENTER, MemberHistory, load_history, member_histories
from ...core.session.roles import PastSession
from ..app import ProtocolRunnerApp
from ..reading import read_then_show
from ..styles import HEADING, StyledScreen


def _day(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else "never"


def _place(place: int | None) -> str:
    return f"#{place}" if place else "–"


class MembersScreen(StyledScreen):
    """The community's members and what they have done in it."""

    app = getters.app(ProtocolRunnerApp)

    CSS_PATH = "record_members.tcss"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="members.back"),
        Binding("o", "community", "Edit members", id="members.community"),
        Binding("f1", "app.help", "Help", id="members.help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.histories: list[MemberHistory] = []
        library = self.app.context.library
        self.role_names: dict[str, str] = {}
        rotating: dict[str, None] = {}
        for entry in library:
            for role in entry.protocol.roles:
                self.role_names.setdefault(role.id, role.name)
                if role.rotates:
                    rotating[role.id] = None
        # The presenter's rotation first: it is the one a community watches most.
        self.rotating = sorted(rotating, key=lambda r: (r != PRESENTER, r != "facilitator", r))

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="members-body"):
            yield Static(id="members-title")
            yield DataTable(id="members-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="member-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Members"
        self.query_one("#members-title", Static).update(
            Content.assemble(
                ("Members of ", "bold"),
                (visible(self.app.context.community.name), "bold"),
                ("  · reading the record…", "dim"),
            )
        )
        record = self.app.context.record
        read_then_show(
            self, lambda: load_history(record), self._show, group="members", fallback=list
        )

    def _show(self, history: list[PastSession]) -> None:
        community = self.app.context.community
        self.histories = member_histories(
            community.members, history, self.rotating[:2] or [PRESENTER], others=True
        )
        table = self.query_one(DataTable)
        table.clear(columns=True)
        rotating = self.rotating[:2] or [PRESENTER]
        longest = max(
            (len(visible(h.name)) + (0 if h.listed else 8) for h in self.histories), default=6
        )
        table.add_column("Member", key="name", width=max(6, min(longest, 28)))
        table.add_column("Sessions", key="sessions")
        table.add_column("Last presented", key="presented")
        for role_id in rotating:
            table.add_column(
                visible(f"Next {self.role_names.get(role_id, role_id).lower()}"),
                key=f"next-{role_id}",
            )
        for h in self.histories:
            shown = visible(h.name)
            name = Content(shown) if h.listed else Content.styled(shown + " (guest)", "dim")
            table.add_row(
                name,
                Content(f"{h.sessions:>8}"),
                Content(_day(h.last_presented)),
                *[Content(_place(h.rotation.get(r))) for r in rotating],
                key=h.name,
            )
        listed = sum(1 for h in self.histories if h.listed)
        self.query_one("#members-title", Static).update(
            Content.assemble(
                ("Members of ", "bold"),
                (visible(community.name), "bold"),
                (f"  · {listed} members, {len(history)} sessions", "dim"),
                "\n",
                ("Next: #1 is who setup proposes first (held the role least recently)", "dim"),
            )
        )
        if self.histories:
            self._detail(0)
        table.focus()

    @on(DataTable.RowHighlighted, "#members-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, row: int) -> None:
        if not 0 <= row < len(self.histories):
            return
        h = self.histories[row]
        roles = sorted(h.roles.items(), key=lambda item: (-item[1], item[0]))
        parts: list[str | Content | tuple[str, str]] = [(visible(h.name), "bold")]
        if h.note:
            parts += [("  " + visible(h.note), "dim")]
        if not h.listed:
            parts += [("  not listed in community.toml", "dim italic")]
        parts += [
            "\n",
            ("Sessions: ", HEADING),
            f"{h.sessions}, last on {_day(h.last_session)}",
            "\n",
            ("Roles: ", HEADING),
            visible(" · ".join(f"{self.role_names.get(r, r)} {n}" for r, n in roles)) or "none yet",
            "\n",
            ("Last presented: ", HEADING),
            _day(h.last_presented),
        ]
        for role_id, place in h.rotation.items():
            name = visible(self.role_names.get(role_id, role_id))
            parts += ["\n", (f"Next {name.lower()}: ", HEADING), _place(place)]
            if place == 1:
                parts += [("  (setup will propose them first)", "dim")]
        self.query_one("#member-detail", Static).update(Content.assemble(*parts))

    def action_community(self) -> None:
        self.app.open_community()
