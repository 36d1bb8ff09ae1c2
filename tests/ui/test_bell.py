"""The time-up bell rings once per step (or turn), and not again for a resumed session."""

from __future__ import annotations

from ui_flow import advance, settle, sync

from protocolrunner.core.session.engine import Session
from protocolrunner.core.session.roles import propose_fair
from protocolrunner.ui.screens.run import RunScreen

PEOPLE = ["Ana Souza", "Ben Okafor", "Cleo Martin", "Dev Patel"]


@sync
async def test_a_resumed_session_over_time_does_not_ring_again(
    make_app, clock, monkeypatch
) -> None:
    app = make_app()
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        protocol = app.context.library.resolve("consultancy").protocol
        roles = propose_fair(protocol, PEOPLE, []).roles
        session = Session(protocol, attendees=PEOPLE, roles=roles, clock=clock)
        session.start()
        clock.advance(session.remaining() + 30)  # over time when it was interrupted
        resumed = Session.from_snapshot(session.snapshot(), clock)
        app.start_session(resumed)
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await pilot.press("f5")  # resume the paused session
        await advance(pilot, clock, 5)
        assert resumed.display_seconds() == -35
        assert bells == []
        # The next step still rings when its time is up.
        await pilot.press("f8")
        await advance(pilot, clock, resumed.remaining() + 1)
        assert bells == [1]
