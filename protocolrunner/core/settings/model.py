"""A facilitator's settings (``config.toml``): the model, its check, and the texts made from it.

The file is checked like a protocol file (every mistake as ``FILE:LINE:COL: key: message``), but
a mistake never stops the app: the key in error is ignored and its default used, and the
problem says so. Binding ids and key names under ``[keys]`` are checked against the app's own
bindings by the UI (``ui.keymap``); here they only need the right shape.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Self, cast

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..base.problems import Problem
from ..base.tomlpos import key_positions, locate
from ..protocol.model import WARN_LEAST, WARN_MOST, WARN_SHARE, WarningRule
from ..protocol.validation import error_message
from .config import (
    DEFAULT_PROJECTOR_THEME,
    DEFAULT_THEME,
    SCHEMA_FILE_NAME,
    ConfigText,
    read_config,
    record_problem,
    resolve_record,
)

ThemeName = Literal["dark", "light", "projector"]

MAX_KEYS_PER_BINDING = 8


def _key_name(value: str) -> str:
    if not value or any(c.isspace() or c == "," for c in value) or len(value) > 40:
        raise ValueError(
            'should be one key name, like "pagedown", "f8", "n" or "ctrl+n" '
            f"(got {value!r:.40}); give several keys as a list"
        )
    return value


KeyName = Annotated[str, AfterValidator(_key_name)]


def _one_or_more(value: Any) -> Any:
    # One key may be written alone, "f8", or in a list, ["f8", "pagedown"].
    return [value] if isinstance(value, str) else value


KeyList = Annotated[
    list[KeyName],
    BeforeValidator(_one_or_more),
    Field(min_length=1, max_length=MAX_KEYS_PER_BINDING),
]


class _Model(BaseModel):
    # As for protocols: an unknown key is an error, so a typo never silently drops a setting.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class WarningSettings(_Model):
    """When the countdown says ALMOST OUT OF TIME, in steps whose protocol sets no time."""

    percent: int = Field(
        100 // WARN_SHARE,
        ge=1,
        le=50,
        description="The last part of a step or turn that warns, in percent of it.",
    )
    least_seconds: int = Field(
        WARN_LEAST,
        ge=0,
        le=600,
        description="...but at least this many seconds (never more than half of the step)...",
    )
    most_seconds: int = Field(
        WARN_MOST, ge=1, le=3600, description="...and at most this many seconds."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.least_seconds > self.most_seconds:
            raise ValueError(
                f"least_seconds ({self.least_seconds}) must not be more than "
                f"most_seconds ({self.most_seconds})"
            )
        return self

    def rule(self) -> WarningRule:
        return WarningRule(self.percent, self.least_seconds, self.most_seconds)


class ProjectorSettings(_Model):
    """Projector mode (F2 or p on the run screen)."""

    theme: ThemeName = Field(
        cast(ThemeName, DEFAULT_PROJECTOR_THEME),
        description='The theme in projector mode: "projector" (high contrast), "dark" or "light".',
    )
    start: bool = Field(False, description="Start every meeting in projector mode.")


class Settings(_Model):
    """A facilitator's settings for this computer."""

    record: str | None = Field(
        None,
        description=(
            "The community record to open when neither --record nor $PROTOCOLRUNNER_RECORD "
            "names one. ~ is your home folder; a relative path starts at this file's folder."
        ),
    )
    bell: bool = Field(
        True, description="Ring the terminal bell once when a step's time is up (m toggles it)."
    )
    theme: ThemeName = Field(
        cast(ThemeName, DEFAULT_THEME),
        description=(
            'The theme: "dark", "light" or "projector" (high contrast). Picking one in the '
            "command palette (ctrl+p) is remembered until you change this line."
        ),
    )
    warning: WarningSettings = Field(
        default_factory=WarningSettings,
        description="When the countdown warns, in steps whose protocol sets no time.",
    )
    projector: ProjectorSettings = Field(
        default_factory=ProjectorSettings, description="Projector mode."
    )
    keys: dict[str, KeyList] = Field(
        default_factory=dict,
        description=(
            'Keys: a binding id and one key or a list of keys, e.g. "run.next-page" = '
            '["pagedown", "right"]. The keys given replace the binding\'s own.'
        ),
    )

    @field_validator("record", mode="before")
    @classmethod
    def _record(cls, value: Any) -> Any:
        if value is not None and (message := record_problem(value)) is not None:
            raise ValueError(message)
        return value

    def record_dir(self, config_file: Path) -> Path | None:
        return None if self.record is None else resolve_record(self.record, config_file)

    def keymap(self) -> dict[str, str]:
        """``[keys]`` as Textual's keymap: binding id -> comma-separated keys."""
        return {binding_id: ",".join(keys) for binding_id, keys in self.keys.items()}


