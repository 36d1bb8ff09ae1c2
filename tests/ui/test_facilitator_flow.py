"""A whole meeting, driven with the keyboard: home, setup, every step, summary, saved record.

One test per bundled protocol (without turn-taking), so a new protocol file joins by itself.
The clock is fake, so every time in the saved record is exact.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import timedelta

import pytest
from textual.widgets import Checkbox, Input, Static, TextArea
from ui_flow import (
    BUNDLED,
    GUEST,
    add_guest,
    advance,
    answer_setup,
    bundled_ids_without_turns,
    countdown,
    countdown_text,
    pick_protocol,
    pick_role,
    plain,
    settle,
    sync,
    tick,
    type_text,
    untick,
)

from protocolrunner.core.record.models import SESSION_FORMAT
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.session.engine import State
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.screens.summary import SummaryScreen
from protocolrunner.ui.widgets.countdown import clock_text
from protocolrunner.ui.widgets.notes import NoteEditor

ABSENT = ("Ivo Petrov", "Jo Keller")
OVERTIME_BY = 83  # the countdown must then read +01:23
PAUSED_FOR = 600  # a long pause that must not count
ACTION = ("Try wait time [2 weeks]", "Ana Souza")
REFLECTION = "We kept to time, mostly.\nNext time: a timer [on] the wall."


def note_text(step_index: int, field_id: str) -> str:
    # Every action letter of the run screen (space n b p e i m + - ? F) and markup-like text:
    # typed into a note box they must all land in the note, literally.
    return (
        f"{step_index + 1}/{field_id}: plan b? +1 -2 me! [why] [/] [bold]x [link=x]y\n"
        "Second line: [$error]z [B]x."
    )


def file_sha256(protocol_id: str) -> str:
    for path in BUNDLED.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        if tomllib.loads(text)["id"] == protocol_id:
            return hashlib.sha256(text.encode("utf-8")).hexdigest()
    raise LookupError(protocol_id)


@pytest.mark.parametrize("protocol_id", bundled_ids_without_turns())
@sync
async def test_a_whole_meeting_by_keyboard(
    protocol_id, make_app, clock: FakeClock, monkeypatch
) -> None:
    app = make_app()
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    started_at = clock.now()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        # -- setup -------------------------------------------------------------------------
        setup = await pick_protocol(pilot, protocol_id)
        protocol = setup.protocol
        answers = {
            q.id: (f"Setup {q.id}: how can we [help]?" + ("\nline two" if q.multiline else ""))
            for q in protocol.setup
        }
        await answer_setup(pilot, setup, answers)
        await untick(pilot, setup, list(ABSENT))
        await add_guest(pilot, setup, GUEST)
        present = [n for n in app.context.community.member_names if n not in ABSENT] + [GUEST]
        assert setup.present == present
        # Accept the fair proposal, but give the first one-person role to the guest by hand.
        by_hand = next(r for r in protocol.roles if not r.rest and r.bounds == (1, 1))
        await pick_role(pilot, setup, by_hand.id, GUEST)
        assert setup.roles[by_hand.id] == [GUEST]
        assert setup.reasons[by_hand.id] == "chosen by hand"
        roles = {rid: list(names) for rid, names in setup.roles.items()}
        holders = sorted(n for names in roles.values() for n in names)
        assert holders == sorted(present), "everyone present holds exactly one role"
        summary_text = plain(setup.query_one("#roles-summary", Static))
        assert f"{by_hand.name}: {GUEST}" in summary_text

        await pilot.press("ctrl+s")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        session = run.session
        assert session.state is State.RUNNING
        assert session.attendees == present

        # -- every step --------------------------------------------------------------------
        n = len(protocol.steps)
        overtime_step, pause_step, extend_step = 0, min(1, n - 1), min(2, n - 1)
        expected_actual = [0] * n
        notes: dict[tuple[int, str], str] = {}
        for i, step in enumerate(protocol.steps):
            assert session.index == i
            assert plain(run.query_one("#step-title", Static)) == step.title
            assert plain(run.query_one("#step-heading", Static)).startswith(f"Step {i + 1} of {n}")
            await settle(pilot)  # the note boxes of the step arrive
            assert countdown_text(run) == clock_text(step.seconds)

            # Notes: F3 goes to the first box, and again to the next; keys type the text.
            editors = list(run.query(NoteEditor))
            assert [e.field_id for e in editors] == [f.id for f in step.capture]
            for k, field in enumerate(step.capture):
                await pilot.press("f3")
                assert app.focused is editors[k]
                text = note_text(i, field.id)
                await type_text(pilot, text)
                assert editors[k].text == text
                assert session.note(i, field.id) == text
                notes[(i, field.id)] = text
            # Letters typed into notes moved nothing, paused nothing, extended nothing.
            assert session.index == i and session.running
            assert session.current.extension == 0
            await pilot.press("escape")
            assert not isinstance(app.focused, NoteEditor)

            if i == pause_step:
                await advance(pilot, clock, 30)
                expected_actual[i] += 30
                await pilot.press("space")
                assert session.state is State.PAUSED
                shown = countdown_text(run)
                assert shown == clock_text(step.seconds - 30)
                assert countdown(run).has_class("-paused")
                await advance(pilot, clock, PAUSED_FOR)
                assert countdown_text(run) == shown, "the countdown ran while paused"
                assert session.elapsed() == 30
                await pilot.press("f5")
                assert session.running
                await advance(pilot, clock, 20)
                expected_actual[i] += 20
                assert countdown_text(run) == clock_text(step.seconds - 50)

            if i == extend_step:
                await advance(pilot, clock, 45)
                expected_actual[i] += 45
                before = session.remaining()
                await pilot.press("plus")
                assert session.remaining() == before + 60
                assert session.current.extension == 60
                await tick(pilot)
                assert countdown_text(run) == clock_text(round(before) + 60)
                await advance(pilot, clock, 15)
                expected_actual[i] += 15

            if i == overtime_step:
                assert rings == []
                left = session.remaining()
                await advance(pilot, clock, left + OVERTIME_BY)
                expected_actual[i] += left + OVERTIME_BY
                assert countdown_text(run) == "+01:23"
                assert session.state is State.OVERTIME
                assert countdown(run).has_class("-overtime")
                assert rings == [1], "the bell rings once at time-up"
                await advance(pilot, clock, 10)
                expected_actual[i] += 10
                await tick(pilot)
                assert countdown_text(run) == "+01:33"
                assert rings == [1], "the bell rings only once per step"
            elif i not in (pause_step, extend_step):
                await advance(pilot, clock, 100 + i)
                expected_actual[i] += 100 + i

            if i < n - 1:
                await pilot.press("n" if i % 2 else "f8")
                await settle(pilot)
            else:
                await pilot.press("f8")  # on the last step: end, after asking
                await settle(pilot)
                await pilot.press("y")
                await settle(pilot)

        # -- summary -----------------------------------------------------------------------
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        assert app.focused is summary.query_one("#action-text", Input)
        await type_text(pilot, ACTION[0])
        await pilot.press("tab")
        assert app.focused is summary.query_one("#action-owner", Input)
        await type_text(pilot, ACTION[1])
        await pilot.press("enter")
        await settle(pilot)
        boxes = list(summary.query(Checkbox))
        assert [str(b.label) for b in boxes] == [f"{ACTION[0]} ({ACTION[1]})"]
        summary.query_one("#reflection", TextArea).focus()
        await pilot.pause()
        await type_text(pilot, REFLECTION)
        # Notes are still editable in the summary and show what was typed.
        shown_notes = {(e.step_index, e.field_id): e.text for e in summary.query(NoteEditor)}
        assert shown_notes == notes
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved_path = summary.saved_path
        assert saved_path is not None and saved_path.is_file()
        assert not summary.unsaved
        assert list(app.context.journal.folder.glob("*.json")) == []

    # -- the saved record, field by field ---------------------------------------------------
    data = tomllib.loads(saved_path.read_text(encoding="utf-8"))
    assert saved_path.parent.parent == app.context.record.sessions_dir
    assert data["format"] == SESSION_FORMAT
    assert data["status"] == "completed"
    assert data["community"] == app.context.community.name
    assert data["protocol"] == {
        "id": protocol.id,
        "title": protocol.title,
        "version": protocol.version,
        "sha256": file_sha256(protocol_id),
    }
    assert data["setup"] == [
        {"id": q.id, "label": q.label, "answer": answers[q.id]} for q in protocol.setup
    ]
    assert data["attendees"] == present
    assert data["roles"] == [
        {"id": r.id, "name": r.name, "people": roles.get(r.id, [])} for r in protocol.roles
    ]
    assert next(r for r in data["roles"] if r["id"] == by_hand.id)["people"] == [GUEST]
    assert data["started"] == started_at
    total_advanced = sum(expected_actual) + PAUSED_FOR
    assert data["ended"] == started_at + timedelta(seconds=total_advanced)

    assert [s["id"] for s in data["steps"]] == [s.id for s in protocol.steps]
    for i, (saved, step) in enumerate(zip(data["steps"], protocol.steps, strict=True)):
        assert saved["title"] == step.title
        assert saved["planned_seconds"] == step.seconds, step.id
        assert saved["actual_seconds"] == expected_actual[i], step.id
        assert saved["extended_seconds"] == (60 if i == extend_step else 0), step.id
        assert saved["skipped"] is False
        assert saved["speakers"] == list(step.speakers)
        assert saved["silent"] == list(step.silent)
        assert saved.get("notes", []) == [
            {"id": f.id, "label": f.label, "text": notes[(i, f.id)]} for f in step.capture
        ]
    first = data["steps"][overtime_step]
    assert first["actual_seconds"] - first["planned_seconds"] == OVERTIME_BY + 10
    assert data["steps"][pause_step]["actual_seconds"] == 50  # the pause did not count
    assert data["actions"] == [{"text": ACTION[0], "owner": ACTION[1], "done": False}]
    assert data["reflection"] == REFLECTION
