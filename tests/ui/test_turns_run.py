"""A step taken in turns on the run screen: whose turn, per-turn countdown, notes, the record."""

from __future__ import annotations

import tomllib

from textual.widgets import TextArea
from ui_flow import (
    advance,
    answer_setup,
    countdown,
    countdown_text,
    end_meeting,
    pick_protocol,
    plain,
    settle,
    start_session,
    sync,
    type_text,
)

from protocolrunner.core.session.engine import State
from protocolrunner.ui.screens.run import RunScreen

ABSENT = ("Fatima Haddad", "Gus Lindqvist", "Hana Sato", "Ivo Petrov", "Jo Keller")


@sync
async def test_final_word_turn_by_turn(make_app, clock, monkeypatch) -> None:
    app = make_app()
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(100, 40)) as pilot:
        run = await start_session(pilot, "final-word", absent=ABSENT)
        session = run.session
        people = session.attendees
        await advance(pilot, clock, 60)
        await pilot.press("f8")  # to the rounds
        await settle(pilot)
        step = session.current
        assert step.turns and step.order == people
        assert len(step.turns) == len(people) * (len(people) + 1)
        assert "Turn 1 of" in plain(run.query_one("#turn"))
        assert plain(run.query_one("#speakers")).startswith(f"Now: {people[0]}")
        assert f"Next: {people[1]}" in plain(run.query_one("#speakers"))
        assert countdown_text(run) == "03:00"  # the leader's three minutes, not the step's
        total = len(people) * (3 + len(people) - 1 + 1)
        turns_left = len(step.turns) - 1
        assert plain(run.query_one("#turn-step")) == (
            f"Whole step: 0 of {total} min used · {turns_left} turns to go"
        )

        # Shuffle before the second turn: a new order, still everyone.
        await pilot.press("o")
        await settle(pilot)
        order = list(step.order)
        assert sorted(order) == sorted(people)
        leader = order[0]
        assert plain(run.query_one("#speakers")).startswith(f"Now: {leader}")

        # The leader runs 20 s over: time up once, with the bell.
        await advance(pilot, clock, 200)
        assert countdown_text(run) == "+00:20"
        assert countdown(run).has_class("-overtime") and bells == [1]
        await advance(pilot, clock, 5)
        assert bells == [1]
        # A note on this turn, typed into its own box.
        await pilot.press("f3")
        assert app.focused.id == "note-1-turn_0"
        await type_text(pilot, f"{leader}: p. 12 [on trust]")
        await pilot.press("escape")

        # Every other turn, each a little over; one extended, one paused.
        await pilot.press("f8")
        await settle(pilot)
        assert session.current.turn == 1 and countdown_text(run) == "01:00"
        # The second turn has begun: the order stays, and the palette no longer offers it.
        assert "Shuffle the turns" not in [c.title for c in app.get_system_commands(run)]
        await pilot.press("o")
        await settle(pilot)
        assert list(step.order) == order
        await pilot.press("f10")
        assert countdown_text(run) == "02:00"
        await pilot.press("f5")
        await advance(pilot, clock, 300)  # paused: counts for nobody
        assert session.state is State.PAUSED and countdown_text(run) == "02:00"
        await pilot.press("f5")
        await advance(pilot, clock, 30)
        await pilot.press("f7")  # back a turn, then on again
        await settle(pilot)
        assert session.current.turn == 0
        await pilot.press("f8")
        await settle(pilot)
        while session.upcoming_turn() is not None:
            await advance(pilot, clock, session.current.current_turn.budget - 10)
            await pilot.press("f8")
            await settle(pilot)
        assert "Last turn of this step." in plain(run.query_one("#speakers"))
        assert plain(run.query_one("#turn-step")).endswith("· 0 turns to go")
        await advance(pilot, clock, 50)
        await pilot.press("f8")  # after the last turn: the next step
        await settle(pilot)
        assert session.index == 2 and run.query_one("#turn").has_class("-empty")
        await end_meeting(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

    files = list((app.context.record.sessions_dir).rglob("*final-word*.toml"))
    assert len(files) == 1
    saved = tomllib.loads(files[0].read_text(encoding="utf-8"))
    assert saved["format"] == 3
    rounds = saved["steps"][1]
    turns = rounds["turns"]
    assert len(turns) == len(people) * (len(people) + 1)
    first, second = turns[0], turns[1]
    assert (first["person"], first["round"], first["planned_seconds"]) == (leader, 1, 180)
    assert first["actual_seconds"] == 205  # over by 25 s; going back and on again adds nothing
    assert first["note"] == f"{leader}: p. 12 [on trust]"
    assert (second["person"], second["planned_seconds"], second["extended_seconds"]) == (
        order[1],
        60,
        60,
    )
    assert second["actual_seconds"] == 30 + 110  # 30 s, back, then on: 120 s budget less 10
    assert next(t["person"] for t in turns if t["round"] == 2) == order[1]  # next leader
    assert rounds["actual_seconds"] == sum(t["actual_seconds"] for t in turns)


@sync
async def test_microlabs_with_the_groups_own_questions(make_app, clock) -> None:
    """Questions typed at setup, one per line, are the rounds' questions on the run screen;
    a round without one keeps the protocol's, and more lines than rounds are refused."""
    app = make_app()
    mine = ["What did [b]you[/b] try first?", "Who noticed?"]
    async with app.run_test(size=(100, 40)) as pilot:
        setup = await pick_protocol(pilot, "microlabs")
        protocol = setup.protocol
        await answer_setup(pilot, setup, {"topic": "Feedback", "questions": "a\nb\nc\nd"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is setup  # four questions for three rounds
        assert app.focused is setup.query_one("#setup-questions")

        setup.query_one("#setup-questions", TextArea).clear()
        await type_text(pilot, "\n".join(mine))
        await pilot.press("ctrl+s")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        await advance(pilot, clock, 60)
        await pilot.press("f8")  # to the rounds
        await settle(pilot)
        turns = run.session.current.turns
        per_round = len(turns) // 3
        expected = [*mine, protocol.steps[1].turns.round_prompts[2]]
        for k, question in enumerate(expected):
            assert f"Round {k + 1}: {question}" in plain(run.query_one("#turn"))
            for _ in range(per_round):
                await pilot.press("f8")  # the next turn
                await settle(pilot)
