"""The protocol library: protocol files gathered from every source, later sources winning."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .problems import FileProblems, Problem, read_toml
from .protocol import Protocol
from .validation import validate_document

BUNDLED, USER, COMMUNITY, EXTRA = "bundled", "user", "community", "--protocols"


@dataclass(frozen=True, slots=True)
class Source:
    """A folder protocols come from. ``kind`` is one of bundled, user, community, --protocols."""

    kind: str
    path: Path


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """A valid protocol, where it was found, and which earlier definitions it overrides."""

    protocol: Protocol
    path: Path
    source: Source
    sha256: str
    overrides: tuple[LibraryEntry, ...] = ()

    @property
    def id(self) -> str:
        return self.protocol.id


def load_protocol_file(path: Path, source: Source | None = None) -> LibraryEntry:
    """Read and validate one protocol file, or raise ``FileProblems``."""
    data, text = read_toml(path, str(path))
    protocol = validate_document(Protocol, data, text, str(path))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LibraryEntry(protocol, path, source or Source(EXTRA, path.parent), digest)


def protocol_files(folder: Path, recursive: bool = False) -> list[Path]:
    pattern = "**/*.toml" if recursive else "*.toml"
    return sorted(p for p in folder.glob(pattern) if p.is_file() or p.is_symlink())


class ProtocolNotFound(LookupError):
    """No protocol has the id (or file path) asked for."""


@dataclass
class Library:
    """Every valid protocol by id, plus the problems of the files that were skipped."""

    entries: dict[str, LibraryEntry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def __iter__(self) -> Iterator[LibraryEntry]:
        return iter(sorted(self.entries.values(), key=lambda e: (e.protocol.title.lower(), e.id)))

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, protocol_id: str) -> LibraryEntry | None:
        return self.entries.get(protocol_id)

    def resolve(self, ref: str) -> LibraryEntry:
        """Find a protocol by id, or load it from a path.

        Raises ``ProtocolNotFound`` for an unknown id or missing file, ``FileProblems`` for an
        invalid file.
        """
        entry = self.entries.get(ref)
        if entry is not None:
            return entry
        candidate = Path(ref)
        if candidate.suffix == ".toml" or candidate.exists():
            if not candidate.exists():
                raise ProtocolNotFound(f"{ref}: no such file")
            return load_protocol_file(candidate)
        known = ", ".join(sorted(self.entries)) or "none"
        raise ProtocolNotFound(f"no protocol with id '{ref}' (known: {known})")

    def add_source(self, source: Source) -> None:
        self.sources.append(source)
        if not source.path.is_dir():
            return
        seen_here: dict[str, Path] = {}
        for path in protocol_files(source.path):
            try:
                entry = load_protocol_file(path, source)
            except FileProblems as exc:
                self.problems.extend(exc.problems)
                continue
            if entry.id in seen_here:
                self.problems.append(
                    Problem(
                        str(path),
                        f"id '{entry.id}' is already used by {seen_here[entry.id].name} in the "
                        "same folder; this file is skipped",
                        key="id",
                    )
                )
                continue
            seen_here[entry.id] = path
            earlier = self.entries.get(entry.id)
            if earlier is not None:
                entry = LibraryEntry(
                    entry.protocol,
                    entry.path,
                    entry.source,
                    entry.sha256,
                    (*earlier.overrides, earlier),
                )
            self.entries[entry.id] = entry


def default_sources(record_dir: Path | None = None, extra: Sequence[Path] = ()) -> list[Source]:
    """Bundled, then the user's config folder, then the record's, then ``--protocols`` folders."""
    sources = [
        Source(BUNDLED, paths.bundled_protocols_dir()),
        Source(USER, paths.user_protocols_dir()),
    ]
    if record_dir is not None:
        sources.append(Source(COMMUNITY, record_dir / "protocols"))
    sources.extend(Source(EXTRA, Path(folder)) for folder in extra)
    return sources


def load_library(sources: Iterable[Source]) -> Library:
    library = Library()
    for source in sources:
        library.add_source(source)
    return library


def validate_paths(
    targets: Iterable[Path], also: Callable[[LibraryEntry], list[Problem]] | None = None
) -> tuple[int, list[Problem]]:
    """Check protocol files and folders; return (files checked, problems). A folder means the
    ``.toml`` files directly in it, as the library reads a protocols folder: ``validate /``
    must not walk the whole disk.

    ``also`` looks further at each valid file (``validate --strict`` warns of likely mistakes).
    """
    checked = 0
    problems: list[Problem] = []
    for target in targets:
        if target.is_dir():
            files = protocol_files(target)
            if not files:
                problems.append(Problem(str(target), "no .toml files in this folder"))
        elif target.exists() or target.is_symlink():
            files = [target]
        else:
            problems.append(Problem(str(target), "no such file or folder"))
            continue
        for path in files:
            checked += 1
            try:
                entry = load_protocol_file(path)
            except FileProblems as exc:
                problems.extend(exc.problems)
                continue
            if also is not None:
                problems.extend(also(entry))
    return checked, problems
