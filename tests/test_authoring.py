"""Authoring tools: ``protocolrunner new`` and ``validate --strict``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import run_cli as run

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.lint import likely_mistakes
from protocolrunner.core.protocol.model import Protocol
from protocolrunner.core.protocol.scaffold import PROSE, copy_of, render, starter
from protocolrunner.core.protocol.schema import protocol_schema_text

BUNDLED = Path(__file__).resolve().parent.parent / "protocols"
BUNDLED_FILES = sorted(BUNDLED.glob("*.toml"))
KEY_LINE = re.compile(r"^\s*([a-z_]+) = ")


def flowing(data: object) -> object:
    """Prose as the screens show it: paragraphs of single-spaced words."""
    if isinstance(data, dict):
        return {
            k: (
                "\n\n".join(" ".join(p.split()) for p in v.strip().split("\n\n") if p.strip())
                if k in PROSE and isinstance(v, str)
                else flowing(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [flowing(v) for v in data]
    return data


def assert_commented(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == "#:schema ./protocol.schema.json"
    for number, line in enumerate(lines):
        if KEY_LINE.match(line) and not line.lstrip().startswith("#"):
            before = lines[number - 1].strip()
            assert before.startswith("#"), f"line {number + 1} has no comment: {line!r}"


# -- scaffolds -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.stem)
def test_a_copy_of_every_bundled_protocol_is_valid_and_says_the_same(path: Path) -> None:
    original = load_protocol_file(path).protocol
    copy = copy_of(original, "our-copy")
    text = render(copy)
    assert_commented(text)
    again = Protocol.model_validate(tomllib.loads(text))
    assert again.id == "our-copy" and again.title == f"{original.title} (our version)"
    assert flowing(again.model_dump(exclude={"id", "title", "version"})) == flowing(
        original.model_dump(exclude={"id", "title", "version"})
    )


def test_the_starter_is_valid_commented_and_passes_strict() -> None:
    protocol = starter("book-club")
    text = render(protocol)
    assert_commented(text)
    again = Protocol.model_validate(tomllib.loads(text))
    assert flowing(again.model_dump()) == flowing(protocol.model_dump())
    assert again.title == "Book Club"
    assert list(likely_mistakes(again)) == []


awkward = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60
).filter(lambda t: t.strip())


@settings(max_examples=60, deadline=None)
@given(summary=awkward, instructions=awkward, prompt=awkward)
def test_any_text_survives_the_round_trip(summary: str, instructions: str, prompt: str) -> None:
    base = starter("t").model_dump()
    base["summary"] = summary
    base["steps"][0]["instructions"] = instructions
    base["steps"][1]["prompts"] = [prompt, '"""', "\\"]
    protocol = Protocol.model_validate(base)
    again = Protocol.model_validate(tomllib.loads(render(protocol)))
    assert again.summary == summary
    assert again.steps[1].prompts == [prompt, '"""', "\\"]
    assert flowing(again.steps[0].model_dump()) == flowing(protocol.steps[0].model_dump())


def test_new_writes_into_the_record_with_the_schema_beside_it(capsys, tmp_path: Path) -> None:
    record = tmp_path / "rec"
    assert run(capsys, "--record", str(record), "record", "init", "--name", "CoP")[0] == 0
    status, out, err = run(capsys, "--record", str(record), "new", "our-consultancy", "--from",
                           "consultancy")  # fmt: skip
    assert (status, err) == (0, "")
    path = record / "protocols" / "our-consultancy.toml"
    assert out.splitlines()[0] == f"Wrote {path}"
    assert (record / "protocols" / "protocol.schema.json").read_text() == protocol_schema_text()
    assert load_protocol_file(path).protocol.title == "Consultancy (our version)"
    # The record's library now has it, after the bundled one it was copied from.
    status, out, _ = run(capsys, "--record", str(record), "list")
    assert "our-consultancy" in out and f"community: {path}" in out
    # A second time: refused, the file untouched.
    before = path.read_bytes()
    status, _, err = run(capsys, "--record", str(record), "new", "our-consultancy")
    assert status == 1 and err == (
        f"protocolrunner: error: {path} already exists; choose another id or -o PATH\n"
    )
    assert path.read_bytes() == before


