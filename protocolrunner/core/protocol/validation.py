"""Turn pydantic validation errors into one-line problems with file, line, column and key."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..base.problems import FileProblems, Problem
from ..base.tomlpos import key_positions, locate
from .model import Loc, format_loc

M = TypeVar("M", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "should be text in quotes",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number, without a fractional part",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "list_type": 'should be a list, like ["a", "b"]',
    "model_type": "should be a table",
    "dict_type": "should be a table",
    "model_attributes_type": "should be a table",
    "datetime_type": "should be a date and time, like 2026-10-03T16:00:00+01:00",
    "date_type": "should be a date, like 2026-10-03",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found.extend(_models_in(arg))
    return found


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the table at ``loc`` accepts, for "did you mean" hints."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        candidates = _models_in(field.annotation) if field else []
        current = candidates[0] if candidates else None
    return list(current.model_fields) if current else []


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def error_message(error: dict[str, Any], model: type[BaseModel]) -> str:
    """A short, plain-words message for one pydantic error."""
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
        return f"unknown key '{loc[-1]}' ({hint})"
    if kind == "string_pattern_mismatch":
        return (
            "should be an id of lowercase letters, digits and dashes, like 'focus-question' "
            f"(got {_got(value)})"
        )
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "too_short" and isinstance(value, list | str):
        return "needs at least one entry" if isinstance(value, list) else "must not be empty"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "greater_than":
        return f"must be more than {_num(ctx.get('gt'))} (got {_got(value)})"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))} (got {_got(value)})"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx.get('le'))} (got {_got(value)})"
    if kind == "literal_error":
        return f"should be {ctx.get('expected')} (got {_got(value)})"
    if kind == "int_type" and isinstance(value, float):
        kind = "int_from_float"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]} (got {_got(value)})"
    message = error["msg"]
    return f"{message[:1].lower()}{message[1:]}"


def problems_from(name: str, text: str, errors: list[tuple[Loc, str]]) -> list[Problem]:
    """Attach line and column to ``(key path, message)`` pairs found in ``text``."""
    positions = key_positions(text)
    out = []
    for loc, message in errors:
        line, col = locate(positions, loc)
        out.append(Problem(name, message, line, col, format_loc(loc)))
    out.sort(key=lambda p: (p.line, p.col))
    return out


def validate_document(model: type[M], data: dict[str, Any], text: str, name: str) -> M:
    """Validate parsed TOML against ``model`` or raise ``FileProblems`` listing every problem."""
    collected: list[tuple[Loc, str]] = []
    try:
        result = model.model_validate(data, context={"problems": collected})
    except ValidationError as exc:
        errors = [(tuple(e["loc"]), error_message(dict(e), model)) for e in exc.errors()]
        raise FileProblems(problems_from(name, text, errors + collected)) from None
    if collected:
        raise FileProblems(problems_from(name, text, collected))
    return result
