"""Open action items from earlier sessions: mark them done, carry them forward or drop them.

Shown on the home screen and in setup. Every change is written straight back into the session
file the item came from (locked and atomic, through the core).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...core.base.problems import FileProblems, Problem
from ...core.base.text import visible
from ...core.record.folder import RecordError
from ...core.record.followthrough import (
    OpenItem,
    State,
    carried_note,
    load_open_items,
    mark,
    source_label,
)
from ...core.record.index import name_key
from ..app import ProtocolRunnerApp
from ..reading import read_then_show

KEYS_HINT = "space done · f carry forward · x drop"


def item_content(item: OpenItem, today: date | None = None) -> Content:
    """One item: where it is from (dim), what (plain text, never markup), who, carried when."""
    parts: list[str | Content | tuple[str, str]] = [
        (source_label(item, today) + ": ", "dim"),
        visible(item.text),
    ]
    if item.owner:
        parts.append(("  — " + visible(item.owner), "italic"))
    note = carried_note(item, today)
    if note:
        parts.append(("  " + note, "$text-warning"))
    return Content.assemble(*parts)


class ActionItemList(OptionList):
    """The items; the keys work while the list has focus."""

    HELP_PLACE = "the follow-through list"

    BINDINGS = [
        # Not in the footer: the panel's heading names them, and with setup's own keys they
        # pushed ^q Quit off an 80-column footer. Help lists them.
        Binding("space", "review('done')", "Done", show=False, id="followthrough.done"),
        Binding("f", "review('carried')", "Carry forward", show=False, id="followthrough.carry"),
        Binding("x", "review('dropped')", "Drop", show=False, id="followthrough.drop"),
    ]

    def action_review(self, state: State) -> None:
        parent = self.parent
        if isinstance(parent, FollowThrough):
            parent.review(state)


class FollowThrough(Vertical):
    """Open action items, newest meeting first; hidden when there are none."""

    app = getters.app(ProtocolRunnerApp)

    DEFAULT_CSS = """
    FollowThrough {
        height: auto;
        padding: 0 1;
    }
    FollowThrough > #followthrough-title {
        color: $text-accent;
        text-style: bold;
    }
    FollowThrough > ActionItemList {
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
    }
    """

    class Loaded(Message):
        """The items were read; ``problems`` names the record's files that could not be."""

        def __init__(self, problems: list[Problem]) -> None:
            super().__init__()
            self.problems = problems

    class Reviewed(Message):
        """An item was marked; ``item`` as it was before, ``state`` what it became."""

        def __init__(self, item: OpenItem, state: State) -> None:
            super().__init__()
            self.item = item
            self.state = state

    def __init__(
        self,
        owners: Sequence[str] | None = None,
        *,
        title: str = "Follow-through",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.owners = list(owners) if owners is not None else None
        self.heading = title
        self.items: list[OpenItem] = []
        self.shown: list[OpenItem] = []
        self.problems: list[Problem] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(id="followthrough-title")
        yield ActionItemList(id="followthrough-items")

    def on_mount(self) -> None:
        self.display = False
        self.reload()

    @property
    def today(self) -> date:
        return self.app.context.clock.now().date()

    # -- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the open items (at once for a small record, in a thread for a large one)."""
        record, today = self.app.context.record, self.today

        def read() -> tuple[list[OpenItem], list[Problem]]:
            problems: list[Problem] = []
            return load_open_items(record, today=today, problems=problems), problems

        read_then_show(
            self,
            read,
            self._loaded,
            group="followthrough",
            fallback=lambda: ([], []),
            failure="Could not read the action items",
        )

    def _loaded(self, read: tuple[list[OpenItem], list[Problem]]) -> None:
        self.items, self.problems = read
        self.loaded = True
        self._show()
        self.post_message(self.Loaded(self.problems))

    def set_owners(self, owners: Sequence[str] | None) -> None:
        self.owners = list(owners) if owners is not None else None
        if self.loaded:
            self._show()

    def _show(self) -> None:
        if self.owners is None:
            shown = list(self.items)
        else:
            keys = {name_key(n) for n in self.owners}
            shown = [i for i in self.items if not i.owner.strip() or name_key(i.owner) in keys]
        self.shown = shown
        listing = self.query_one(ActionItemList)
        highlighted = listing.highlighted
        listing.clear_options()
        today = self.today
        listing.add_options(
            Option(item_content(item, today), id=f"{item.session_id}:{item.position}")
            for item in shown
        )
        if shown:
            listing.highlighted = min(highlighted or 0, len(shown) - 1)
        n = len(shown)
        self.query_one("#followthrough-title", Static).update(
            Content.assemble(
                f"{self.heading}: {n} open action item{'s' if n != 1 else ''}",
                ("   " + KEYS_HINT, "dim not bold"),
            )
        )
        self.display = bool(shown)

    # -- reviewing --------------------------------------------------------------------------------
    @property
    def selected(self) -> OpenItem | None:
        index = self.query_one(ActionItemList).highlighted
        if index is None or index >= len(self.shown):
            return None
        return self.shown[index]

    def review(self, state: State) -> None:
        item = self.selected
        if item is None:
            return
        today = self.today
        try:
            mark(self.app.context.record, item, state, self.app.context.clock.now())
        except (OSError, RecordError, FileProblems) as exc:
            self.notify(
                visible(str(exc)), title="Not saved", severity="error", markup=False, timeout=10
            )
            return
        if state == "carried":
            changed = dataclasses.replace(item, status="carried", reviewed=today)
            self.items = [changed if i == item else i for i in self.items]
        else:
            self.items = [i for i in self.items if i != item]
        verb = {"done": "Done", "carried": "Carried forward", "dropped": "Dropped"}[state]
        self.notify(visible(f"{verb}: {item.text}"), markup=False)
        self._show()
        self.post_message(self.Reviewed(item, state))
