"""Text from people and files, made safe to show on a terminal.

A note, a name or a protocol title may hold control characters: an ESC that starts a terminal
escape sequence (``ESC ] 52`` writes the reader's clipboard, ``ESC [ 2J`` clears the screen), a
BEL, or a C1 control such as U+009B (a one-character CSI). The files keep such text exactly; only
what is shown is changed, and always by ``visible``.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 range. A lone CR is included: it moves the
# cursor back over what is already printed. CR LF is a line break written by another system.
_CONTROL = re.compile(r"\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r\n":
        return "\n"
    return f"\\x{ord(char):02x}"


def visible(text: str) -> str:
    """``text`` with every control character but newline and tab shown as an escape (``\\x1b``).

    Printable text, line breaks and tabs are returned unchanged, so ordinary text costs one scan.
    """
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text)


def has_control(text: str) -> bool:
    """Whether ``visible`` would change ``text``."""
    return _CONTROL.search(text) is not None
