"""Everything the app works with, gathered once at start-up and handed to the screens.

Gathering it needs no pydantic while nothing changed: the community's name and the protocol
list come from the summary cache (``core.protocol.summaries``). The full community and the protocol
library are built when first asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from ..core.base.paths import APP_NAME
from ..core.base.problems import FileProblems, Problem
from ..core.protocol.library import default_sources, load_library
from ..core.protocol.summaries import SummaryCache
from ..core.record.folder import CommunityInfo, Record
from ..core.record.readonly import ReadOnlyRecord, read_only_requested
from ..core.session.clock import SYSTEM_CLOCK, Clock
from ..core.session.journal import Journal
from ..core.settings.config import Remembered, choose_theme, read_remembered

if TYPE_CHECKING:
    from ..core.protocol.library import Library
    from ..core.protocol.model import WarningRule
    from ..core.record.models import Community
    from ..core.settings.model import LoadedSettings


class AppContext:
    """The app's world: clock, record, protocol library, journal and preferences."""

    def __init__(
        self,
        *,
        clock: Clock,
        record: Record,
        journal: Journal,
        community: CommunityInfo | Community,
        extra_protocols: Sequence[Path] = (),
        cache: SummaryCache | None = None,
        problems: list[Problem] | None = None,
        community_broken: bool = False,
    ) -> None:
        self.clock = clock
        self.record = record
        self.journal = journal
        self.problems: list[Problem] = problems if problems is not None else []
        """What could not be read, apart from the library's files (``library.problems``)."""
        self.export_dir: Path = platformdirs.user_documents_path() / APP_NAME
        self.bell = True
        self._settings: LoadedSettings | None = None
        self.setting_problems: list[Problem] = []
        """What the settings file got wrong (and was ignored), its keys included."""
        self.keymap: dict[str, str] = {}
        """The checked ``[keys]``, for ``App.set_keymap``."""
        self.remembered = Remembered()
        self._extra_protocols = list(extra_protocols)
        self._cache = cache
        self._library: Library | None = None
        self._community: Community | None = None
        self._info: CommunityInfo
        self.community_broken = community_broken
        """Whether ``community.toml`` could not be read at start-up."""
        if isinstance(community, CommunityInfo):
            self._info = community
        else:
            self.community = community
        self._lock = threading.RLock()

    @property
    def library(self) -> Library:
        """The protocol library, loaded on first use (the app loads it in a thread); the files
        it skipped are in its own ``problems``."""
        if self._library is None:
            with self._lock:
                if self._library is None:
                    library = load_library(
                        default_sources(self.record.root, self._extra_protocols), self._cache
                    )
                    self._library = library
        return self._library

    @property
    def library_loaded(self) -> bool:
        return self._library is not None

    @property
    def community_info(self) -> CommunityInfo:
        """The community's name, purpose and members' names, without building its model."""
        return self._info

    @property
    def community(self) -> Community:
        """``community.toml``, read whole on first use (its problems were told at start-up,
        from ``community_info``); the record's folder name stands in for a broken one."""
        if self._community is None:
            with self._lock:
                if self._community is None:
                    self.community = self._load_community()
        assert self._community is not None
        return self._community

    @community.setter
    def community(self, community: Community) -> None:
        self._community = community
        self._info = CommunityInfo.of(community)

    def _load_community(self) -> Community:
        try:
            return self.record.load_community()
        except FileProblems:
            pass
        from ..core.record.models import Community

        # Broken since start-up (a merge, an editor): what this computer last read whole.
        last = None if self.community_broken else self.record.last_good_community()
        return last or Community(name=self._info.name)

    @property
    def settings(self) -> LoadedSettings:
        """The facilitator's settings (the defaults, made when first asked for, if none were
        given)."""
        if self._settings is None:
            from ..core.settings.config import ConfigText, config_path
            from ..core.settings.model import LoadedSettings, Settings

            self._settings = LoadedSettings(Settings(), ConfigText(config_path()))
        return self._settings

    @settings.setter
    def settings(self, settings: LoadedSettings) -> None:
        self._settings = settings

    @property
    def warning(self) -> WarningRule:
        return self.settings.settings.warning.rule()

    @property
    def configured_theme(self) -> str | None:
        """The settings file's theme, if it set one."""
        if self._settings is None:
            return None  # no settings file: the defaults set no theme
        settings = self.settings.settings
        return settings.theme if "theme" in settings.model_fields_set else None

    @property
    def theme(self) -> str:
        """The theme to use outside projector mode (see ``choose_theme``)."""
        return choose_theme(self.configured_theme, self.remembered)


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
    """Open (or on first use create) the record, read the community's name and open the
    journal; the library is loaded when first used. ``settings`` are the facilitator's (the
    defaults if not given); their ``[keys]`` are checked against the app's bindings here, off
    the UI thread when the command line loads."""
    if read_only_requested():
        record: Record = ReadOnlyRecord.open(record_dir, create=False)
    else:
        record = Record.open(record_dir, create=create_record)
    cache = SummaryCache()
    problems: list[Problem] = []
    try:
        info = record.community_info(cache)
    except FileProblems as exc:
        problems.extend(exc.problems)
        info = CommunityInfo(record.root.name or "Community", "", ())
    cache.save()
    context = AppContext(
        clock=clock,
        record=record,
        journal=Journal(journal_dir, clock=clock),
        community=info,
        extra_protocols=extra_protocols,
        cache=cache,
        problems=problems,
        community_broken=bool(problems),
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