@dataclass
class LoadedSettings:
    """The settings in force: the file's where they were right, the defaults elsewhere."""

    settings: Settings
    config: ConfigText
    problems: list[Problem] = field(default_factory=list)

    @property
    def set_in_file(self) -> set[str]:
        """The top-level keys the file set (and that were kept)."""
        return set(self.settings.model_fields_set)

    def position(self, loc: Sequence[str | int]) -> tuple[int, int]:
        """Where ``loc`` (a key path) is written in the file."""
        return locate(key_positions(self.config.text), tuple(loc))

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        """A problem at ``loc`` in the settings file."""
        line, col = self.position(loc)
        return Problem(str(self.config.path), message, line, col, key_path(loc))


def key_path(loc: Sequence[str | int]) -> str:
    """``("keys", "run.next")`` -> ``keys."run.next"``: a part holding a dot is quoted, as in
    TOML."""
    out: list[str] = []
    for part in loc:
        if isinstance(part, int):
            out[-1:] = [f"{out[-1] if out else ''}[{part}]"]
        elif "." in part or not part:
            out.append(json.dumps(part))
        else:
            out.append(part)
    return ".".join(out)


def load_settings(config: ConfigText | None = None) -> LoadedSettings:
    """Read and check the settings file. Every key in error is left out (its default applies)
    and reported; the rest is kept. Never raises for anything in the file."""
    config = config if config is not None else read_config()
    loaded = LoadedSettings(Settings(), config, list(config.problems))
    data = _plain(config.data)
    # Each round leaves out at least one key in error, so this ends.
    while True:
        try:
            loaded.settings = Settings.model_validate(data)
            break
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                loc = _table_loc(tuple(error["loc"]))
                message = error_message(dict(error), Settings)
                if _drop(data, loc):
                    dropped = True
                loaded.problems.append(loaded.problem(loc, f"{message}; {_ignored(loc)}"))
            if not dropped:  # pragma: no cover - every error names a key that can be dropped
                loaded.settings = Settings()
                break
    loaded.problems.sort(key=lambda p: (p.line, p.col))
    return loaded


