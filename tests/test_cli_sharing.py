"""The record's sharing commands: sync, actions, action, members, members add."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from support import cli_exit, run_cli

from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import Record

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def demo(tmp_path: Path) -> Record:
    return write_demo(tmp_path / "a", load_library(default_sources()), sessions=3)


def cli(capsys, record: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, "--record", str(record), "record", *argv)


@needs_git
@pytest.mark.slow
def test_two_schools_share_a_record_from_the_command_line(demo, tmp_path, capsys) -> None:
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(hub)], check=True)
    a, b = demo.root, tmp_path / "b"
    assert cli(capsys, a, "sync", "--init", str(hub))[1].startswith("The record will be shared")
    status, out, err = cli(capsys, a, "sync")
    assert status == 0 and out.startswith("Sent: 3 sessions (ATLAS: Looking at Data 20 Oct, ")
    assert out.endswith("), 10 members added; received: nothing new.\n")
    assert "Fetching the others' changes…" in err
    run_cli(capsys, "record", "init", str(b), "--name", "Our community")
    status, out, _ = cli(capsys, b, "sync", "--init", str(hub))
    assert out == f"This record is now a copy of the shared record at {hub}.\n"
    # Each school: a member, and a review of the same item; then sync A, B, A.
    status, out, _ = cli(capsys, a, "actions", "--json")
    item = json.loads(out)[0]["id"]
    assert cli(capsys, a, "members", "add", "Zoe Adams", "--note", "Art")[0] == 0
    assert cli(capsys, b, "members", "add", "Yuri Berg")[0] == 0
    assert cli(capsys, a, "action", item[:10], "done", "--by", "Ann")[1].startswith(
        f"{item} is done"
    )
    assert cli(capsys, b, "action", item, "carry")[1].startswith(f"{item} is carried")
    for record in (a, b, a):
        assert cli(capsys, record, "sync")[0] == 0
    for record in (a, b):
        _, out, _ = cli(capsys, record, "members", "--json")
        assert {"Zoe Adams", "Yuri Berg"} <= {m["name"] for m in json.loads(out)}
        _, out, _ = cli(capsys, record, "actions", "--json")
        assert next(i for i in json.loads(out) if i["id"] == item)["state"] == "carried"
        assert (
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=record, capture_output=True, text=True
            ).stdout
            == ""
        )


def test_sync_of_a_record_not_shared_says_what_to_do(demo, capsys) -> None:
    status, out, err = cli(capsys, demo.root, "sync")
    assert status == 1 and out == ""
    assert err.splitlines() == [
        f"protocolrunner: error: {demo.root} is not shared through git yet: run "
        "'protocolrunner record sync --init URL' with the address of the shared repository"
    ]


def test_actions_lists_every_item_with_its_state_and_id(demo, capsys) -> None:
    _, out, _ = cli(capsys, demo.root, "actions")
    lines = out.splitlines()
    assert lines and all(len(line.split()[0]) == 10 for line in lines)
    _, open_only, _ = cli(capsys, demo.root, "actions", "--open")
    assert set(open_only.splitlines()) <= set(lines)
    assert all(line.split()[1] in ("open", "carried") for line in open_only.splitlines())


def test_an_action_id_that_names_several_items_or_none_is_one_line(demo, capsys) -> None:
    status, _, err = cli(capsys, demo.root, "action", "zz", "done")
    assert status == 1 and err == (
        "protocolrunner: error: no action item is 'zz': see 'record actions'\n"
    )
    code, _, err = cli_exit(capsys, "--record", str(demo.root), "record", "action", "x", "finish")
    assert code == 2 and "invalid choice: 'finish' (choose from 'done', 'carry'" in err
    _, out, _ = cli(capsys, demo.root, "actions", "--json")
    refs = [i["id"] for i in json.loads(out)]
    shared = next((r[:8] for r in refs if sum(other.startswith(r[:8]) for other in refs) > 1), None)
    if shared:
        status, _, err = cli(capsys, demo.root, "action", shared, "done")
        assert status == 1 and "type more of it" in err


def test_reviewing_an_item_twice_the_same_way_writes_nothing_new(demo, capsys) -> None:
    _, out, _ = cli(capsys, demo.root, "actions", "--json")
    item = json.loads(out)[0]["id"]
    cli(capsys, demo.root, "action", item, "drop")
    _, out, _ = cli(capsys, demo.root, "action", item, "drop")
    assert out.startswith(f"{item} is dropped already")
    assert len(list(demo.followthrough_dir.rglob("*.toml"))) == 1
    cli(capsys, demo.root, "action", item, "reopen")
    _, out, _ = cli(capsys, demo.root, "actions", "--open", "--json")
    assert item in [i["id"] for i in json.loads(out)]


def test_adding_a_member_twice_is_one_line(demo, capsys) -> None:
    assert cli(capsys, demo.root, "members", "add", "Zoe  Adams")[1].startswith("Added Zoe Adams")
    status, _, err = cli(capsys, demo.root, "members", "add", "Zoe Adams")
    assert status == 1 and err == "protocolrunner: error: Zoe Adams is a member already\n"
    assert demo.load_community().member_names[-1] == "Zoe Adams"
