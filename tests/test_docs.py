"""docs/authoring.md documents every key of the protocol format, and its examples work.

Each table of a protocol file has a ``## `` section in the authoring reference, found by its
heading: ``## Top-level keys`` for the ``Protocol`` model itself, ``## `[group_size]` `` for a
table that holds one model, and ``## `[[steps.capture]]` `` for a list of tables (the key path
from the top, in TOML's own notation). Each such section has a table whose rows start with the
key in backticks: ``| `minutes` | ...``. Adding a field to a model without documenting it in
the right section, or leaving a removed field in the docs, fails these tests.

Every ```` ```toml ```` block must be valid TOML, and a block that contains ``format = 1`` must
be a complete protocol that validates. Deliberately broken examples go in ```` ```text ````
blocks.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from protocolrunner.core.protocol.library import load_protocol_file
from protocolrunner.core.protocol.model import Protocol

REPO = Path(__file__).resolve().parent.parent
AUTHORING = REPO / "docs" / "authoring.md"
TOP_LEVEL_HEADING = "Top-level keys"

_KEY_ROW = re.compile(r"^\|\s*`([A-Za-z0-9_]+)`\s*\|", re.MULTILINE)
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _nested_models(annotation: Any, in_list: bool = False) -> list[tuple[type[BaseModel], bool]]:
    """Models inside a field's annotation, each with whether it sits in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, in_list)]
    found: list[tuple[type[BaseModel], bool]] = []
    origin = typing.get_origin(annotation)
    if isinstance(annotation, types.UnionType) or origin is not None:
        is_list = in_list or origin in (list, tuple, set, frozenset)
        for arg in typing.get_args(annotation):
            found.extend(_nested_models(arg, is_list))
    return found


def _tables(
    model: type[BaseModel] = Protocol, path: tuple[str, ...] = (), in_list: bool = False
) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``model``, by the heading of its section in the docs."""
    if not path:
        heading = TOP_LEVEL_HEADING
    else:
        dotted = ".".join(path)
        heading = f"`[[{dotted}]]`" if in_list else f"`[{dotted}]`"
    out = {heading: model}
    for name, field in model.model_fields.items():
        for sub, sub_in_list in _nested_models(field.annotation):
            out.update(_tables(sub, (*path, name), sub_in_list))
    return out


TABLES = _tables()


def _sections(text: str) -> dict[str, str]:
    """``## `` heading text -> everything up to the next ``## `` heading (outside code blocks)."""
    sections: dict[str, str] = {}
    heading: str | None = None
    lines: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            if heading is not None:
                sections[heading] = "\n".join(lines)
            heading = line[3:].strip()
            assert heading not in sections, f"two sections are headed '## {heading}'"
            lines = []
        elif heading is not None:
            lines.append(line)
    if heading is not None:
        sections[heading] = "\n".join(lines)
    return sections


@pytest.fixture(scope="module")
def doc() -> str:
    return AUTHORING.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(doc: str) -> dict[str, str]:
    return _sections(doc)


def test_every_model_is_found() -> None:
    names = {model.__name__ for model in TABLES.values()}
    assert {"Protocol", "GroupSize", "Role", "SetupField", "Step", "CaptureField"} <= names
    assert "`[[steps.capture]]`" in TABLES


@pytest.mark.parametrize("heading", sorted(TABLES))
def test_every_table_has_a_section(heading: str, sections: dict[str, str]) -> None:
    assert heading in sections, f"docs/authoring.md has no section '## {heading}'"


@pytest.mark.parametrize("heading", sorted(TABLES))
def test_every_field_is_mentioned_in_its_section(heading: str, sections: dict[str, str]) -> None:
    body = sections.get(heading, "")
    missing = [name for name in TABLES[heading].model_fields if f"`{name}`" not in body]
    assert not missing, f"'## {heading}' in docs/authoring.md does not mention {missing}"


@pytest.mark.parametrize("heading", sorted(TABLES))
def test_documented_keys_equal_the_model_fields(heading: str, sections: dict[str, str]) -> None:
    rows = _KEY_ROW.findall(sections.get(heading, ""))
    assert len(rows) == len(set(rows)), f"'## {heading}' documents a key twice: {rows}"
    documented = set(rows)
    fields = set(TABLES[heading].model_fields)
    assert documented - fields == set(), f"'## {heading}' documents keys the model lacks"
    assert fields - documented == set(), f"'## {heading}' has no table row for these keys"


def test_key_tables_follow_the_model_order(sections: dict[str, str]) -> None:
    for heading, model in TABLES.items():
        assert _KEY_ROW.findall(sections.get(heading, "")) == list(model.model_fields), heading


def _toml_blocks(text: str) -> list[str]:
    return _TOML_BLOCK.findall(text)


def test_doc_has_complete_examples(doc: str) -> None:
    complete = [block for block in _toml_blocks(doc) if "format = 1" in block]
    assert len(complete) >= 2


def test_every_toml_block_is_toml(doc: str) -> None:
    for number, block in enumerate(_toml_blocks(doc), 1):
        try:
            tomllib.loads(block)
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"toml block {number} in docs/authoring.md: {exc}\n{block}")


def test_every_complete_example_validates(doc: str, tmp_path: Path) -> None:
    complete = [block for block in _toml_blocks(doc) if "format = 1" in block]
    for number, block in enumerate(complete, 1):
        path = tmp_path / f"example-{number}.toml"
        path.write_text(block, encoding="utf-8")
        entry = load_protocol_file(path)
        assert entry.protocol.format == 1


# -- docs/architecture.md names only what exists ----------------------------------------------


def test_the_architecture_page_names_modules_functions_and_tests_that_exist() -> None:
    """A renamed module, function or test must take the newcomers' page with it."""
    root = REPO
    page = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = root / "protocolrunner"
    named = set(re.findall(r"`((?:core|ui)/[\w/]+\.(?:py|tcss))`", page))
    assert len(named) > 10
    for module in named:
        assert (package / module).is_file(), module
    # A module named bare sits in the core folder its section heads.
    sections = re.findall(r"\*\*`(core/\w+/)`[^*]*\*\*\n(.*?)(?:\n\n|$)", page, re.S)
    assert len(sections) == 6
    for folder, section in sections:
        bare = re.findall(r"(?<![/\w])`(\w+\.py)`", section)
        assert bare, folder
        for module in bare:
            assert (package / folder / module).is_file(), folder + module
    for test_file, test_name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page):
        assert f"def {test_name}(" in (root / test_file).read_text(encoding="utf-8"), test_name
    for test_file in re.findall(r"`(tests/[\w/]+\.py)", page):
        assert (root / test_file).is_file(), test_file
    sources = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    for name in re.findall(r"`(?:\w+\.)?(\w+)\(\)`", page):
        assert f"def {name}(" in sources, name
    for cls, method in re.findall(r"`([A-Z]\w+)\.(\w+)`", page):
        assert f"class {cls}" in sources and f"def {method}(" in sources, (cls, method)
