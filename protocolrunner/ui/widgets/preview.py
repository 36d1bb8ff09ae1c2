"""A protocol at a glance: what the home screen shows beside the library."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.describe import role_names, step_minutes, total_minutes, turns_phrase
from ...core.library import LibraryEntry
from ...core.text import visible

HEADING = "bold $accent"


def _paragraph(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in visible(text).strip().split("\n\n"))


def protocol_content(entry: LibraryEntry) -> Content:
    """The protocol as Content. Prose from the file is literal text, never markup, and a
    control character in it is shown as an escape (``core.text.visible``)."""
    p = entry.protocol
    size = f"{p.group_size.min}" + (f"-{p.group_size.max}" if p.group_size.max else "+")
    parts: list[str | Content | tuple[str, str]] = [
        (visible(p.title), "bold"),
        "\n",
        visible(p.summary),
        "\n",
        (f"{total_minutes(p)} · {len(p.steps)} steps · {size} people", "italic"),
    ]
    if p.purpose.strip():
        parts += ["\n\n", ("Purpose", HEADING), "\n", _paragraph(p.purpose)]
    parts += ["\n\n", ("Roles", HEADING)]
    for role in p.roles:
        parts += ["\n• ", (visible(role.name), "bold")]
        if role.description:
            parts += [": ", " ".join(visible(role.description).split())]
    if p.setup:
        parts += ["\n\n", ("Before starting", HEADING)]
        for question in p.setup:
            parts += ["\n• ", visible(question.label), " (required)" if question.required else ""]
    parts += ["\n\n", ("Steps", HEADING)]
    for number, step in enumerate(p.steps, 1):
        speak = role_names(p, step.speakers) if step.speakers else "silent"
        parts += [
            f"\n{number:>2}. ",
            (visible(step.title), "bold"),
            f"  {step_minutes(p, step)}",
            ("  · " + speak, "dim"),
        ]
        if step.turns is not None:
            parts += ["\n    ", (turns_phrase(p, step), "italic")]
    parts += ["\n\n", (f"Total: {total_minutes(p)}", "bold")]
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