def _plain(value: Any) -> Any:
    """A copy of the parsed TOML that can be pruned."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _table_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The key to leave out for an error at ``loc``: one binding's keys as a whole, else the
    key itself (a dict key's own error, ``[key]``, names the key)."""
    loc = tuple(part for part in loc if part != "[key]")
    if loc[:1] == ("keys",):
        return loc[:2]
    while loc and isinstance(loc[-1], int):
        loc = loc[:-1]
    return loc


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> bool:
    table: Any = data
    for part in loc[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if isinstance(table, dict) and loc and loc[-1] in table:
        del table[loc[-1]]
        return True
    return False


def _ignored(loc: tuple[str | int, ...]) -> str:
    if loc[:1] == ("keys",):
        return "ignored: the binding keeps its own keys"
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        annotation = (
            model.model_fields[str(part)].annotation if part in model.model_fields else None
        )
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "ignored"
        model = annotation
    name = str(loc[-1]) if loc else ""
    if name not in model.model_fields:
        return "ignored"
    default = model.model_fields[name].get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return "ignored: the whole table takes its defaults"
    if default is None:
        return "ignored: using the default"
    return f"ignored: using the default, {_toml_value(default)}"


def _toml_value(value: Any) -> str:
    return tomli_w.dumps({"v": value}).removeprefix("v = ").strip()


# -- texts made from the model ----------------------------------------------------------------


@dataclass(frozen=True)
class BindingInfo:
    """One binding id, as the UI declares it, for the texts below."""

    id: str
    keys: tuple[str, ...]
    description: str
    place: str


def settings_toml(
    loaded: LoadedSettings,
    bindings: Sequence[BindingInfo] = (),
    *,
    record_in_use: tuple[Path, str] | None = None,
) -> str:
    """The settings in force, as TOML, with the defaults filled in: what ``config show``
    prints. Every binding id is listed under ``[keys]``: those remapped as values, the others
    as comments with their own keys."""
    settings = loaded.settings
    config = loaded.config
    where = "read from" if config.exists else "not found; these are the defaults:"
    lines = [f"# Settings {where} {config.path}"]
    if loaded.problems:
        lines.append(f"# {len(loaded.problems)} setting(s) ignored: see the messages above.")
    data = settings.model_dump(mode="python", exclude={"keys"}, exclude_none=True)
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    lines.append("")
    if settings.record is None:
        lines.append("# record: not set")
    if record_in_use is not None:
        path, source = record_in_use
        lines.append(f"# the record in use: {path} ({source})")
    lines.append(tomli_w.dumps(top).rstrip())
    for name, value in data.items():
        if isinstance(value, dict):
            lines += ["", tomli_w.dumps({name: value}).rstrip()]
    lines += ["", "[keys]"]
    lines += _key_lines(settings.keymap(), bindings, commented_defaults=True)
    return "\n".join(lines) + "\n"


def _key_lines(
    keymap: Mapping[str, str], bindings: Sequence[BindingInfo], *, commented_defaults: bool
) -> list[str]:
    out: list[str] = []
    known = {b.id for b in bindings}
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            out.append(f"{_toml_key_value(binding_id, keys.split(','))}  # not a binding id")
    place = None
    for binding in bindings:
        if binding.place != place:
            place = binding.place
            out.append(f"# -- {place}")
        about = f"  # {binding.description}" if binding.description else ""
        if binding.id in keymap:
            out.append(_toml_key_value(binding.id, keymap[binding.id].split(",")) + about)
        elif commented_defaults:
            out.append("# " + _toml_key_value(binding.id, list(binding.keys)) + about)
    return out


def _toml_key_value(binding_id: str, keys: Sequence[str]) -> str:
    # JSON strings of these plain names are TOML strings too; a list stays on one line.
    value = ", ".join(json.dumps(k) for k in keys)
    return f"{json.dumps(binding_id)} = {value if len(keys) == 1 else f'[{value}]'}"


def settings_template(bindings: Sequence[BindingInfo] = ()) -> str:
    """A new settings file: every setting described and commented out (so the defaults apply
    until a line is switched on), and every binding id listed under ``[keys]``."""
    lines = [
        f"#:schema ./{SCHEMA_FILE_NAME}",
        "# protocolrunner settings for this computer. A line starting with # is a comment:",
        "# remove the # to use a setting. --record and $PROTOCOLRUNNER_RECORD win over this",
        "# file; the file wins over the defaults. Check it with: protocolrunner config show",
        "",
    ]
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            lines += _comment(info.description or "")
            lines.append(f"[{name}]")
            for sub, sub_info in annotation.model_fields.items():
                lines += _comment(sub_info.description or "")
                lines.append(f"# {sub} = {_toml_value(sub_info.get_default())}")
            lines.append("")
        elif name == "keys":
            continue
        else:
            lines += _comment(info.description or "")
            default = info.get_default(call_default_factory=True)
            shown = "~/cop/record" if default is None else default
            lines += [f"# {name} = {_toml_value(shown)}", ""]
    lines += _comment(Settings.model_fields["keys"].description or "")
    lines += [
        "# A clicker that sends the arrow keys, for example:",
        '#   "run.next-page" = ["pagedown", "right"]',
        '#   "run.back-page" = ["pageup", "left"]',
        "# Every binding id, with its own keys:",
        "[keys]",
    ]
    lines += _key_lines({}, bindings, commented_defaults=True)
    return "\n".join(lines) + "\n"


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, 96)]


def settings_json_schema(bindings: Sequence[BindingInfo] = ()) -> dict[str, Any]:
    """The JSON Schema of the settings file, for editors; with ``bindings`` the ``[keys]``
    table offers every binding id (and no other)."""
    schema = Settings.model_json_schema(mode="validation")
    key = {"type": "string", "pattern": r"^[^\s,]+$", "maxLength": 40}
    keys = {
        "anyOf": [
            key,
            {"type": "array", "items": key, "minItems": 1, "maxItems": MAX_KEYS_PER_BINDING},
        ]
    }
    table: dict[str, Any] = {
        "type": "object",
        "description": schema["properties"]["keys"].get("description", ""),
        "additionalProperties": keys,
    }
    if bindings:
        table["properties"] = {
            b.id: {
                **keys,
                "description": f"{b.description} ({b.place}; default: {', '.join(b.keys)})",
            }
            for b in bindings
        }
        table["additionalProperties"] = False
    schema["properties"]["keys"] = table
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def settings_schema_text(bindings: Sequence[BindingInfo] = ()) -> str:
    return json.dumps(settings_json_schema(bindings), indent=2, ensure_ascii=False) + "\n"
