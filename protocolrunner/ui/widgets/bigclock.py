"""A clock in block letters that grows to fill its space: for projector mode."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

_FONT = {
    "0": [" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "],
    "1": ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
    "2": [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    "3": [" ### ", "#   #", "    #", "  ## ", "    #", "#   #", " ### "],
    "4": ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    "5": ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    "6": [" ### ", "#    ", "#    ", "#### ", "#   #", "#   #", " ### "],
    "7": ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    "8": [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    "9": [" ### ", "#   #", "#   #", " ####", "    #", "    #", " ### "],
    ":": [" ", " ", "#", " ", "#", " ", " "],
    "+": ["     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "],
    "-": ["     ", "     ", "     ", "#####", "     ", "     ", "     "],
    " ": ["  ", "  ", "  ", "  ", "  ", "  ", "  "],
}
GLYPH_ROWS = 7


def big_text(text: str, scale: int = 1) -> list[str]:
    """Rows of block characters for ``text``. Each font dot is ``2*scale`` wide, ``scale`` tall
    (terminal cells are about twice as tall as wide)."""
    glyphs = [_FONT.get(ch, _FONT[" "]) for ch in text]
    rows = []
    for r in range(GLYPH_ROWS):
        dots = " ".join(glyph[r] for glyph in glyphs)
        line = "".join(("█" if dot == "#" else " ") * (2 * scale) for dot in dots)
        rows.extend([line] * scale)
    return rows


def natural_width(text: str) -> int:
    glyphs = [_FONT.get(ch, _FONT[" "]) for ch in text]
    return (sum(len(g[0]) for g in glyphs) + max(0, len(glyphs) - 1)) * 2


class BigClock(Widget):
    """Renders its ``text`` as large as its size allows, centred."""

    DEFAULT_CSS = """
    BigClock {
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-align: center;
    }
    """

    def __init__(self, text: str = "00:00", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = text

    def update(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Content:
        width, height = self.content_size
        fit_w = max(1, width // max(1, natural_width(self._text)))
        fit_h = max(1, height // GLYPH_ROWS)
        scale = max(1, min(fit_w, fit_h, 6))
        return Content("\n".join(big_text(self._text, scale)))
