"""Text styles by name: a text says what a span is, the style sheets say how it looks.

``Content.styled("Roles", HEADING)`` marks the span with the component class ``heading``. When
it is drawn, Textual finds that class on the widget or on one of its ancestors up to the screen
(every screen of the app offers the shared ones, see ``StyledScreen``) and styles the span from
the rules for ``.heading`` in ``app.tcss``: a theme, the projector's among them, restyles every
such span, and no colour is written in Python. Text from people stays plain ``Content`` with
explicit spans, never markup.

A search match is marked with a background, which a span named this way cannot carry (Textual
8.2.8 keeps only a component class's colour and text style there): ``match_style`` looks the
``.match`` rule up when the text is built, and a text showing matches is built again when the
theme changes.
"""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget

HEADING = ".heading"
"""A heading inside a text (the same look as a label with the CSS class ``heading``)."""

PLAIN = Style()
"""No style: what a match looks like before its widget is on a screen."""


class StyledScreen(Screen):
    """A screen whose texts may use the shared text styles."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"heading", "match"}


def match_style(widget: Widget) -> Style:
    """How a search match looks on ``widget``'s screen: the ``.match`` rule of ``app.tcss``, in
    the theme now in use."""
    return Style.from_styles(widget.screen.get_component_styles("match"))
