"""``protocolrunner preview FILE``: a protocol file watched as it is edited, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Static
from ui_flow import sync

from protocolrunner.core.protocol.scaffold import render, starter
from protocolrunner.ui.screens.preview import PreviewScreen
from protocolrunner.ui.screens.run import RunScreen
from protocolrunner.ui.screens.summary import SummaryScreen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def save(path: Path, text: str) -> None:
    """Write as an editor does, and make sure the change is visible to a stat."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


@sync
async def test_preview_survives_valid_broken_and_fixed_states(make_app, tmp_path: Path) -> None:
    path = tmp_path / "ours.toml"
    good = render(starter("ours", "Our Protocol"))
    save(path, good)
    app = make_app(preview=path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, PreviewScreen)
        assert text_of(screen, "#preview-status").startswith("Valid · Our Protocol · 30 min")
        assert "Our Protocol" in text_of(screen, "#preview-body")
        assert screen.query_one("#preview-problems").has_class("-empty")

        states = [
            # A TOML syntax error: tomllib's line and column.
            (good + "\nthis is [not toml\n", ["TOML syntax"], 1),
            # A typed mistake and an unknown key: each with its own line.
            (
                good.replace("minutes = 10", 'minutes = "ten"').replace(
                    'title = "Discussion"', 'title = "Discussion"\ncolour = "red"'
                ),
                ["steps[0].minutes", "steps[1].colour"],
                2,
            ),
            ("", ["empty"], 1),
            ("\x00\x01binary", [""], 1),
        ]
        lines = good.splitlines()
        minutes_line = lines.index("minutes = 10") + 1
        for text, keys, count in states:
            save(path, text)
            assert screen.reload_if_changed()
            await pilot.pause()
            problems = text_of(screen, "#preview-problems")
            assert not screen.query_one("#preview-problems").has_class("-empty")
            assert problems.splitlines()[0].startswith(f"{count} problem")
            for key in keys:
                assert key in problems
            # The last good version stays, and says so.
            assert text_of(screen, "#preview-status").startswith("Last good version · Our")
            assert "Our Protocol" in text_of(screen, "#preview-body")
        save(path, states[1][0])
        screen.reload_if_changed()
        assert f"{path}:{minutes_line}:1: steps[0].minutes:" in text_of(screen, "#preview-problems")

        # Deleted, then written again, fixed and changed.
        path.unlink()
        assert screen.reload_if_changed()
        assert f"{path}:1:1: does not exist" in text_of(screen, "#preview-problems")
        assert not screen.reload_if_changed()  # still gone: nothing new
        save(path, good.replace('title = "Our Protocol"', 'title = "Our Protocol, v2"'))
        assert screen.reload_if_changed()
        await pilot.pause()
        assert screen.query_one("#preview-problems").has_class("-empty")
        assert text_of(screen, "#preview-status").startswith("Valid · Our Protocol, v2")
        assert not screen.reload_if_changed()  # unchanged: not read again


@sync
async def test_a_save_shows_within_a_second(make_app, tmp_path: Path) -> None:
    path = tmp_path / "ours.toml"
    save(path, render(starter("ours", "First")))
    app = make_app(preview=path)
    async with app.run_test(size=(100, 30)) as pilot:
        save(path, render(starter("ours", "Second")))
        for _ in range(10):  # the screen's own timer, not a call from the test
            await pilot.pause(0.1)
            if "Second" in text_of(app.screen, "#preview-status"):
                break
        assert text_of(app.screen, "#preview-status").startswith("Valid · Second")


@sync
async def test_walk_through_every_step_and_back(make_app, tmp_path: Path, clock) -> None:
    path = tmp_path / "ours.toml"
    save(path, render(starter("ours", "Ours")))
    app = make_app(preview=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        run = app.screen
        assert isinstance(run, RunScreen)
        assert run.session.protocol.id == "ours"
        assert "Ana Souza (Presenter)" in text_of(run, "#speakers")
        seen = []
        for _ in run.session.runs:
            seen.append(text_of(run, "#step-title"))
            await pilot.press("f8")
            await pilot.pause()
        assert seen == ["Presentation", "Discussion", "Presenter's reflection"]
        await pilot.click("#yes")  # the last step's F8 asks to end
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("ctrl+w")  # leaving unsaved asks first
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PreviewScreen)
        # The rehearsal wrote nothing to the record.
        assert not list((tmp_path / "record" / "sessions").rglob("*ours*"))


BUNDLED = sorted((Path(__file__).resolve().parent.parent.parent / "protocols").glob("*.toml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@sync
async def test_every_bundled_protocol_previews_and_walks(make_app, path: Path) -> None:
    app = make_app(preview=path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        title = screen.entry.protocol.title
        assert text_of(screen, "#preview-status").startswith(f"Valid · {title}")
        await pilot.press("enter")
        run = app.screen
        assert isinstance(run, RunScreen)
        for step in run.session.protocol.steps:
            assert text_of(run, "#step-title") == step.title
            if run.session.current.turns:  # a step in turns: someone's turn, by name
                assert text_of(run, "#speakers").startswith("Now: ")
            await pilot.press("f8")
            while run.session.current.turn:  # the rest of the turns
                await pilot.press("f8")
            await pilot.pause()