def test_new_with_an_output_folder_and_bad_input(capsys, tmp_path: Path) -> None:
    status, out, _ = run(capsys, "new", "go-round", "-o", str(tmp_path))
    assert status == 0 and (tmp_path / "go-round.toml").is_file()
    assert "replaces" not in out
    status, out, _ = run(capsys, "new", "tuning", "-o", str(tmp_path / "t.toml"))
    assert status == 0
    assert "Note: it replaces the bundled protocol with the same id in the library." in out
    status, _, err = run(capsys, "new", "Not An Id", "-o", str(tmp_path))
    assert status == 1 and "'Not An Id' is not a protocol id" in err
    status, _, err = run(capsys, "new", "x", "--from", "nope", "-o", str(tmp_path))
    assert status == 1 and err.startswith("protocolrunner: error: ") and "nope" in err
    assert not (tmp_path / "x.toml").exists()


# -- likely mistakes -------------------------------------------------------------------------


def test_bundled_protocols_pass_strict(capsys) -> None:
    status, out, err = run(capsys, "validate", "--strict", str(BUNDLED))
    assert (status, out) == (0, "")
    assert err == f"{len(BUNDLED_FILES)} file(s) valid\n"


def test_strict_warns_with_file_line_and_key(capsys, tmp_path: Path) -> None:
    text = render(starter("odd"))
    text = text.replace('speakers = ["presenter"]\n', "", 1)  # the presentation: nobody speaks
    text = text.replace('silent = ["participants"]\n', "", 1)  # ... and nobody is silent
    text = text.replace(
        'speakers = ["participants"]\n', "speakers = []\n", 1
    )  # prompts nobody answers
    path = tmp_path / "odd.toml"
    path.write_text(text)
    lines = text.splitlines()
    status, out, err = run(capsys, "validate", str(path))
    assert status == 0  # warnings need --strict
    status, out, err = run(capsys, "validate", "--strict", str(path))
    assert status == 1
    assert err == "1 of 1 file(s) have problems or warnings\n"
    found = out.splitlines()
    first = lines.index("[[steps]]")  # a missing key: its table's header
    prompts = next(i for i, line in enumerate(lines) if line.startswith("prompts = "))
    assert found == [
        f"{path}:{first + 1}:1: steps[0].speakers: warning: nobody is named as speaking or "
        "silent: list the speakers, or say who is silent for a quiet step",
        f"{path}:{prompts + 1}:1: steps[1].prompts: warning: prompts on a step where nobody "
        "speaks: name the speakers, or list every role as silent for a step of quiet work",
    ]


def test_strict_warns_about_long_or_unbounded_turns() -> None:
    data = starter("t").model_dump(exclude_none=True)
    parts = [{"who": "leader", "minutes": 5}, {"who": "others", "minutes": 2}]
    turns = {"role": "participants", "rounds": "each", "parts": parts}
    data["steps"][1] = {"id": "rounds", "title": "Rounds", "turns": turns}
    protocol = Protocol.model_validate(data)
    # Ten people: eight participants, each leading 5 + 7 x 2 = 19 minutes.
    assert list(likely_mistakes(protocol)) == [
        (("steps", 1, "turns"), "with 10 people (group_size.max) this step takes 152 min: "
         "shorten the turns or lower group_size.max"),
    ]  # fmt: skip
    data["group_size"] = {"min": 3}
    assert [loc for loc, _ in likely_mistakes(Protocol.model_validate(data))] == [
        ("group_size", "max")
    ]


def test_strict_warns_when_own_questions_have_only_one_line() -> None:
    data = starter("t").model_dump(exclude_none=True)
    data["setup"] = [{"id": "qs", "label": "Our questions", "multiline": False}]
    turns = {"rounds": 2, "round_prompts_from": "qs", "parts": [{"minutes": 1}]}
    data["steps"][1] = {"id": "rounds", "title": "Rounds", "turns": turns}
    assert list(likely_mistakes(Protocol.model_validate(data))) == [
        (("steps", 1, "turns", "round_prompts_from"), "setup question 'qs' is one line, so a "
         "group can type only one question of its own: make it multiline = true"),
    ]  # fmt: skip
    data["setup"][0]["multiline"] = True
    assert list(likely_mistakes(Protocol.model_validate(data))) == []
