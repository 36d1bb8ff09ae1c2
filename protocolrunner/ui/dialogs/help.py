"""The keys of the screen the user is on, read from the bindings themselves, in a modal.

Nothing here is a hand-kept list: the lines come from the ``BINDINGS`` of the app, the screen
and the screen's widgets (a list's keys work while it has focus), so a key added anywhere is in
help at once. Keys that do the same thing share one line: the same action, the same key (a
toggle such as F5 Pause / Resume), or the same description.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.actions import parse
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from ...core.base.text import visible
from ..keymap import effective

OWN_PACKAGE = __name__.split(".")[0]
ON_SCREEN = "On this screen"
EVERYWHERE = "Everywhere"
TEXT_WIDTH = 70
"""The dialog's room for a line (its width, less border and padding)."""


@dataclass
class KeyLine:
    """One thing the user can do, and every key that does it."""

    keys: list[str]
    text: str
    tooltip: str = ""
    node: DOMNode | None = None
    action: str = ""
    """The action its keys run now (of a toggle, the half enabled)."""


@dataclass
class KeyGroup:
    """The lines of one place: a screen, a widget on it, or everywhere."""

    place: str
    lines: list[KeyLine] = field(default_factory=list)
    focused: bool = False


def declared_bindings(node: DOMNode) -> list[Binding]:
    """The bindings protocolrunner's own classes declare on ``node``, one per key.

    Textual's built-in keys (a list's arrows, an editor's shortcuts) are the widgets' own
    business and would bury the app's keys; the app's palette key is added by ``key_groups``.
    """
    bindings: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.split(".")[0] != OWN_PACKAGE:
            continue
        declared = cls.__dict__.get("BINDINGS")
        if declared:
            bindings.extend(Binding.make_bindings(declared))
    return bindings


def is_enabled(node: DOMNode, binding: Binding) -> bool:
    """Whether the binding's action is available now (``check_action`` says so)."""
    namespace, name, parameters = parse(binding.action)
    target: DOMNode = node
    if namespace == "app":
        target = node.app
    elif namespace == "screen" and isinstance(node, Widget):
        target = node.screen
    return target.check_action(name, parameters) is not False


def merge(
    node: DOMNode, bindings: list[Binding], key_display: Callable[[Binding], str]
) -> list[KeyLine]:
    """One line per thing to do, in the order first declared; lines whose every binding is
    disabled now are left out."""
    groups: list[list[Binding]] = []
    for binding in bindings:
        if not binding.description:
            continue
        joined = [
            i
            for i, group in enumerate(groups)
            if any(
                other.key == binding.key
                or other.action == binding.action
                or other.description == binding.description
                for other in group
            )
        ]
        merged = [b for i in joined for b in groups[i]] + [binding]
        at = joined[0] if joined else len(groups)
        for i in reversed(joined):
            del groups[i]
        groups.insert(at, merged)
    lines = []
    for group in groups:
        enabled = [b for b in group if is_enabled(node, b)]
        if not enabled:
            continue
        first = enabled[0]
        lines.append(
            KeyLine(
                keys=list(dict.fromkeys(key_display(b) for b in group)),
                text=" / ".join(dict.fromkeys(b.description for b in group)),
                tooltip=next((b.tooltip for b in group if b.tooltip), ""),
                node=node,
                action=first.action,
            )
        )
    return lines


def place_name(widget: Widget) -> str:
    """``ActionItemList`` -> ``the action item list``, unless the class names its place."""
    named = getattr(type(widget), "HELP_PLACE", None)
    if isinstance(named, str):
        return named
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(widget).__name__).lower()
    return f"the {words}"


def _shown(widget: Widget) -> bool:
    node: DOMNode | None = widget
    while isinstance(node, Widget) and not isinstance(node, Screen):
        if not node.display:
            return False
        node = node.parent
    return True


def _covers(other: KeyLine, line: KeyLine) -> bool:
    return other.text == line.text and set(line.keys) < set(other.keys)


def key_groups(app: App, screen: Screen) -> list[KeyGroup]:
    """The keys of ``screen``: its own, its widgets' (one group per kind of widget), then
    those that work everywhere; a line already listed in full elsewhere is not repeated."""

    def key_display(binding: Binding) -> str:
        # The key itself, not a footer's short form: help has room to say ``ctrl+s`` as ``^s``.
        return app.get_key_display(Binding(binding.key, ""))

    # The keys as the settings remapped them, as the footer shows them.
    keymap: dict[str, str] = getattr(app, "keymap", {})

    def declared(node: DOMNode) -> list[Binding]:
        return list(effective(declared_bindings(node), keymap))

    groups = [KeyGroup(ON_SCREEN, merge(screen, declared(screen), key_display))]
    seen: set[type] = set()
    for widget in screen.query("*"):
        if type(widget) in seen or not _shown(widget):
            continue
        bindings = declared(widget)
        if not bindings:
            continue
        seen.add(type(widget))
        focused = screen.focused is not None and type(screen.focused) is type(widget)
        lines = merge(widget, bindings, key_display)
        groups.append(KeyGroup(f"In {place_name(widget)}", lines, focused=focused))
    everywhere = declared(app)
    if app.ENABLE_COMMAND_PALETTE:
        everywhere.append(
            Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Command palette")
        )
    groups.append(KeyGroup(EVERYWHERE, merge(app, everywhere, key_display)))
    # A line held elsewhere with more keys, or listed already, is not repeated (home's
    # ^q Quit is the app's ^q / ^c Quit; the protocol list's Enter is home's Set up).
    every = [line for group in groups for line in group.lines]
    listed: list[KeyLine] = []
    for group in groups:
        kept = []
        for line in group.lines:
            if any(_covers(other, line) for other in every) or any(
                other.text == line.text and other.keys == line.keys for other in listed
            ):
                continue
            kept.append(line)
            listed.append(line)
        group.lines = kept
    return [g for g in groups if g.lines]


def keys_table(groups: list[KeyGroup]) -> Content:
    width = max((len(" / ".join(line.keys)) for g in groups for line in g.lines), default=4)
    rows: list[Content] = []
    for group in groups:
        if rows:
            rows.append(Content(""))
        heading = visible(group.place) + (" (it has focus)" if group.focused else "")
        rows.append(Content.styled(heading, "bold"))
        for line in group.lines:
            parts: list[str | tuple[str, str]] = [
                (f"{' / '.join(line.keys):>{width}}", ".help--key"),
                "  ",
                visible(line.text),
            ]
            # The tooltip says more than the footer's word, where it fits on the line.
            more = f"  {visible(line.tooltip)}" if line.tooltip else ""
            if more and width + 2 + len(line.text) + len(more) <= TEXT_WIDTH:
                parts.append((more, "dim"))
            rows.append(Content.assemble(*parts))
    return Content("\n").join(rows)


class HelpDialog(ModalScreen[None]):
    """Lists every key of a screen, including those the footer has no room for."""

    COMPONENT_CLASSES = {"help--key"}

    DEFAULT_CSS = """
    HelpDialog {
        align: center middle;
    }
    HelpDialog > .help--key {
        color: $accent;
        text-style: bold;
    }
    HelpDialog > VerticalScroll {
        width: 76;  /* TEXT_WIDTH + 6 */
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close")]

    def __init__(self, title: str, groups: list[KeyGroup], about: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.groups = groups
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            # The title names the screen, which may name a protocol from a file.
            yield Static(Content.styled(visible(self.title_text), "bold"))
            if self.about:
                yield Static(Content(visible(self.about)), classes="help-about")
            yield Static(keys_table(self.groups))
            yield Static(Content.styled("Escape closes this help.", "dim"))
