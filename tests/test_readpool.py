"""``core.base.readpool``: files read in helper processes come back in order, each helper set up
first; whatever a helper cannot do is done in the calling process."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from protocolrunner.core.base.readpool import CHUNK, read_all


def test_helpers_set_up_then_read_every_path_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path.parent)
    names = [f"file-{n}" for n in range(3 * CHUNK + 7)]
    # Set up in the helpers: their working folder, which abspath shows.
    found = list(read_all(names, os.path.abspath, 2, setup=functools.partial(os.chdir, tmp_path)))
    assert found == [(name, str(tmp_path / name)) for name in names]
    assert Path.cwd() == tmp_path.parent  # set up there, not here


def test_what_cannot_go_to_a_helper_is_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    names = [str(n) for n in range(2 * CHUNK)]
    here = lambda name: f"{name}!"  # noqa: E731 - no name to pickle it by
    assert list(read_all(names, here, 2)) == [(name, f"{name}!") for name in names]
    # The set-up runs here too before reading here.
    (tmp_path / "inside").mkdir()
    setup = functools.partial(os.chdir, tmp_path / "inside")
    assert [p for _, p in read_all(names[:3], lambda n: os.path.abspath(n), 2, setup=setup)] == [
        str(tmp_path / "inside" / n) for n in names[:3]
    ]


def test_a_helper_that_fails_leaves_the_rest_to_the_caller() -> None:
    """``int`` fails on "x" in a helper, which then stops: the caller reads that chunk and
    the rest itself, so the same error comes up here, after every earlier file."""
    names = [str(n) for n in range(2 * CHUNK)] + ["x"] + [str(n) for n in range(CHUNK)]
    found = []
    with pytest.raises(ValueError, match="'x'"):
        for name, value in read_all(names, int, 2):
            found.append((name, value))
    assert found == [(name, int(name)) for name in names[: 2 * CHUNK]]
