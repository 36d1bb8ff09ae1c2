"""The facilitator's settings file and what the app remembers between runs: where they are kept,
and the few quick reads start-up needs before the models are imported.

The settings file (``config.toml``) is the user's own: protocolrunner reads it and never writes
into it, so every comment and every blank line the user typed stays. What the app remembers by
itself (the theme last picked in the command palette) goes to a small file of its own in the
state folder instead. The full check of the settings, with pydantic, is in ``settings``; this
module stays light, so the command line and the app's first frame need not wait for pydantic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from ..base.atomic import write_atomic
from ..base.paths import APP_NAME, RECORD_ENV, data_record_dir, state_dir
from ..base.problems import FileProblems, Problem, read_toml

CONFIG_ENV = "PROTOCOLRUNNER_CONFIG"
"""An environment variable naming another settings file (to try settings, or for a kiosk)."""
CONFIG_FILE_NAME = "config.toml"
SCHEMA_FILE_NAME = "config.schema.json"
REMEMBERED_FILE_NAME = "remembered.toml"

THEMES = {"dark": "textual-dark", "light": "textual-light", "projector": "projector"}
"""The themes a facilitator can choose, by the name settings use, and Textual's name for each.
``projector`` is protocolrunner's own high-contrast theme."""
DEFAULT_THEME = "dark"
DEFAULT_PROJECTOR_THEME = "projector"

MAX_CONFIG_BYTES = 64 * 1024
"""A settings file is a few hundred bytes; anything larger is not one."""


def config_path() -> Path:
    """The settings file: ``$PROTOCOLRUNNER_CONFIG``, else ``config.toml`` in
    ``<config dir>/protocolrunner``."""
    chosen = os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILE_NAME


def remembered_path() -> Path:
    """What the app remembers between runs, in the machine's state folder."""
    return state_dir() / REMEMBERED_FILE_NAME


@dataclass
class ConfigText:
    """The settings file as read, before its keys are checked."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    exists: bool = False
    problems: list[Problem] = field(default_factory=list)
    """Why the whole file was ignored (its syntax, its size...), if it was."""


def read_config(path: Path | None = None) -> ConfigText:
    """Read the settings file through the reading gate. A missing file is not a problem (the
    defaults apply); an unreadable or broken one is ignored whole, with the reason."""
    path = path or config_path()
    if not path.exists() and not path.is_symlink():
        return ConfigText(path)
    try:
        data, text = read_toml(path, max_bytes=MAX_CONFIG_BYTES)
    except FileProblems as exc:
        if [p.message for p in exc.problems] == ["is empty"]:
            return ConfigText(path, exists=True)  # made with touch: nothing set yet
        return ConfigText(path, exists=True, problems=[_ignored(p) for p in exc.problems])
    except OSError as exc:  # pragma: no cover - read_toml turns these into problems
        return ConfigText(path, exists=True, problems=[Problem(str(path), str(exc))])
    return ConfigText(path, data, text, exists=True)


def _ignored(problem: Problem) -> Problem:
    return Problem(
        problem.file,
        f"{problem.message}; the whole file is ignored, using the defaults",
        problem.line,
        problem.col,
        problem.key,
    )


# -- the record ---------------------------------------------------------------------------------


def record_problem(value: Any) -> str | None:
    """Why ``value`` cannot name the record folder, or None. The settings model uses the same
    rule."""
    if not isinstance(value, str):
        return f'should be text in quotes, a folder like "~/cop/record" (got {value!r:.40})'
    if not value.strip():
        return (
            'must not be empty (leave it out for the default, or give a folder like "~/cop/record")'
        )
    return None


def resolve_record(value: str, config_file: Path) -> Path:
    """The folder ``value`` names: ``~`` is the home folder, and a relative path starts at the
    settings file's folder (not wherever the command happened to run)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else config_file.parent / path


@dataclass(frozen=True)
class RecordChoice:
    """Which record to open, and who chose it."""

    path: Path
    source: str
    """``--record``, ``$PROTOCOLRUNNER_RECORD``, the settings file's path, or ``default``."""

    @property
    def told(self) -> str:
        """Who chose it, in words."""
        if self.source == "default":
            return "the default, in the data folder"
        return f"from {self.source}"

    @property
    def chosen(self) -> bool:
        """Chosen by someone (so it is never created silently where a typo pointed)."""
        return self.source != "default"


def choose_record(flag: str | None, config: ConfigText | None = None) -> RecordChoice:
    """The record folder, by precedence: ``--record``, ``$PROTOCOLRUNNER_RECORD``, ``record``
    in the settings file, then the data folder. A ``record`` setting that is not a folder name
    is skipped here; the settings check reports it."""
    if flag:
        return RecordChoice(Path(flag).expanduser(), "--record")
    env = os.environ.get(RECORD_ENV)
    if env:
        return RecordChoice(Path(env).expanduser(), f"${RECORD_ENV}")
    if config is None:
        config = read_config()
    value = config.data.get("record")
    if value is not None and record_problem(value) is None:
        return RecordChoice(resolve_record(value, config.path), str(config.path))
    return RecordChoice(data_record_dir(), "default")


def record_setting_problems(config: ConfigText) -> list[Problem]:
    """The settings file's problems that matter to a command that only needs the record: the
    file as a whole, and its ``record`` key."""
    problems = list(config.problems)
    value = config.data.get("record")
    if value is not None:
        message = record_problem(value)
        if message is not None:
            from ..base.tomlpos import key_positions, locate

            line, col = locate(key_positions(config.text), ("record",))
            problems.append(Problem(str(config.path), f"{message}; ignored", line, col, "record"))
    return problems


# -- the theme ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Remembered:
    """What the app remembers between runs: the theme last picked in the command palette, and
    the settings file's theme at that moment."""

    theme: str | None = None
    over: str | None = None
    """The settings file's ``theme`` when the palette's choice was made (None: not set)."""


def read_remembered(path: Path | None = None) -> Remembered:
    """What was remembered; nothing, if the file is missing or not ours to trust (it is only a
    convenience, rewritten at the next choice)."""
    path = path or remembered_path()
    try:
        data, _ = read_toml(path, max_bytes=MAX_CONFIG_BYTES)
    except (FileProblems, OSError):
        return Remembered()
    theme, over = data.get("theme"), data.get("over")
    if theme not in THEMES:
        return Remembered()
    return Remembered(theme, over if over in THEMES else None)


def remember_theme(theme: str, configured: str | None, path: Path | None = None) -> None:
    """Remember ``theme`` (picked in the palette) over the settings file's ``configured`` one.

    Atomic, so a crash never leaves half a file; the settings file itself is never touched."""
    import tomli_w

    path = path or remembered_path()
    data = {"theme": theme} | ({"over": configured} if configured else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Remembered by protocolrunner between runs; safe to delete.\n" + tomli_w.dumps(data)
    write_atomic(path, text)


def choose_theme(configured: str | None, remembered: Remembered) -> str:
    """The theme to start with: the one last picked in the command palette, unless the settings
    file's ``theme`` has changed since (then the file's newer word wins); else the file's, else
    dark."""
    if remembered.theme is not None and remembered.over == configured:
        return remembered.theme
    return configured or DEFAULT_THEME


def configured_theme(config: ConfigText) -> str | None:
    """The settings file's ``theme``, if it names one; a first look for the first frame, before
    the full check (which reports a wrong one)."""
    value = config.data.get("theme")
    return value if isinstance(value, str) and value in THEMES else None
