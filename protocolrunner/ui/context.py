"""Everything the app works with, gathered once at start-up and handed to the screens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from ..core.clock import SYSTEM_CLOCK, Clock
from ..core.config import ConfigText, Remembered, choose_theme, config_path, read_remembered
from ..core.journal import Journal
from ..core.library import Library, default_sources, load_library
from ..core.models import Community
from ..core.paths import APP_NAME
from ..core.problems import FileProblems, Problem
from ..core.protocol import WarningRule
from ..core.readonly import ReadOnlyRecord, read_only_requested
from ..core.record import Record
from ..core.settings import LoadedSettings, Settings


@dataclass
class AppContext:
    """The app's world: clock, record, protocol library, journal and preferences."""

    clock: Clock
    record: Record
    library: Library
    journal: Journal
    community: Community
    problems: list[Problem] = field(default_factory=list)
    export_dir: Path = field(default_factory=lambda: platformdirs.user_documents_path() / APP_NAME)
    bell: bool = True
    settings: LoadedSettings = field(
        default_factory=lambda: LoadedSettings(Settings(), ConfigText(config_path()))
    )
    setting_problems: list[Problem] = field(default_factory=list)
    """What the settings file got wrong (and was ignored), its keys included."""
    keymap: dict[str, str] = field(default_factory=dict)
    """The checked ``[keys]``, for ``App.set_keymap``."""
    remembered: Remembered = field(default_factory=Remembered)

    @property
    def warning(self) -> WarningRule:
        return self.settings.settings.warning.rule()

    @property
    def configured_theme(self) -> str | None:
        """The settings file's theme, if it set one."""
        settings = self.settings.settings
        return settings.theme if "theme" in settings.model_fields_set else None

    @property
    def theme(self) -> str:
        """The theme to use outside projector mode (see ``choose_theme``)."""
        return choose_theme(self.configured_theme, self.remembered)

    def reload_community(self) -> None:
        try:
            self.community = self.record.load_community()
        except FileProblems as exc:
            self.problems.extend(exc.problems)


def build_context(
    record_dir: Path,
    *,
    extra_protocols: Sequence[Path] = (),
    clock: Clock = SYSTEM_CLOCK,
    journal_dir: Path | None = None,
    export_dir: Path | None = None,
    create_record: bool = True,
    settings: LoadedSettings | None = None,
    remembered: Remembered | None = None,
) -> AppContext:
    """Open (or on first use create) the record and load the library and the journal.

    ``settings`` are the facilitator's (the defaults if not given); their ``[keys]`` are
    checked against the app's bindings here, off the UI thread when the command line loads."""
    if read_only_requested():
        record: Record = ReadOnlyRecord.open(record_dir, create=False)
    else:
        record = Record.open(record_dir, create=create_record)
    library = load_library(default_sources(record.root, extra_protocols))
    problems = list(library.problems)
    try:
        community = record.load_community()
    except FileProblems as exc:
        problems.extend(exc.problems)
        community = Community(name=record.root.name or "Community")
    context = AppContext(
        clock=clock,
        record=record,
        library=library,
        journal=Journal(journal_dir, clock=clock),
        community=community,
        problems=problems,
    )
    if export_dir is not None:
        context.export_dir = export_dir
    if settings is not None:
        from .keymap import build_keymap, catalogue

        context.settings = settings
        context.bell = settings.settings.bell
        context.setting_problems = list(settings.problems)
        if settings.settings.keys:
            cat = catalogue()
            keymap = build_keymap(settings, cat)
            context.keymap = keymap.for_textual(cat)
            context.setting_problems = sorted(
                [*context.setting_problems, *keymap.problems], key=lambda p: (p.line, p.col)
            )
    context.remembered = remembered if remembered is not None else read_remembered()
    return context
