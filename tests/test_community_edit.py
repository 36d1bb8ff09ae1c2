"""Editing community.toml: lines, validation in plain words, and merging with the file now."""

from __future__ import annotations

import tomllib
from pathlib import Path

from protocolrunner.core.record.community_edit import (
    add_members,
    merge,
    parse_lines,
    save_community,
    validate_community,
)
from protocolrunner.core.record.folder import Record
from protocolrunner.core.record.models import Community, Member


def test_parse_lines_drops_blanks_and_bullets() -> None:
    assert parse_lines("- Start on time\n\n  • Step up, step back \n* [b]x[/]\n") == [
        "Start on time",
        "Step up, step back",
        "[b]x[/]",
    ]


def test_validation_messages_name_the_field() -> None:
    data = {
        "name": "",
        "members": [{"name": "Ann", "note": ""}, {"name": "Ann", "note": "again"}],
    }
    community, problems = validate_community(data)
    assert community is None
    assert "Name: must not be empty" in problems
    community, problems = validate_community({"name": "CoP", "members": data["members"]})
    assert problems == ["Members, #2 (Ann): member 'Ann' is listed twice"]


def test_merge_keeps_changes_made_meanwhile() -> None:
    original = Community(name="CoP", norms=["a"], members=[Member(name="Ann"), Member(name="Bea")])
    # Here: new norms, Bea removed, Cal added, Ann's note changed.
    edited = original.model_copy(
        update={
            "norms": ["a", "b"],
            "members": [Member(name="Ann", note="Maths"), Member(name="Cal")],
        }
    )
    # Meanwhile on disk: a new purpose and a new member Dee.
    current = original.model_copy(
        update={"purpose": "Theirs", "members": [*original.members, Member(name="Dee")]}
    )
    merged = merge(original, edited, current)
    assert merged.purpose == "Theirs"
    assert merged.norms == ["a", "b"]
    assert [(m.name, m.note) for m in merged.members] == [
        ("Ann", "Maths"),
        ("Dee", ""),
        ("Cal", ""),
    ]


def test_save_writes_the_file(tmp_path: Path) -> None:
    record = Record.init(tmp_path / "r", Community(name="CoP"))
    original = record.load_community()
    edited = original.model_copy(update={"norms": ["[bold]Be kind[/]", "Start on time"]})
    save_community(record, original, edited)
    data = tomllib.loads(record.community_path.read_text(encoding="utf-8"))
    assert data["norms"] == ["[bold]Be kind[/]", "Start on time"]
    assert data["format"] == 1


def test_add_members_adds_only_new_people(tmp_path: Path) -> None:
    record = Record.init(
        tmp_path / "r",
        Community(name="CoP", norms=["Listen"], members=[Member(name="Ana Souza", note="Y7")]),
    )
    community, added = add_members(
        record, ["ana  SOUZA", " Ben  Okafor ", "", "[b]Kim", "ben okafor", "Élodie"]
    )
    assert added == ["Ben Okafor", "[b]Kim", "Élodie"]
    assert community.member_names == ["Ana Souza", "Ben Okafor", "[b]Kim", "Élodie"]
    on_disk = record.load_community()
    assert on_disk == community
    assert on_disk.norms == ["Listen"] and on_disk.members[0].note == "Y7"
    assert add_members(record, ["Élodie", "ÉLODIE"])[1] == []


def test_add_members_keeps_changes_made_meanwhile(tmp_path: Path) -> None:
    """Another laptop added a member and a norm after this one read the file: both stay."""
    record = Record.init(tmp_path / "r", Community(name="CoP"))
    record.update_community(
        lambda c: c.model_copy(update={"members": [Member(name="Jo")], "norms": ["Be brief"]})
    )
    community, added = add_members(record, ["Jo", "Lee"])
    assert added == ["Lee"]
    assert community.member_names == ["Jo", "Lee"]
    assert community.norms == ["Be brief"]
