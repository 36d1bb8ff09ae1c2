"""Named text styles (``ui/styles.py``): the style sheets say how headings and search matches
look, in every theme, and a change of theme restyles what is on the screen."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from rich.color import Color as RichColor
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from ui_flow import settle, sync, workers_done

import protocolrunner.ui.screens
from protocolrunner.core.settings.config import THEMES
from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.styles import StyledScreen, match_style
from protocolrunner.ui.widgets.session_table import MatchedText, SessionTable
from protocolrunner.ui.widgets.session_view import SessionView

SIZE = (100, 40)


def luminance(color: RichColor) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = color.get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: RichColor, b: RichColor) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_screen_offers_the_shared_text_styles() -> None:
    screens = []
    for module in pkgutil.iter_modules(protocolrunner.ui.screens.__path__):
        loaded = importlib.import_module(f"protocolrunner.ui.screens.{module.name}")
        screens += [
            cls
            for _, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, Screen) and cls.__module__ == loaded.__name__
        ]
    assert len(screens) >= 10
    for cls in screens:
        assert issubclass(cls, StyledScreen) or issubclass(cls, ModalScreen), cls


@pytest.mark.parametrize("theme", sorted(THEMES))
@sync
async def test_headings_and_matches_look_as_the_style_sheet_says_in_every_theme(
    make_app, theme: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = THEMES[theme]
        await settle(pilot)
        screen = app.screen
        # The protocol beside the library has headings ("Roles", "Steps") inside its text.
        body = screen.query_one("#preview-body", Static)
        heading = screen.get_component_styles("heading")
        segments = [s for y in range(body.size.height) for s in body.render_line(y)]
        roles = next(s for s in segments if s.text == "Roles")
        assert roles.style is not None and roles.style.bold
        assert roles.style.color == heading.color.rich_color != body.rich_style.color

        # A match: readable text on a marker that stands out from the page and from the
        # table's cursor row, the projector's black and the light theme's grey included.
        match = match_style(screen).rich_style
        assert match.bold and match.color is not None and match.bgcolor is not None
        assert contrast(match.color, match.bgcolor) >= 4.5
        page = screen.rich_style.bgcolor
        assert page is not None and contrast(match.bgcolor, page) >= 1.4
        app.open_record_browser()
        await workers_done(pilot)
        table = app.screen.query_one(SessionTable)
        cursor = table.get_component_rich_style("datatable--cursor").bgcolor
        assert cursor is not None and contrast(match.bgcolor, cursor) >= 1.5


@sync
async def test_a_change_of_theme_restyles_the_matches_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_record_browser()
        await workers_done(pilot)
        browser = app.screen
        table = browser.query_one(SessionTable)
        word = str(table.get_row_at(0)[3]).split()[0]  # the focusing question's first word
        app.context.clock.advance(1)  # a pause before the first key: the search runs at once
        browser.query_one("#record-search", Input).value = word
        await workers_done(pilot)
        cell = table.get_row_at(0)[3]
        assert isinstance(cell, MatchedText)

        def drawn_match_background() -> RichColor | None:
            segments = app.console.render(cell, app.console.options)
            return next(s for s in segments if s.text.startswith(word)).style.bgcolor  # type: ignore[union-attr]

        dark = match_style(table).rich_style.bgcolor
        assert drawn_match_background() == dark
        # On the cursor row too, the match keeps its own text colour on its marker.
        assert table.cursor_row == 0
        on_cursor = next(s for s in table.render_line(1) if s.text == word).style
        match = match_style(table).rich_style
        assert on_cursor is not None
        assert (on_cursor.color, on_cursor.bgcolor) == (match.color, match.bgcolor)
        await pilot.press("enter")  # the session's page, its matches highlighted
        await workers_done(pilot)
        detail = app.screen
        assert isinstance(detail, RecordDetailScreen)
        view = detail.query_one(SessionView)
        assert view.matches > 0

        app.theme = THEMES["projector"]
        await settle(pilot)
        projector = match_style(view).rich_style.bgcolor
        assert projector != dark
        spans = detail.query_one("#session-text", Static).content.spans
        assert any(span.style == view.match for span in spans)
        assert view.match.rich_style.bgcolor == projector
        assert drawn_match_background() == projector
