"""Everything the app works with, gathered once at start-up and handed to the screens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from ..core.clock import SYSTEM_CLOCK, Clock
from ..core.journal import Journal
from ..core.library import Library, default_sources, load_library
from ..core.models import Community
from ..core.paths import APP_NAME
from ..core.problems import FileProblems, Problem
from ..core.readonly import ReadOnlyRecord, read_only_requested
from ..core.record import Record


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
) -> AppContext:
    """Open (or on first use create) the record and load the library and the journal."""
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
    return context
