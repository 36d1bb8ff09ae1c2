"""A protocol at a glance: what the home screen shows beside the library."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.base.text import visible
from ...core.protocol.library import LibraryEntry
from ..styles import HEADING


def _paragraph(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in visible(text).strip().split("\n\n"))


def protocol_content(entry: LibraryEntry) -> Content:
    """The protocol as Content, from its outline (no model needed). Prose from the file is
    literal text, never markup, and a control character in it is shown as an escape
    (``core.base.text.visible``)."""
    p = entry.outline
    parts: list[str | Content | tuple[str, str]] = [
        (visible(p.title), "bold"),
        "\n",
        visible(p.summary),
        "\n",
        (f"{p.minutes} · {len(p.steps)} steps · {p.group} people", "italic"),
    ]
    if p.purpose.strip():
        parts += ["\n\n", ("Purpose", HEADING), "\n", _paragraph(p.purpose)]
    parts += ["\n\n", ("Roles", HEADING)]
    for name, description in p.roles:
        parts += ["\n• ", (visible(name), "bold")]
        if description:
            parts += [": ", " ".join(visible(description).split())]
    if p.setup:
        parts += ["\n\n", ("Before starting", HEADING)]
        for label, required in p.setup:
            parts += ["\n• ", visible(label), " (required)" if required else ""]
    parts += ["\n\n", ("Steps", HEADING)]
    for number, step in enumerate(p.steps, 1):
        parts += [
            f"\n{number:>2}. ",
            (visible(step.title), "bold"),
            f"  {step.minutes}",
            ("  · " + (step.speakers or "silent"), "dim"),
        ]
        if step.turns:
            parts += ["\n    ", (step.turns, "italic")]
    parts += ["\n\n", (f"Total: {p.minutes}", "bold")]
    if p.source.strip():
        parts += ["\n\n", ("Source", HEADING), "\n", _paragraph(p.source)]
    where = f"{entry.source.kind}: {entry.path}"
    if entry.overrides:
        where += " (replaces the " + ", ".join(e.source.kind for e in entry.overrides) + " one)"
    parts += ["\n\n", (visible(where), "dim")]
    return Content.assemble(*parts)


class ProtocolPreview(VerticalScroll):
    """Scrollable summary of one protocol."""

    DEFAULT_CSS = """
    ProtocolPreview {
        padding: 0 1;
    }
    ProtocolPreview > Static {
        width: 1fr;
    }
    """

    def compose(self):
        yield Static(id="preview-body")

    def show(self, entry: LibraryEntry | None) -> None:
        body = self.query_one("#preview-body", Static)
        body.update(protocol_content(entry) if entry else Content("No protocol selected."))
        self.scroll_home(animate=False)
