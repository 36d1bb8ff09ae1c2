"""The summary cache: the library and the community's name shown again without validating
files that did not change, and every change, addition or removal noticed at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import BUNDLED_DIR, protocol_text

from protocolrunner.core.base.problems import FileProblems
from protocolrunner.core.protocol.describe import outline
from protocolrunner.core.protocol.library import EXTRA, Source, load_library, validate_paths
from protocolrunner.core.protocol.summaries import SummaryCache, default_cache_path
from protocolrunner.core.record.folder import CommunityInfo, Record
from protocolrunner.core.record.models import Community

REPO = Path(__file__).resolve().parent.parent


def shown(folder: Path, cache: SummaryCache) -> dict[str, tuple[str, str]]:
    """What the library shows of ``folder``: id -> (title, digest), and its problems."""
    library = load_library([Source(EXTRA, folder)], cache)
    listed = {entry.id: (entry.outline.title, entry.sha256) for entry in library}
    listed.update({str(p): (p.message, "") for p in library.problems})
    return listed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "protocols"
    folder.mkdir()
    (folder / "one.toml").write_text(protocol_text("one", "One"), encoding="utf-8")
    (folder / "two.toml").write_text(protocol_text("two", "Two"), encoding="utf-8")
    return folder


def test_the_cache_is_kept_in_the_user_cache_folder(folder, isolated_user_dirs) -> None:
    shown(folder, SummaryCache())
    assert default_cache_path().is_file()
    assert default_cache_path().is_relative_to(isolated_user_dirs / "cache")


def test_a_kept_outline_is_the_outline_of_the_model(folder) -> None:
    load_library([Source(EXTRA, folder)], SummaryCache())
    library = load_library([Source(EXTRA, folder)], SummaryCache())
    for entry in library:
        assert entry._protocol is None, "read from the cache: no model built"
        assert entry.outline == outline(entry.protocol)
        assert entry._protocol is not None


def test_the_bundled_outlines_survive_the_cache() -> None:
    sources = [Source(EXTRA, BUNDLED_DIR)]
    first = load_library(sources, SummaryCache())
    again = load_library(sources, SummaryCache())
    assert [(e.outline, e.sha256) for e in again] == [(e.outline, e.sha256) for e in first]
    assert all(e._protocol is None for e in again)


def test_a_change_of_the_same_size_and_time_is_noticed_at_once(folder) -> None:
    """Only the content differs: same length, and the modification time put back."""
    before = shown(folder, SummaryCache())
    path = folder / "one.toml"
    info = path.stat()
    path.write_text(protocol_text("one", "Uno"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    after = shown(folder, SummaryCache())
    assert before["one"][0] == "One"
    assert after["one"][0] == "Uno"
    assert after["one"][1] != before["one"][1]


def test_added_removed_and_broken_files_are_noticed_at_once(folder) -> None:
    cache = SummaryCache()
    assert set(shown(folder, cache)) == {"one", "two"}
    (folder / "three.toml").write_text(protocol_text("three", "Three"), encoding="utf-8")
    (folder / "two.toml").unlink()
    assert set(shown(folder, cache)) == {"one", "three"}
    broken = folder / "one.toml"
    broken.write_text(protocol_text("one", "One").replace("minutes = 5", "minutes = 0"))
    listed = shown(folder, cache)
    _, problems = validate_paths([broken])  # as a file is validated without any cache
    assert problems and set(listed) == {"three", *map(str, problems)}
    # The problem is kept, and told again exactly, from the cache.
    assert shown(folder, SummaryCache()) == listed


def test_a_broken_cache_is_rebuilt(folder) -> None:
    expected = shown(folder, SummaryCache())
    path = default_cache_path()
    for damage in (
        b"\x00garbage",
        b"{",
        b"[]",
        json.dumps({"stamp": "old", "files": {}}).encode(),
        path.read_bytes().replace(b'"title": "One"', b'"title": 1'),
        path.read_bytes().replace(b'"outline"', b'"nonsense"'),
    ):
        path.write_bytes(damage)
        assert shown(folder, SummaryCache()) == expected
        assert shown(folder, SummaryCache()) == expected  # and written afresh


def test_kept_problems_that_are_not_problems_are_read_again(folder) -> None:
    (folder / "two.toml").write_text("not toml at all", encoding="utf-8")
    expected = shown(folder, SummaryCache())
    path = default_cache_path()
    data = json.loads(path.read_bytes())
    for _, kept in data["files"].values():
        if "problems" in kept:
            kept["problems"] = [{"file": 1, "message": "x"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert shown(folder, SummaryCache()) == expected


def test_an_unwritable_cache_costs_only_speed(folder, tmp_path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    cache = SummaryCache(blocked / "summaries.json")
    assert shown(folder, cache) == shown(folder, SummaryCache())


def test_the_community_info_is_kept_and_its_change_noticed(tmp_path) -> None:
    record = Record.init(tmp_path / "record", Community(name="Circle", purpose="Reading"))
    info = record.community_info(SummaryCache())
    assert info == CommunityInfo("Circle", "Reading", ())
    assert record.community_info(SummaryCache()) == info
    text = record.community_path.read_text(encoding="utf-8")
    record.community_path.write_text(text.replace("Circle", "Cercle"), encoding="utf-8")
    assert record.community_info(SummaryCache()).name == "Cercle"
    record.community_path.write_text("name = ", encoding="utf-8")
    for _ in range(2):  # read, then from the cache: the same problem
        with pytest.raises(FileProblems) as caught:
            record.community_info(SummaryCache())
        assert [p.file for p in caught.value.problems] == [str(record.community_path)]


LIST = """
import json, sys
from protocolrunner.cli import main
status = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "tomllib") or m in {
    "protocolrunner.core.record.models", "protocolrunner.core.protocol.model"})
print(json.dumps({"status": status, "heavy": heavy}), file=sys.stderr)
"""


def fresh_list(folder: Path) -> tuple[list[str], list[str]]:
    """``protocolrunner list`` in a new interpreter: the ids listed, and which of pydantic, the
    protocol models and the TOML parser it imported."""
    result = subprocess.run(
        [sys.executable, "-c", LIST, "list", "--protocols", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    report = json.loads(result.stderr.splitlines()[-1])
    assert report["status"] == 0, result.stderr
    ids = [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "]
    return ids, report["heavy"]


@pytest.mark.slow
def test_list_imports_no_pydantic_when_no_protocol_changed(folder) -> None:
    ids, heavy = fresh_list(folder)
    assert {"one", "two"} <= set(ids)
    assert "pydantic" in heavy, "the first listing validates: this check would prove nothing"
    assert fresh_list(folder) == (ids, [])
    (folder / "two.toml").unlink()
    assert fresh_list(folder) == ([i for i in ids if i != "two"], [])
    (folder / "one.toml").write_text(protocol_text("zzz", "Zzz"), encoding="utf-8")
    ids, heavy = fresh_list(folder)
    assert "pydantic" in heavy
    assert ids[-1] == "zzz" and "one" not in ids
