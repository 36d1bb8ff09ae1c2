"""New protocol files: valid as written, with a comment on every key.

tomli-w writes no comments, so files are rendered here, key by key, each key preceded by its
description from the pydantic model: the comments can never drift from the schema.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from ..base.atomic import write_atomic
from .model import FORMAT_VERSION, GroupSize, Protocol
from .schema import SCHEMA_FILE_NAME, protocol_schema_text

WIDTH = 96

STARTER: dict[str, Any] = {
    "format": FORMAT_VERSION,
    "id": "my-protocol",
    "title": "My protocol",
    "version": "1.0",
    "summary": "One line on what this protocol helps a group do.",
    "purpose": (
        "When and why to use this protocol: the kind of question or work it suits, and what "
        "the group should have at the end."
    ),
    "source": "Who developed the protocol, and where it was published.",
    "tags": ["feedback"],
    "group_size": {"min": 3, "max": 10},
    "roles": [
        {
            "id": "presenter",
            "name": "Presenter",
            "description": "Brings the question or the work.",
            "rotates": True,
        },
        {
            "id": "facilitator",
            "name": "Facilitator",
            "description": "Keeps time and the steps, and protects the presenter.",
            "rotates": True,
        },
        {
            "id": "participants",
            "name": "Participants",
            "description": "Everyone else: they ask, listen and respond.",
            "rest": True,
        },
    ],
    "setup": [
        {
            "id": "focus",
            "label": "Focusing question",
            "help": "The question the presenter wants help with.",
            "required": True,
        }
    ],
    "steps": [
        {
            "id": "presentation",
            "title": "Presentation",
            "minutes": 10,
            "speakers": ["presenter"],
            "silent": ["participants"],
            "instructions": "The presenter describes the question and the context around it.",
        },
        {
            "id": "discussion",
            "title": "Discussion",
            "minutes": 15,
            "speakers": ["participants"],
            "silent": ["presenter"],
            "instructions": "Participants talk with each other while the presenter listens.",
            "prompts": ["What I heard was...", "I wonder what would happen if..."],
            "capture": [{"id": "ideas", "label": "Ideas worth trying"}],
        },
        {
            "id": "reflection",
            "title": "Presenter's reflection",
            "minutes": 5,
            "speakers": ["presenter"],
            "silent": ["participants"],
            "instructions": "The presenter says what struck them and what they might try.",
            "capture": [{"id": "next-steps", "label": "Next steps"}],
        },
    ],
}
"""What ``protocolrunner new`` starts from without ``--from``: small, complete and valid."""


def starter(protocol_id: str, title: str | None = None) -> Protocol:
    data = STARTER | {"id": protocol_id, "title": title or protocol_id.replace("-", " ").title()}
    return Protocol.model_validate(data)


def copy_of(protocol: Protocol, protocol_id: str) -> Protocol:
    """``protocol`` under a new id, marked as an adaptation in its title and version."""
    data = protocol.model_dump(mode="python", exclude_defaults=True)
    data.update(id=protocol_id, title=f"{protocol.title} (our version)", version="1.0")
    data["format"] = FORMAT_VERSION
    return Protocol.model_validate(data)


PROSE = {"purpose", "source", "description", "help", "instructions", "facilitator_notes"}
"""Fields shown as flowing paragraphs (single line breaks are spaces), so long ones can wrap."""


def render(protocol: Protocol, schema: str = f"./{SCHEMA_FILE_NAME}") -> str:
    """The protocol as a TOML file with a ``#:schema`` line and a comment above every key."""
    lines = [
        f"#:schema {schema}",
        "# A protocolrunner protocol. Every key is explained in the comment above it; the",
        "# authoring reference (docs/authoring.md) has more. Check it with:",
        "#   protocolrunner validate THIS-FILE",
        "",
    ]
    _table(lines, protocol, prefix="")
    return "\n".join(lines).rstrip("\n") + "\n"


def _comment(lines: list[str], text: str, indent: str) -> None:
    for line in textwrap.wrap(text, WIDTH - len(indent) - 2):
        lines.append(f"{indent}# {line}")


def _table(lines: list[str], model: BaseModel, prefix: str) -> None:
    # Nested tables are indented by depth, as in the bundled files: [[steps.capture]] by two.
    indent = "  " * max(0, prefix.count(".") - 1)
    fields = type(model).model_fields
    tables: list[tuple[str, Any]] = []
    for name, info in fields.items():
        value = getattr(model, name)
        nested = isinstance(value, BaseModel) and not isinstance(value, GroupSize)
        if nested or (isinstance(value, list) and value and isinstance(value[0], BaseModel)):
            tables.append((name, value))
            continue
        if value is None or (name not in model.model_fields_set and _empty(value)):
            continue
        _comment(lines, info.description or name, indent)
        if isinstance(value, GroupSize):  # short enough to read on one line
            lines.append(f"{indent}{name} = {_inline(value)}")
        else:
            lines.append(f"{indent}{name} = {_value(name, value, indent)}")
    for name, value in tables:
        header = f"{prefix}{name}"
        inner = "  " * header.count(".")
        lines.append("")
        _comment(lines, fields[name].description or name, inner)
        if isinstance(value, BaseModel):
            lines.append(f"{inner}[{header}]")
            _table(lines, value, f"{header}.")
            continue
        for i, item in enumerate(value):
            if i:
                lines.append("")
            lines.append(f"{inner}[[{header}]]")
            _table(lines, item, f"{header}.")


def _empty(value: Any) -> bool:
    return value in ("", [], False)


def _inline(model: BaseModel) -> str:
    data = model.model_dump(exclude_none=True)
    return "{ " + ", ".join(f"{k} = {_scalar(v)}" for k, v in data.items()) + " }"


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def _value(name: str, value: Any, indent: str) -> str:
    if isinstance(value, list):
        items = [_scalar(item) for item in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(indent) + len(name) + 3 + len(one_line) <= WIDTH:
            return one_line
        return "[\n" + "".join(f"{indent}  {item},\n" for item in items) + f"{indent}]"
    if isinstance(value, str) and (
        "\n" in value.strip()
        or (name in PROSE and len(indent) + len(name) + 3 + len(value) > WIDTH)
    ):
        return _multiline(value, wrap=name in PROSE)
    return _scalar(value)


def _multiline(text: str, wrap: bool) -> str:
    if wrap:
        paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip()]
        text = "\n\n".join(
            "\n".join(textwrap.wrap(p, WIDTH, break_long_words=False, break_on_hyphens=False))
            for p in paragraphs
        )
    body = text.strip("\n").replace("\\", "\\\\").replace('"""', '""\\"')
    body = "".join(
        ch if ch in "\n\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) else f"\\u{ord(ch):04x}"
        for ch in body
    )
    return f'"""\n{body}"""'


def write_new(path: Path, protocol: Protocol, *, overwrite: bool = False) -> Path:
    """Write ``protocol`` to ``path`` (refusing to replace a file unless ``overwrite``), with
    the JSON Schema beside it so that editors find what the ``#:schema`` line points at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, render(protocol), exclusive=not overwrite)
    schema = path.parent / SCHEMA_FILE_NAME
    text = protocol_schema_text()
    if not schema.exists() or schema.read_text(encoding="utf-8") != text:
        write_atomic(schema, text)
    return path
