"""The protocol library: protocol files gathered from every source, later sources winning.

Showing the library needs only each protocol's outline (``core.protocol.describe.ProtocolOutline``).
Outlines of files validated before come from the summary cache (``core.protocol.summaries``), so
listing the library imports no pydantic while no protocol file changed; an entry's full model is
built from the bytes read at load, when a protocol is set up or shown.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..base import paths
from ..base.problems import FileProblems, Problem, decode_toml, parse_toml, read_regular
from .describe import ProtocolOutline
from .summaries import SummaryCache, problems_from_json, problems_json

if TYPE_CHECKING:
    from .model import Protocol

BUNDLED, USER, COMMUNITY, EXTRA = "bundled", "user", "community", "--protocols"


@dataclass(frozen=True, slots=True)
class Source:
    """A folder protocols come from. ``kind`` is one of bundled, user, community, --protocols."""

    kind: str
    path: Path


_BUILDING = threading.Lock()


class LibraryEntry:
    """A valid protocol, where it was found, and which earlier definitions it overrides.

    ``outline`` is what the library shows; ``protocol``, the full model, is built on first use
    from the bytes read when the library was loaded (so it is the file as the outline and
    ``sha256`` describe it, whatever happened to the file since).
    """

    __slots__ = ("_protocol", "_raw", "outline", "overrides", "path", "sha256", "source")

    def __init__(
        self,
        outline: ProtocolOutline,
        path: Path,
        source: Source,
        sha256: str,
        overrides: tuple[LibraryEntry, ...] = (),
        *,
        protocol: Protocol | None = None,
        raw: bytes | None = None,
    ) -> None:
        if protocol is None and raw is None:
            raise ValueError("an entry needs its protocol or the bytes of its file")
        self.outline = outline
        self.path = path
        self.source = source
        self.sha256 = sha256
        self.overrides = overrides
        self._protocol = protocol
        self._raw = raw

    @property
    def id(self) -> str:
        return self.outline.id

    @property
    def protocol(self) -> Protocol:
        """The validated model (``FileProblems`` only if the cached outline was wrong about the
        file, which its key makes all but impossible)."""
        if self._protocol is None:
            with _BUILDING:
                if self._protocol is None:
                    assert self._raw is not None
                    self._protocol = _validated(self._raw, str(self.path))
        return self._protocol

    def overriding(self, earlier: LibraryEntry) -> LibraryEntry:
        """This entry, replacing ``earlier`` (and what ``earlier`` replaced)."""
        return LibraryEntry(
            self.outline,
            self.path,
            self.source,
            self.sha256,
            (*earlier.overrides, earlier),
            protocol=self._protocol,
            raw=self._raw,
        )

    def __repr__(self) -> str:
        return f"LibraryEntry({self.id!r}, {str(self.path)!r}, {self.source.kind!r})"


def _validated(raw: bytes, name: str) -> Protocol:
    from .model import Protocol
    from .validation import validate_document

    text = decode_toml(raw, name)
    return validate_document(Protocol, parse_toml(text, name), text, name)


def _digest(raw: bytes, name: str) -> str:
    # The text's digest, as sessions record it: without a leading byte-order mark.
    return hashlib.sha256(decode_toml(raw, name).encode("utf-8")).hexdigest()


def load_protocol_file(path: Path, source: Source | None = None) -> LibraryEntry:
    """Read and validate one protocol file, or raise ``FileProblems``."""
    return _entry(path, source or Source(EXTRA, path.parent), None)


def _entry(path: Path, source: Source, cache: SummaryCache | None) -> LibraryEntry:
    """One protocol file as an entry: its outline from ``cache`` when the file is as it was
    when last validated, else validated now (and the outcome kept in ``cache``)."""
    from .describe import outline

    name = str(path)
    raw = read_regular(path, name)
    key = None
    if cache is not None:
        with_stat = _stat(path)
        key = SummaryCache.key(raw, with_stat) if with_stat is not None else None
        kept = cache.get(name, key) if key is not None else None
        if kept is not None:
            try:
                return _kept_entry(kept, raw, path, source)
            except ValueError:
                pass  # a damaged summary: validate the file again
    try:
        protocol = _validated(raw, name)
    except FileProblems as exc:
        if cache is not None and key is not None:
            cache.put(name, key, {"problems": problems_json(exc.problems)})
        raise
    entry = LibraryEntry(outline(protocol), path, source, _digest(raw, name), protocol=protocol)
    if cache is not None and key is not None:
        cache.put(name, key, {"outline": entry.outline.to_json(), "sha256": entry.sha256})
    return entry


def _kept_entry(kept: object, raw: bytes, path: Path, source: Source) -> LibraryEntry:
    """The entry a cached summary describes, or ``FileProblems`` as kept; ``ValueError`` if
    the summary is not one this module wrote."""
    if not isinstance(kept, dict):
        raise ValueError("not a summary")
    if "problems" in kept:
        raise FileProblems(problems_from_json(kept["problems"]))
    sha256 = kept.get("sha256")
    if not isinstance(sha256, str):
        raise ValueError("not a summary")
    outline = ProtocolOutline.from_json(kept.get("outline"))
    return LibraryEntry(outline, path, source, sha256, raw=raw)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


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
        return iter(sorted(self.entries.values(), key=lambda e: (e.outline.title.lower(), e.id)))

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

    def add_source(self, source: Source, cache: SummaryCache | None = None) -> None:
        self.sources.append(source)
        if not source.path.is_dir():
            return
        seen_here: dict[str, Path] = {}
        for path in protocol_files(source.path):
            try:
                entry = _entry(path, source, cache)
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
                entry = entry.overriding(earlier)
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


def load_library(sources: Iterable[Source], cache: SummaryCache | None = None) -> Library:
    """Every protocol of ``sources``, each file's outline from ``cache`` (by default the user's
    summary cache) when the file has not changed since it was last validated."""
    cache = cache or SummaryCache()
    library = Library()
    for source in sources:
        library.add_source(source, cache)
    cache.save()
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
