"""Setup's role pickers: one row per role, its name and a picker for each place it has."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, Select

from ...core.base.text import visible
from ...core.protocol.model import Role

MAX_PLACES = 4
"""Pickers shown for a role with no upper limit or a high one; more would not fit 80 columns."""


def places(role: Role) -> int:
    """How many pickers ``role`` gets: its most people, or its fewest when it has no most."""
    low, high = role.bounds
    return min(MAX_PLACES, high if high is not None else max(low, 1))


class RolePicker(Select[str]):
    """Who holds one place of a role: ``role_id`` and ``slot`` say which, not the widget id."""

    def __init__(self, role_id: str, slot: int, *, id: str | None = None) -> None:
        super().__init__([], prompt="nobody", id=id)
        self.role_id = role_id
        self.slot = slot


class RoleRow(Horizontal):
    """A role's name, then its pickers side by side."""

    DEFAULT_CSS = """
    RoleRow {
        height: auto;
    }
    RoleRow > .role-name {
        width: 16;
        padding: 1 1 0 0;
    }
    RoleRow > RolePicker {
        width: 1fr;
        max-width: 28;
    }
    """

    def __init__(self, role: Role) -> None:
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        yield Label(Content(visible(self.role.name)), classes="role-name")
        for slot in range(places(self.role)):
            yield RolePicker(self.role.id, slot)
