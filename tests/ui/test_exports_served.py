"""HTML and PDF exports from the browser's session view and the summary; the same exports sent
to a web browser as downloads when the app is served; a served app's keys and read-only mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer
from ui_flow import sync

from protocolrunner.core.record.folder import RecordError
from protocolrunner.core.record.readonly import READ_ONLY_ENV, READ_ONLY_MESSAGE, ReadOnlyRecord
from protocolrunner.ui.app import ProtocolRunnerApp
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen
from protocolrunner.ui.screens.summary import SummaryScreen
from protocolrunner.ui.served import WEB_DRIVER

SIZE = (100, 30)


class Delivered:
    """Stands in for Textual's delivery to a browser: what was sent, and under which name."""

    def __init__(self, app: ProtocolRunnerApp) -> None:
        self.files: list[tuple[str, bytes, str]] = []
        app.deliver_text = self.text  # type: ignore[method-assign]
        app.deliver_binary = self.binary  # type: ignore[method-assign]

    def text(self, file, *, save_filename, mime_type, encoding, **_) -> None:
        self.files.append((save_filename, file.read().encode(encoding), mime_type))

    def binary(self, file, *, save_filename, mime_type, **_) -> None:
        self.files.append((save_filename, file.read(), mime_type))


async def open_detail(pilot: Pilot) -> RecordDetailScreen:
    app = pilot.app
    assert isinstance(app, ProtocolRunnerApp)
    path, record = app.context.record.load_sessions().sessions[0]
    app.push_screen(RecordDetailScreen(path, record))
    await pilot.pause()
    assert isinstance(app.screen, RecordDetailScreen)
    return app.screen


@sync
async def test_session_view_exports_html_and_pdf(make_app, tmp_path: Path) -> None:
    pytest.importorskip("typst")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(pilot)
        await pilot.press("h")
        await pilot.press("p")
        await pilot.pause()
    stem = detail.path.stem
    html = (tmp_path / "exports" / f"{stem}.html").read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and detail.record.protocol.title in html
    assert (tmp_path / "exports" / f"{stem}.pdf").read_bytes().startswith(b"%PDF-")


@sync
async def test_served_exports_are_downloads_not_files(make_app, tmp_path: Path) -> None:
    pytest.importorskip("typst")
    app = make_app()
    delivered = Delivered(app)
    async with app.run_test(size=SIZE) as pilot:
        type(app).is_web = property(lambda self: True)  # type: ignore[assignment]
        try:
            detail = await open_detail(pilot)
            for key in ("e", "j", "h", "p"):
                await pilot.press(key)
            await pilot.pause()
        finally:
            del type(app).is_web
    stem = detail.path.stem
    assert [(name, kind) for name, _, kind in delivered.files] == [
        (f"{stem}.md", "text/markdown"),
        (f"{stem}.json", "application/json"),
        (f"{stem}.html", "text/html"),
        (f"{stem}.pdf", "application/pdf"),
    ]
    assert delivered.files[3][1].startswith(b"%PDF-")
    assert not (tmp_path / "exports").exists()  # nothing landed on the server's disk


@sync
async def test_summary_exports_html_and_pdf(make_app, tmp_path: Path) -> None:
    pytest.importorskip("typst")
    from protocolrunner.core.session.engine import Session

    app = make_app()
    entry = app.context.library.resolve("consultancy")
    session = Session(
        entry.protocol, attendees=[], roles={}, clock=app.context.clock, check_roles=False
    )
    session.start()
    session.end(completed=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SummaryScreen(session))
        await pilot.pause()
        await pilot.press("f3")
        await pilot.press("f4")
        await pilot.pause()
    exported = sorted(p.suffix for p in (tmp_path / "exports").iterdir())
    assert exported == [".html", ".pdf"]


@sync
async def test_served_app_shows_other_keys_for_those_the_browser_keeps(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTUAL_DRIVER", WEB_DRIVER)
    app = make_app()
    assert app.served and app.COMMAND_PALETTE_BINDING == "ctrl+k"
    from protocolrunner.core.session.engine import Session

    entry = app.context.library.resolve("consultancy")
    session = Session(
        entry.protocol, attendees=[], roles={}, clock=app.context.clock, check_roles=False
    )
    async with app.run_test(size=(160, 45)) as pilot:
        app.start_session(session)
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = {key.description: key.key_display for key in footer.query("FooterKey")}
        assert keys["Pause"] == "f6" and keys["End"] == "f4"
        await pilot.press("f6")
        assert not session.running  # the alternative does what F5 does


@sync
async def test_read_only_app_writes_nothing_and_stays_in_the_browser(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_app()  # the demo record, written before it is opened read-only
    monkeypatch.setenv(READ_ONLY_ENV, "1")
    app = make_app(browse_record=True)
    record = app.context.record
    assert isinstance(record, ReadOnlyRecord) and app.read_only
    _, session = record.load_sessions().sessions[0]
    with pytest.raises(RecordError, match="reading only"):
        record.save_session(session)
    with pytest.raises(RecordError, match="reading only"):
        record.update_community(lambda c: c)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecordSessionsScreen)
        app.screen.query_one("#record-table").focus()
        await pilot.press("escape")
        await pilot.pause()
        assert not any(isinstance(s, HomeScreen) for s in app.screen_stack)
        assert isinstance(app.screen, RecordSessionsScreen)
    assert READ_ONLY_MESSAGE.startswith("this record is open for reading only")
