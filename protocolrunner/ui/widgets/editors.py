"""Input and TextArea that never send a control character from their text to the terminal.

Display-only widgets show text from files and people through ``core.base.text.visible``, which turns
every control character into an escape such as ``\\x1b``. An editor cannot: the escape is four
characters where the text has one, while the cursor, the selection and every edit count the
characters of the text itself, which must be saved exactly as it was read. Textual (8.2.8)
sends an ESC, a DEL or a C1 control in an Input's value or a TextArea's line to the terminal as
it is (it drops only BEL, BS, VT, FF and CR, and so shifts the cursor after them).

So these editors show each control character as one other character: its picture from
Unicode's Control Pictures block (``␛`` for ESC, ``␇`` for BEL, ``␡`` for DEL) or, for a C1
control, which has no picture, ``�``. One character for one keeps every position where it was;
only what is drawn changes, never ``value`` or ``text``. (Textual counts a control character as
no cells wide and a picture as one, so a soft-wrapped line that holds one can be a cell wider
than the box; nothing else moves.)
"""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Input, TextArea

PICTURES = {
    **{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n"},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},
}
"""``str.translate`` table: each control character but tab and newline to one printable one."""


def pictured(text: str) -> str:
    """``text`` with every control character but tab and newline drawn as a picture of it;
    the same length, so every offset into ``text`` is an offset into the result."""
    return text.translate(PICTURES)


class _Pictures(Highlighter):
    """The Input's hook for changing how its value is drawn: the text, pictured, same length."""

    def highlight(self, text: Text) -> None:
        shown = pictured(text.plain)
        if shown != text.plain:
            text.plain = shown


class SafeInput(Input):
    """An Input whose value is drawn without control characters (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("highlighter", _Pictures())
        super().__init__(*args, **kwargs)


class SafeTextArea(TextArea):
    """A TextArea whose lines are drawn without control characters (see the module)."""

    def get_line(self, line_index: int) -> Text:
        # TextArea's own hook for how a line is drawn. Built from the pictured line, so that
        # Rich's Text keeps every character (it would drop a BEL, moving the cursor after it).
        line = self.document.get_line(line_index)
        return Text(pictured(line), end="", no_wrap=True)
