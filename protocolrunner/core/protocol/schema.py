"""The JSON Schema of protocol files, for editors (Taplo, VS Code's Even Better TOML)."""

from __future__ import annotations

import json
from typing import Any

from .model import Protocol

SCHEMA_FILE_NAME = "protocol.schema.json"


def protocol_json_schema() -> dict[str, Any]:
    schema = Protocol.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def protocol_schema_text() -> str:
    """The schema exactly as shipped in ``protocols/protocol.schema.json``."""
    return json.dumps(protocol_json_schema(), indent=2, ensure_ascii=False) + "\n"
