"""Shared fixtures: every test runs with its own, empty user folders."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "protocols"

if sys.dont_write_bytecode and not sys.pycache_prefix:
    # PYTHONDONTWRITEBYTECODE (set in some containers) would have every xdist worker compile
    # and assertion-rewrite the tests and the package again, run after run: six seconds of each
    # worker's start. Their compiled files go under .pytest_cache instead, beside no source.
    sys.pycache_prefix = str(REPO / ".pytest_cache" / "pyc")
    sys.dont_write_bytecode = False

GC_THRESHOLDS = (10_000, 20, 10)
"""Python's default (700, 10, 10) spent a fifth of a Pilot test's CPU in the garbage collector:
every screen allocates a flood of short-lived styles and strips, and each full collection also
walked every module and collected test. Collecting less often changes no result."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. A Pilot test waits much of its time (after every key
    and pause, Pilot sleeps until the app has been quiet for 20 ms): with one worker per core,
    the settings, safety and help tests took 105 s on two cores, with two per core 57 s, for the
    same CPU time. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still wins."""
    if workers := os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (cores or 1)


def _long(item: pytest.Item) -> bool:
    """A Pilot run, a property test or one marked slow (a browser, a wheel built, processes)."""
    return (
        item.path.parent.name == "ui"
        or item.get_closest_marker("slow") is not None
        or getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (otherwise in their order), so that no worker is still running one
    at the end while the others have finished."""
    items.sort(key=lambda item: not _long(item))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything imported and collected so far out of the collector's sight (it lives
    until the end), and collect garbage less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point platformdirs (XDG on Linux) and the record at temporary folders.

    Nothing a test does may touch the real user's record, config, journal or cache.
    """
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("PROTOCOLRUNNER_RECORD", raising=False)
    return home


@pytest.fixture
def clock():
    """A frozen clock: tests move time with ``clock.advance(seconds)``."""
    from protocolrunner.core.session.clock import FakeClock

    return FakeClock()


@pytest.fixture
def make_app(tmp_path: Path, clock):
    """Build the app over a demo record in ``tmp_path/record`` with the frozen clock.

    Folder names are fixed so that screens (and snapshots) show the same text on every run.
    """
    from datetime import datetime, timedelta, timezone

    from protocolrunner.core.protocol.library import default_sources, load_library
    from protocolrunner.core.record.demo import write_demo
    from protocolrunner.ui.app import ProtocolRunnerApp
    from protocolrunner.ui.context import build_context

    def make(sessions: int = 8, demo: bool = True, **kwargs) -> ProtocolRunnerApp:
        root = tmp_path / "record"
        if demo and not root.exists():
            end = datetime(2026, 9, 22, 15, 30, tzinfo=timezone(timedelta(hours=1)))
            write_demo(root, load_library(default_sources()), sessions=sessions, end=end)
        context = build_context(
            root,
            clock=clock,
            journal_dir=tmp_path / "journal",
            export_dir=tmp_path / "exports",
        )
        return ProtocolRunnerApp(context, **kwargs)

    return make
