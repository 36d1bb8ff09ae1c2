"""The record browser, driven with Pilot over a demo record: filter, search, open, export, copy,
broken files, and names and notes that look like markup."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from ui_flow import sync, type_search

from protocolrunner.cli import main
from protocolrunner.core.export.markdown import session_markdown
from protocolrunner.core.record import index as index_module
from protocolrunner.core.record.folder import Record, to_toml
from protocolrunner.core.record.models import Community, SessionRecord
from protocolrunner.ui.app import ProtocolRunnerApp, StartupError
from protocolrunner.ui.screens import record_sessions
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.record_detail import RecordDetailScreen
from protocolrunner.ui.screens.record_sessions import RecordSessionsScreen
from protocolrunner.ui.widgets.session_table import SessionTable
from protocolrunner.ui.widgets.session_view import SessionView

SIZE = (100, 30)
KIM = "[bold]Kim"
LEE = "[$error]Lee [/]"
MARKUP_FOCUS = "Why does [link=x]this[/link] happen [/] to [b]us?"
MARKUP_NOTE = "Try [red]waiting[/red] longer [/"


async def open_browser(pilot: Pilot) -> RecordSessionsScreen:
    """From the home screen, press the Record key and wait for the index."""
    assert isinstance(pilot.app.screen, HomeScreen)
    await pilot.press("c")
    return await loaded(pilot)


async def loaded(pilot: Pilot) -> RecordSessionsScreen:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RecordSessionsScreen)
    assert screen.pages is not None, "the index never became ready"
    return screen


def table_text(screen: RecordSessionsScreen) -> list[list[str]]:
    table = screen.query_one(SessionTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def count_text(screen: RecordSessionsScreen) -> str:
    return str(screen.query_one("#record-count", Static).content)


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.pause()
    await type_search(pilot, text)


def sessions(app: ProtocolRunnerApp) -> list[tuple[Path, SessionRecord]]:
    return app.context.record.load_sessions().sessions


def add_markup_session(app: ProtocolRunnerApp) -> SessionRecord:
    """A session, newest of all, whose names and texts look like Textual markup."""
    record = app.context.record
    _, base = sessions(app)[0]
    data = base.model_dump(mode="python")
    data |= {
        "id": "00c0ffee",
        "started": base.started + timedelta(days=7),
        "ended": base.ended + timedelta(days=7),
        "attendees": [KIM, LEE],
        "reflection": "A [bold]good[/] session",
    }
    data["setup"] = [{"id": "focus", "label": "Focusing question", "answer": MARKUP_FOCUS}]
    data["roles"] = [{"id": "presenter", "name": "Presenter", "people": [KIM]}]
    data["steps"][0]["notes"] = [{"id": "notes", "label": "Notes [i]", "text": MARKUP_NOTE}]
    data["actions"] = [{"text": "[link=x]Share[/link] the rubric", "owner": LEE, "done": False}]
    saved = SessionRecord.model_validate(data)
    record.save_session(saved)
    return saved


def write_broken_files(record: Record) -> list[str]:
    """A file with a TOML syntax error and one in a newer format; their names in the record."""
    folder = record.sessions_dir / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    bad = folder / "2026-01-01-consultancy-deadbeef.toml"
    bad.write_text('format = 1\nid = "deadbeef\n', encoding="utf-8")
    _, valid = record.load_sessions().sessions[0]
    newer = folder / "2026-01-02-consultancy-feedface.toml"
    data = valid.model_dump(mode="python") | {"id": "feedface", "format": 99}
    newer.write_text(to_toml(data), encoding="utf-8")
    return [f"sessions/2026/{bad.name}", f"sessions/2026/{newer.name}"]


@pytest.fixture
def app(make_app) -> ProtocolRunnerApp:
    return make_app()


# -- opening -----------------------------------------------------------------------------------


@sync
async def test_home_record_key_opens_the_browser_newest_first(app: ProtocolRunnerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        rows = table_text(screen)
        expected = sessions(app)
        assert len(rows) == len(expected) == 8
        assert [r[0] for r in rows] == [f"{rec.started:%Y-%m-%d}" for _, rec in expected]
        first = expected[0][1]
        assert rows[0][1] == first.protocol.title
        assert rows[0][2] == ", ".join(first.presenters)
        assert rows[0][5] in ("completed", "ended early")
        assert count_text(screen) == "8 sessions"
        assert screen.query_one(SessionTable).has_focus
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


@sync
async def test_command_palette_offers_the_browser(app: ProtocolRunnerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Browse the record" in commands
        commands["Browse the record"].callback()
        screen = await loaded(pilot)
        titles = {c.title for c in app.get_system_commands(screen)}
        assert {"Search the record", "Clear filters", "Open session"} <= titles


@sync
async def test_start_in_the_browser(make_app) -> None:
    app = make_app(browse_record=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        assert len(table_text(screen)) == 8
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


@sync
async def test_from_the_command_line_the_browser_shows_before_the_record_is_open(
    make_app,
) -> None:
    """``record browse`` paints the browser first and fills it once the record is open;
    a search typed meanwhile is kept, and Escape waits for home to be possible."""
    context = make_app().context
    opened = threading.Event()

    def load():
        opened.wait(10)
        return context

    app = ProtocolRunnerApp(load=load, browse_record=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordSessionsScreen)
        assert not app.ready
        assert count_text(screen) == "reading…"
        await pilot.press("escape")  # nothing to go back to yet
        assert app.screen is screen
        word = first_note_word(context)
        await type_into(pilot, "#record-search", word)
        assert screen.pages is None

        opened.set()
        screen = await loaded(pilot)
        assert app.screen is screen
        assert screen.sub_title == context.community.name
        assert screen.pages.filter.text == word
        found = [r for _, r in context.record.load_sessions().sessions if word in notes_of(r)]
        assert 0 < len(table_text(screen)) == len(found) < 8
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


@sync
async def test_from_the_command_line_a_record_that_cannot_open_ends_in_one_line(
    tmp_path: Path,
) -> None:
    """The browser is already painted when the record turns out not to exist: the app ends
    and hands the command line its one-line reason, with no traceback."""

    def load():
        raise StartupError(f"{tmp_path / 'nowhere'} is not a community record")

    app = ProtocolRunnerApp(load=load, browse_record=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.startup_error == f"{tmp_path / 'nowhere'} is not a community record"
    assert app.return_code == 1


def notes_of(record: SessionRecord) -> str:
    return " ".join(note.text for step in record.steps for note in step.notes)


def first_note_word(context) -> str:
    """A word in the notes of some, not all, of the demo sessions."""
    records = [r for _, r in context.record.load_sessions().sessions]
    for word in sorted({w for r in records for w in notes_of(r).split() if w.isalpha()}):
        if len(word) > 5 and 0 < sum(word in notes_of(r) for r in records) < len(records):
            return word
    raise AssertionError("the demo record has no word to search for")


@sync
async def test_a_first_open_says_how_far_reading_the_files_has_got(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_sessions, "LONG_REFRESH", 5)
    monkeypatch.setattr(index_module, "PROGRESS_EVERY", 3)
    shown: list[str] = []
    show = RecordSessionsScreen._show_reading

    def spy(screen: RecordSessionsScreen, done: int, total: int) -> None:
        show(screen, done, total)
        shown.append(count_text(screen))

    monkeypatch.setattr(RecordSessionsScreen, "_show_reading", spy)
    app = make_app(browse_record=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        assert shown == ["reading 0 of 8 files…", "reading 3 of 8 files…", "reading 6 of 8 files…"]
        assert count_text(screen) == "8 sessions"


def test_cli_record_browse_needs_a_terminal(tmp_path: Path, capsys) -> None:
    Record.init(tmp_path / "rec", Community(name="Test"))
    assert main(["record", "browse", "--record", str(tmp_path / "rec")]) == 2
    assert "needs a terminal" in capsys.readouterr().err


# -- filters and search ------------------------------------------------------------------------


@sync
async def test_filter_by_protocol_member_role_and_dates(app: ProtocolRunnerApp) -> None:
    all_sessions = [rec for _, rec in sessions(app)]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)

        protocol = all_sessions[0].protocol.id
        screen.query_one("#filter-protocol", Select).value = protocol
        await pilot.pause()
        wanted = [r for r in all_sessions if r.protocol.id == protocol]
        assert len(table_text(screen)) == len(wanted)
        assert count_text(screen) == f"{len(wanted)} of 8"
        assert {row[1] for row in table_text(screen)} == {wanted[0].protocol.title}

        await pilot.press("x")  # clear filters
        await pilot.pause()
        assert len(table_text(screen)) == 8
        assert screen.query_one("#filter-protocol", Select).is_blank()

        presenter = all_sessions[0].presenters[0]
        screen.query_one("#filter-member", Select).value = presenter
        screen.query_one("#filter-role", Select).value = "presenter"
        await pilot.pause()
        wanted = [r for r in all_sessions if presenter in r.presenters]
        assert [row[0] for row in table_text(screen)] == [f"{r.started:%Y-%m-%d}" for r in wanted]
        await pilot.press("x")
        await pilot.pause()

        days = sorted(r.started.date() for r in all_sessions)
        await type_into(pilot, "#filter-since", days[2].isoformat())
        await type_into(pilot, "#filter-until", days[5].isoformat())
        assert len(table_text(screen)) == 4
        await type_into(pilot, "#filter-until", "x")  # now not a date: ignored, and flagged
        assert screen.query_one("#filter-until", Input).has_class("-invalid")
        assert len(table_text(screen)) == 6


@sync
async def test_search_as_you_type_with_highlights(app: ProtocolRunnerApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        await pilot.press("slash")
        assert screen.query_one("#record-search", Input).has_focus
        await type_search(pilot, "rubr")
        expected = [
            rec for _, rec in sessions(app) if any("rubr" in t.lower() for t in _texts(rec))
        ]
        assert 0 < len(expected) < 8
        assert len(table_text(screen)) == len(expected)
        assert count_text(screen) == f"{len(expected)} of 8"
        preview = screen.query_one("#record-preview", Static).content
        assert "match: " in str(preview)
        assert any("rubric" in str(preview)[s.start : s.end].lower() for s in preview.spans)
        # The arrows still move through the sessions while the search box has focus.
        await pilot.press("down")
        assert screen.query_one(SessionTable).cursor_row == min(1, len(expected) - 1)
        # Enter in the search box goes to the table; Escape there goes back home.
        await pilot.press("enter")
        assert screen.query_one(SessionTable).has_focus


def _texts(record: SessionRecord) -> list[str]:
    texts = [a.answer for a in record.setup] + [record.reflection, *record.attendees]
    texts += [n.text for s in record.steps for n in s.notes]
    texts += [f"{a.text} {a.owner}" for a in record.actions]
    return texts


@sync
async def test_rows_load_a_page_at_a_time(app: ProtocolRunnerApp, monkeypatch) -> None:
    monkeypatch.setattr(RecordSessionsScreen, "page_size", 3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        table = screen.query_one(SessionTable)
        assert table.row_count == 3
        assert count_text(screen) == "8 sessions"
        await pilot.press("down", "down")
        assert table.row_count == 6
        await pilot.press("end")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert table.row_count == 8
        assert screen.pages is not None and screen.pages.complete


# -- one session -----------------------------------------------------------------------------


@sync
async def test_open_export_and_copy_a_session(app: ProtocolRunnerApp, tmp_path: Path) -> None:
    notes: list[str] = []
    notify = app.notify

    def recording_notify(message, *args, **kwargs):
        notes.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]
    path, _ = sessions(app)[0]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        word = "wait"
        await type_into(pilot, "#record-search", word)
        await pilot.press("enter")  # to the table
        await pilot.press("enter")  # open the selected session
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, RecordDetailScreen)
        opened = detail.record
        view = detail.query_one(SessionView)
        text = detail.query_one("#session-text", Static).content
        assert opened.focus.split()[0] in text.plain
        for step in opened.steps:
            assert step.title in text.plain
        highlighted = [text.plain[s.start : s.end] for s in text.spans if s.style == view.match]
        assert highlighted and all(h.lower().startswith(word) for h in highlighted)
        assert view.matches == len(highlighted)

        await pilot.press("e")
        md_path = tmp_path / "exports" / detail.path.with_suffix(".md").name
        assert md_path.read_text(encoding="utf-8") == session_markdown(opened)
        exported = md_path.read_text(encoding="utf-8")
        assert exported.startswith(f"# {opened.protocol.title}, ")
        assert "## Timing" in exported
        assert any(str(md_path) in note for note in notes)

        await pilot.press("j")
        data = json.loads(md_path.with_suffix(".json").read_text(encoding="utf-8"))
        assert data["id"] == opened.id
        assert any(str(md_path.with_suffix(".json")) in note for note in notes)

        await pilot.press("c")
        assert app.clipboard == session_markdown(opened)

        await pilot.press("escape")
        assert app.screen is screen
    assert path.exists()


@sync
async def test_broken_and_newer_files_are_named_and_the_rest_listed(make_app) -> None:
    app = make_app()
    names = write_broken_files(app.context.record)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        banner = screen.query_one("#record-problems", Static)
        assert banner.display
        text = str(banner.content)
        assert "2 session files could not be read" in text
        for name in names:
            assert name in text
        assert "newer than this protocolrunner reads" in text
        assert len(table_text(screen)) == 8
        assert count_text(screen) == "8 sessions"


@sync
async def test_markup_in_names_and_notes_shows_literally(make_app) -> None:
    app = make_app()
    saved = add_markup_session(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_browser(pilot)
        first = table_text(screen)[0]
        assert first[2] == KIM
        assert first[3] == " ".join(MARKUP_FOCUS.split())
        members = screen.query_one("#filter-member", Select)
        assert KIM in [str(prompt) for prompt, _ in members._options]
        members.value = KIM
        await pilot.pause()
        assert len(table_text(screen)) == 1
        preview = screen.query_one("#record-preview", Static).content
        assert MARKUP_FOCUS in str(preview)

        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, RecordDetailScreen) and detail.record.id == saved.id
        plain = detail.query_one("#session-text", Static).content.plain
        for literal in (KIM, LEE, MARKUP_FOCUS, MARKUP_NOTE, "Notes [i]", "[link=x]Share[/link]"):
            assert literal in plain
        assert "A [bold]good[/] session" in plain
        await pilot.press("c")
        # The clipboard holds Markdown: rendered, the name reads as typed.
        assert KIM in MarkdownIt("commonmark").render(app.clipboard)


@sync
async def test_rows_the_index_knew_show_at_once_and_a_change_replaces_them(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened again, the browser shows the sessions its index listed while the refresh looks
    for changes (held here until the rows are seen); the session saved meanwhile follows."""
    app = make_app(browse_record=True)
    with index_module.SessionIndex(app.context.record) as index:
        index.refresh()
    added = add_markup_session(app)
    released = threading.Event()
    refresh = index_module.SessionIndex.refresh

    def held(self, progress=None):
        assert released.wait(10), "the test never let the refresh go"
        return refresh(self, progress)

    monkeypatch.setattr(index_module.SessionIndex, "refresh", held)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, RecordSessionsScreen) and screen.pages is not None
        assert count_text(screen) == "8 sessions"
        assert added.id not in [row.id for row in screen.pages.rows]
        released.set()
        screen = await loaded(pilot)
        assert count_text(screen) == "9 sessions"
        assert screen.pages is not None and screen.pages.rows[0].id == added.id
