"""Where protocolrunner keeps things on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "protocolrunner"
RECORD_ENV = "PROTOCOLRUNNER_RECORD"

_PACKAGE = Path(__file__).resolve().parents[2]


def bundled_protocols_dir() -> Path:
    """The protocols shipped with protocolrunner.

    An installed wheel carries them inside the package (``_bundled``); a source checkout or an
    editable install reads the top-level ``protocols/`` folder directly.
    """
    inside = _PACKAGE / "_bundled"
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / "protocols"


def user_protocols_dir() -> Path:
    """The user's own protocols: ``<config dir>/protocolrunner/protocols``."""
    return platformdirs.user_config_path(APP_NAME) / "protocols"


def default_record_dir() -> Path:
    """The community record: ``$PROTOCOLRUNNER_RECORD`` or ``<data dir>/protocolrunner/record``."""
    chosen = os.environ.get(RECORD_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return data_record_dir()


def data_record_dir() -> Path:
    """The record when nobody chose one: ``<data dir>/protocolrunner/record``."""
    return platformdirs.user_data_path(APP_NAME) / "record"


def state_dir() -> Path:
    """Machine-local state (session journals): never inside a shared record."""
    return platformdirs.user_state_path(APP_NAME)


def cache_dir() -> Path:
    """Derived data that can be rebuilt (the search index)."""
    return platformdirs.user_cache_path(APP_NAME)
