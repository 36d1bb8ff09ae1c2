"""An interrupted meeting comes back exactly: the journal survives a crash, the home screen offers
it, and ``r`` resumes it (``d`` throws it away, after asking)."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Static
from ui_flow import (
    GUEST,
    advance,
    countdown,
    countdown_text,
    plain,
    recording_notifications,
    settle,
    start_session,
    sync,
    type_text,
)

from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import State
from protocolrunner.ui.dialogs.confirm import ConfirmDialog
from protocolrunner.ui.screens.home import HomeScreen
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.widgets.countdown import clock_text
from protocolrunner.ui.widgets.notes import NoteEditor

ANSWERS = {
    "focus": "How can I get [quiet] students talking?",
    "dilemma": "Two classes.\nOne talks.",
}
NOTE_1 = "How many students? 28 [bold]x"
NOTE_2 = "What would it look like if...\nsecond line"


async def _interrupted_meeting(make_app, clock: FakeClock, paused: bool) -> dict:
    """Run a Consultancy into its third step, then stop the app without ending (a crash).

    Returns what the session looked like when its journal was last written.
    """
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = await start_session(
            pilot, "consultancy", answers=ANSWERS, absent=("Jo Keller",), guests=(GUEST,)
        )
        session = run.session
        await advance(pilot, clock, 100)
        await pilot.press("n")
        await settle(pilot)
        await advance(pilot, clock, 40)
        await pilot.press("f10")  # one more minute in the clarifying round
        await pilot.press("f3")
        await type_text(pilot, NOTE_1)
        await pilot.press("escape", "n")
        await settle(pilot)
        await advance(pilot, clock, 25)
        await pilot.press("i")
        await type_text(pilot, NOTE_2)
        assert session.index == 2
        assert session.note(2, "probing-questions") == NOTE_2
        if paused:
            await pilot.press("f5")
            assert session.state is State.PAUSED
            await advance(pilot, clock, 300)  # paused: does not count
        else:
            # The journal takes a changed note within a second or two of (fake) time.
            await advance(pilot, clock, 2)
            assert session.running
        journal = app.context.journal.path_for(session.id)
        assert journal.is_file()
        saved = json.loads(journal.read_text(encoding="utf-8"))["session"]
        assert saved["runs"][2]["notes"] == {"probing-questions": NOTE_2}
        expected = {
            "id": session.id,
            "index": session.index,
            "elapsed": [session.elapsed(i) for i in range(len(session.runs))],
            "extension": [run.extension for run in session.runs],
            "notes": [dict(run.notes) for run in session.runs],
            "roles": {k: list(v) for k, v in session.roles.items()},
            "attendees": list(session.attendees),
            "setup": dict(session.setup),
            "started_at": session.started_at,
        }
        # The crash: the app stops with the session still running or paused, never ended.
    assert journal.is_file()
    assert expected["elapsed"][:3] == [100, 40, 25 if paused else 27]
    return expected


@pytest.mark.parametrize("paused", [True, False], ids=["paused", "running"])
@sync
async def test_resume_after_a_crash_is_exact(make_app, clock, paused) -> None:
    expected = await _interrupted_meeting(make_app, clock, paused)
    clock.advance(3600)  # the app is started again an hour later: that hour never counts

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        banner = home.query_one("#resume-banner", Static)
        assert banner.display
        text = plain(banner)
        assert text.startswith("Interrupted session: Consultancy, last saved")
        assert "r resume" in text and "d discard" in text

        await pilot.press("r")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        s = run.session
        assert s.id == expected["id"]
        assert s.index == expected["index"] == 2
        assert s.state is State.PAUSED, "a resumed session waits for the facilitator"
        assert [s.elapsed(i) for i in range(len(s.runs))] == expected["elapsed"]
        assert [r.extension for r in s.runs] == expected["extension"] == [0, 60, 0, 0, 0, 0]
        assert [dict(r.notes) for r in s.runs] == expected["notes"]
        assert s.note(1, "clarifying-questions") == NOTE_1
        assert s.roles == expected["roles"]
        assert s.roles["presenter"] and GUEST in s.attendees
        assert s.attendees == expected["attendees"]
        assert s.setup == expected["setup"] == ANSWERS
        assert s.started_at == expected["started_at"]

        # What the room sees is the same step, paused, with its notes.
        step = s.protocol.steps[2]
        assert plain(run.query_one("#step-title", Static)) == step.title
        left = step.seconds - expected["elapsed"][2]
        assert countdown_text(run) == clock_text(round(left))
        assert countdown(run).has_class("-paused")
        editors = list(run.query(NoteEditor))
        assert [e.text for e in editors] == [NOTE_2]
        assert ANSWERS["focus"] in plain(run.query_one("#focus", Static))

        # Notes go on where they stopped, and the clock from where it stood.
        await pilot.press("f3")
        await type_text(pilot, " More.")
        assert s.note(2, "probing-questions") == NOTE_2 + " More."
        await pilot.press("f5")
        assert s.running
        await advance(pilot, clock, 10)
        assert s.elapsed() == expected["elapsed"][2] + 10
        assert countdown_text(run) == clock_text(round(left) - 10)

        # Back one step: the earlier notes are there too.
        await pilot.press("f7")
        await settle(pilot)
        assert [e.text for e in run.query(NoteEditor)] == [NOTE_1]


@sync
async def test_discarding_the_interrupted_session(make_app, clock) -> None:
    expected = await _interrupted_meeting(make_app, clock, paused=True)
    app = make_app()
    journal = app.context.journal.path_for(expected["id"])
    assert journal.is_file()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        banner = home.query_one("#resume-banner", Static)
        assert banner.display

        await pilot.press("d")  # asks first; "n" keeps it
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is home
        assert journal.is_file() and banner.display

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is home
        assert not journal.exists()
        assert not banner.display
        assert home.interrupted == []

        await pilot.press("r")  # nothing to resume any more
        await settle(pilot)
        assert app.screen is home

    # A later start offers nothing either.
    again = make_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not again.screen.query_one("#resume-banner", Static).display


@sync
async def test_home_offers_only_the_journals_it_can_read(make_app, clock) -> None:
    """Beside a sound journal: one cut short, one from a newer protocolrunner, one edited by
    hand. Home starts, offers the sound one, and names each other file in one line."""
    expected = await _interrupted_meeting(make_app, clock, paused=True)
    app = make_app()
    folder = app.context.journal.folder
    text = app.context.journal.path_for(expected["id"]).read_text(encoding="utf-8")
    (folder / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    newer = json.loads(text)
    newer["session"]["format"] = 3
    (folder / "newer.json").write_text(json.dumps(newer), encoding="utf-8")
    edited = json.loads(text)
    edited["session"]["runs"][1]["elapsed"] = "forty"
    (folder / "edited.json").write_text(json.dumps(edited), encoding="utf-8")
    shown = recording_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert [entry.session_id for entry in home.interrupted] == [expected["id"]]
        assert plain(home.query_one("#resume-banner", Static)).startswith(
            "Interrupted session: Consultancy, last saved"
        )
        told = sorted(message for _, message in shown if "unreadable journal" in message)
        assert [message.split(":")[0] for message in told] == [
            str(folder / name) for name in ("cut.json", "edited.json", "newer.json")
        ]
        assert all("\n" not in message for message in told)
        assert (
            "session.runs.1.elapsed: unreadable journal: Input should be a valid number"
            in (told[1])
        )
        assert "session.format: unreadable journal: unknown journal format 3" in told[2]

        # Home is shown again after each screen (here, help): each file was named once.
        await pilot.press("question_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        assert len([m for _, m in shown if "unreadable journal" in m]) == 3

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        assert app.screen.session.id == expected["id"]
