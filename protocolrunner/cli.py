"""The ``protocolrunner`` command line.

Commands that do not show the app never import Textual, so they start instantly; the app is
imported inside the commands that open it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from .core.base.problems import FileProblems, Problem
from .core.base.text import visible

if TYPE_CHECKING:
    from .core.record.followthrough import State

PROG = "protocolrunner"


class CliError(Exception):
    """A one-line error for the user; ``status`` is the exit code."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# -- output ------------------------------------------------------------------------------------
#
# Everything the command line prints passes through ``_write``: notes, names, titles, file names
# and problem messages come from files and people, and a control character in them (an ESC that
# starts a terminal escape sequence, a BEL, a C1 control) is shown as an escape like ``\x1b``
# (``core.base.text.visible``), never sent to the terminal. JSON is written with those characters as
# ``\u`` escapes instead: the same JSON value, still exact JSON.

_JSON_RAW = re.compile(r"[\x7f-\x9f]")
"""What ``json.dumps(..., ensure_ascii=False)`` leaves raw that a terminal may act on: DEL and
the C1 controls (it escapes the C0 ones itself)."""


def _write(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(visible(text))


def _say(text: str = "", stream: TextIO | None = None) -> None:
    """One line (or more) of output, on ``stream`` (stdout by default)."""
    _write(text + "\n", stream)


def _warn(text: str) -> None:
    _say(text, sys.stderr)


def _json_safe(text: str) -> str:
    """JSON text with DEL and C1 controls as ``\\u`` escapes. Outside strings JSON text is
    ASCII, so these only occur inside strings, where the escape stands for the same character."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _say_json(value: Any) -> None:
    _say(_json_safe(json.dumps(value, indent=2, ensure_ascii=False)))


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before an error; one line is kinder on a projector
    # and in scripts, and --help is one flag away.
    def error(self, message: str) -> NoReturn:
        self.exit(2, visible(f"{self.prog}: error: {message} (see '{self.prog} --help')\n"))


def _print_problems(problems: Sequence[Problem], stream: TextIO | None = None) -> None:
    for problem in problems:
        _say(str(problem), stream or sys.stderr)


# -- shared loading ---------------------------------------------------------------------------


def _record_choice(args: argparse.Namespace):
    """Which record, and who chose it: ``--record``, ``$PROTOCOLRUNNER_RECORD``, the settings
    file's ``record``, or the default (``core.settings.config.choose_record``). A broken ``record``
    setting is said once on the error output."""
    from .core.settings.config import choose_record, read_config, record_setting_problems

    choice = getattr(args, "_record_choice", None)
    if choice is None:
        config = None if args.record else read_config()
        choice = choose_record(args.record, config)
        if config is not None and choice.source in ("default", str(config.path)):
            for problem in record_setting_problems(config):
                _warn(f"{PROG}: settings: {problem}")
        args._record_choice = choice
    return choice


def _record_dir(args: argparse.Namespace) -> Path:
    return _record_choice(args).path


def _library(args: argparse.Namespace, quiet: bool = False):
    from .core.protocol.library import default_sources, load_library

    library = load_library(default_sources(_record_dir(args), [Path(p) for p in args.protocols]))
    if library.problems and not quiet:
        for problem in library.problems:
            _warn(f"skipped: {problem}")
    return library


def _resolve(library, ref: str):
    """The library's entry for ``ref`` (an id or a file); an unknown one is a one-line error."""
    from .core.protocol.library import ProtocolNotFound

    try:
        return library.resolve(ref)
    except ProtocolNotFound as exc:
        raise CliError(str(exc.args[0])) from exc


def _source_label(entry) -> str:
    label = f"{entry.source.kind}: {entry.path}"
    if entry.overrides:
        label += " (overrides " + ", ".join(e.source.kind for e in entry.overrides) + ")"
    return label


# -- protocol commands --------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    # From the outlines alone: with no protocol file changed, no pydantic is imported.
    library = _library(args)
    if args.json:
        rows = [
            {
                "id": entry.id,
                "title": entry.outline.title,
                "version": entry.outline.version,
                "summary": entry.outline.summary,
                "minutes": entry.outline.seconds / 60,
                "steps": len(entry.outline.steps),
                "source": entry.source.kind,
                "path": str(entry.path),
                "sha256": entry.sha256,
                "overrides": [
                    {"source": e.source.kind, "path": str(e.path)} for e in entry.overrides
                ],
            }
            for entry in library
        ]
        _say_json(rows)
        return 0
    if not len(library):
        _say("No protocols found.")
        return 0
    width = max(len(entry.id) for entry in library)
    for entry in library:
        p = entry.outline
        _say(f"{entry.id:<{width}}  {p.title} ({p.minutes})")
        _say(f"{'':<{width}}  {p.summary}")
        _say(f"{'':<{width}}  {_source_label(entry)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .core.protocol.describe import describe_protocol

    entry = _resolve(_library(args, quiet=True), args.protocol)
    _write(describe_protocol(entry.protocol, source=_source_label(entry)))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .core.protocol.library import load_protocol_file
    from .core.protocol.model import SLUG_PATTERN
    from .core.protocol.scaffold import copy_of, starter, write_new

    if not re.fullmatch(SLUG_PATTERN, args.id) or len(args.id) > 64:
        raise CliError(
            f"'{args.id}' is not a protocol id: use lowercase letters, digits and dashes, "
            "like our-consultancy"
        )
    library = _library(args, quiet=True)
    protocol = copy_of(_resolve(library, args.start).protocol, args.id) if args.start else None
    if args.output:
        path = Path(args.output).expanduser()
        if path.is_dir():
            path = path / f"{args.id}.toml"
    else:
        path = _open_record(args).protocols_dir / f"{args.id}.toml"
    try:
        write_new(path, protocol or starter(args.id))
    except FileExistsError:
        raise CliError(f"{path} already exists; choose another id or -o PATH") from None
    load_protocol_file(path)  # valid as written, or this raises like any bad file
    _say(f"Wrote {path}")
    if args.id in library.entries:
        where = library.entries[args.id].source.kind
        _say(f"Note: it replaces the {where} protocol with the same id in the library.")
    _say(f"Check it:   {PROG} validate --strict {path}")
    _say(f"Preview it: {PROG} preview {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .core.protocol.library import protocol_files, validate_paths

    also = None
    if args.strict:
        from .core.protocol.lint import lint_entry

        also = lint_entry
    checked, problems = 0, []
    for target in map(Path, args.paths):
        # A folder is read as the library reads one: the .toml files in it, not in its
        # subfolders. So 'validate /' looks at the files in / and is done, where a walk of
        # every folder below ran on with no end.
        if target.is_dir():
            files = protocol_files(target)
            if not files:
                problems.append(Problem(str(target), "no .toml files in this folder"))
                continue
        else:
            files = [target]
        count, found = validate_paths(files, also)
        checked += count
        problems += found
    _print_problems(problems, sys.stdout)
    bad = len({p.file for p in problems})
    if problems:
        what = "problems or warnings" if args.strict else "problems"
        _warn(f"{bad} of {max(checked, bad)} file(s) have {what}")
        return 1
    _warn(f"{checked} file(s) valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .core.protocol.schema import protocol_schema_text

    _write(protocol_schema_text())
    return 0


# -- record commands ---------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-10-03") from None


LIMIT_RANGE = (1, 100_000)
"""--limit: how many sessions a listing or a search prints at most."""
DEMO_SESSIONS_RANGE = (0, 10_000)
"""demo --sessions: a demo record of 10,000 sessions is already the largest a benchmark needs."""
DEMO_SEED_RANGE = (0, 1_000_000)


def _whole(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` to ``maximum``."""
    bounds = f"(from {minimum:,} to {maximum:,})"

    def whole(text: str) -> int:
        shown = text if len(text) <= 24 else text[:20] + "…"
        try:
            number = int(text)
        except ValueError:  # also a number of more digits than Python converts
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(
                f"'{shown}' is not a whole number of {minimum} or more {bounds}"
            )
        if number > maximum:
            raise argparse.ArgumentTypeError(f"'{shown}' is more than {maximum:,} {bounds}")
        return number

    return whole


def _given(text: str) -> str:
    """An argparse type for a folder, a file, an id or a name: anything but nothing. An empty
    ``--record ""`` would otherwise mean the default record, and an empty path the current
    folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _open_record(args: argparse.Namespace):
    from .core.record.folder import Record, RecordError

    choice = _record_choice(args)
    root = choice.path
    # Only the default location is created on first use: a mistyped --record should not
    # silently make an empty record somewhere.
    try:
        return Record.open(root, create=not choice.chosen)
    except RecordError as exc:
        raise CliError(f"{exc}; create one with '{PROG} record init {root}'") from None


def _index(args: argparse.Namespace):
    from .core.record.index import LONG_REFRESH, IndexBusy, SessionIndex

    def tell(done: int, total: int) -> None:
        if done == 0 and total >= LONG_REFRESH:
            _warn(f"Reading {total:,} session files into the search index…")

    record = _open_record(args)
    index = SessionIndex(record)
    try:
        stats = index.refresh(progress=tell)
    except IndexBusy as exc:
        raise CliError(str(exc)) from None
    if stats.warning:
        _warn(f"warning: {stats.warning}")
    for problem in stats.problems:
        _warn(f"skipped: {problem}")
    if stats.problems:
        count, skipped = index.count(), len({p.file for p in stats.problems})
        _warn(
            f"{count:,} session{'s' if count != 1 else ''}, "
            f"{skipped:,} file{'s' if skipped != 1 else ''} skipped"
        )
    return record, index


def _session_filter(args: argparse.Namespace, text: str = ""):
    """The sessions the filter options (``--protocol``, ``--member``...) and ``text`` select."""
    from .core.record.index import SessionFilter

    return SessionFilter(
        text=text,
        protocol=args.protocol,
        member=args.member,
        role=args.role,
        since=args.since,
        until=args.until,
    )


def _row_json(row) -> dict:
    from .core.record.index import MARK_END, MARK_START

    return {
        "id": row.id,
        "path": row.path_text,
        "started": row.started_text,
        "protocol": row.protocol_id,
        "title": row.protocol_title,
        "presenters": row.presenters,
        "focus": row.focus,
        "planned_seconds": row.planned,
        "actual_seconds": row.actual,
        "status": row.status,
        "attendees": row.attendees,
        **(
            {"snippet": row.snippet.replace(MARK_START, "").replace(MARK_END, "")}
            if row.snippet
            else {}
        ),
    }


def _print_rows(rows, as_json: bool) -> None:
    from .core.base.durations import format_duration
    from .core.record.index import MARK_END, MARK_START

    if as_json:
        _say_json([_row_json(r) for r in rows])
        return
    for row in rows:
        # Made visible before the columns are cut, so that an escape keeps them aligned.
        focus = " ".join(visible(row.focus).split())
        title, presenters = visible(row.protocol_title), visible(row.presenters or "-")
        _say(
            f"{visible(row.id)}  {row.day}  {title:<24.24}  "
            f"{presenters:<16.16}  {format_duration(row.actual):>7}  {focus}"
        )
        if row.snippet:
            marked = row.snippet.replace(MARK_START, "«").replace(MARK_END, "»")
            _say(f"          {' '.join(visible(marked).split())}")
    if not rows:
        _warn("No sessions found.")


def cmd_record_init(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from .core.record.folder import Record, RecordError
    from .core.record.models import Community

    root = Path(args.dir).expanduser() if args.dir else _record_dir(args)
    try:
        community = Community(name=args.name)
    except ValidationError as exc:  # one line, not a traceback
        raise CliError(f"--name: {exc.errors()[0]['msg']}", status=2) from None
    try:
        Record.init(root, community)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    _say(f"Created a community record for {args.name!r} in {root}")
    return 0


def cmd_record_list(args: argparse.Namespace) -> int:
    _, index = _index(args)
    with index:
        _print_rows(index.query(_session_filter(args), limit=args.limit), args.json)
    return 0


def cmd_record_search(args: argparse.Namespace) -> int:
    from .core.record.browse import MAX_TERMS
    from .core.record.index import search_words

    wanted = _session_filter(args, " ".join(args.query))
    if not wanted.words:
        raise CliError("give a word to search for", status=2)
    if wanted.too_many_words:
        count = len(search_words(wanted.text))
        raise CliError(
            f"a search takes at most {MAX_TERMS} words (this one has {count:,})", status=2
        )
    _, index = _index(args)
    with index:
        _print_rows(index.query(wanted, limit=args.limit), args.json)
    return 0


def _resolve_sessions(record, index, refs: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for ref in refs:
        candidate = Path(ref)
        if candidate.suffix == ".toml" and candidate.exists():
            found.append(candidate)
            continue
        rows = index.find(ref)
        if not rows:
            raise CliError(f"no session matches '{ref}'")
        if len(rows) > 1:
            more = ", ..." if len(rows) > 5 else ""
            if len({r.id for r in rows}) == 1:
                # Copies of one session (a sync conflict, say): no longer id can tell them apart.
                files = ", ".join(_shown_path(r.path, record.root) for r in rows[:5])
                raise CliError(
                    f"'{ref}' is the id of {len(rows)} session files ({files}{more}); "
                    "give the path of the one you mean"
                )
            ids = ", ".join(r.id for r in rows[:5])
            raise CliError(
                f"'{ref}' matches {len(rows)} sessions ({ids}{more}); give more of the id"
            )
        found.append(rows[0].path)
    return found


def _shown_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def cmd_record_show(args: argparse.Namespace) -> int:
    from .core.export.markdown import session_markdown

    record, index = _index(args)
    with index:
        (path,) = _resolve_sessions(record, index, [args.session])
    _write(session_markdown(record.load_session(path)))
    return 0


def cmd_record_export(args: argparse.Namespace) -> int:
    from .core.base.atomic import write_atomic
    from .core.export.formats import FORMATS, digest_title, render_export
    from .core.export.pdf import PdfFailed, PdfUnavailable

    record, index = _index(args)
    with index:
        if args.sessions:
            paths = _resolve_sessions(record, index, args.sessions)
        else:
            paths = [row.path for row in index.query(_session_filter(args))]
    if not paths:
        raise CliError("no sessions to export")
    binary = FORMATS[args.format].binary
    to_file = bool(args.output and args.output != "-")
    if binary and not to_file and sys.stdout.isatty():
        raise CliError(f"a {FORMATS[args.format].name} is no text for a terminal: give -o FILE")
    sessions = [record.load_session(path) for path in paths]
    try:
        name = record.load_community().name
    except FileProblems:
        name = "Community record"
    try:
        out_text = render_export(args.format, sessions, digest_title(name, len(sessions)))
    except (PdfUnavailable, PdfFailed) as exc:
        raise CliError(str(exc)) from None
    if to_file:
        out = Path(args.output).expanduser()
        write_atomic(out, out_text)  # a file gets the export as it is
        _warn(f"Wrote {len(sessions)} session(s) to {out}")
    elif isinstance(out_text, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(out_text)
    elif args.format == "json":
        _write(_json_safe(out_text))
    else:
        _write(out_text)
    return 0


def cmd_record_publish(args: argparse.Namespace) -> int:
    from .core.export.site import PublishError, publish

    record = _open_record(args)
    out = Path(args.out).expanduser()

    def tell(done: int, total: int) -> None:
        if done == 0 and total >= 1000:
            _warn(f"Reading {total:,} session files…")

    try:
        result = publish(record, out, progress=tell)
    except PublishError as exc:
        raise CliError(str(exc)) from None
    for problem in result.problems:
        _warn(f"skipped: {problem}")
    pages = sum(1 for name in result.written if name.endswith(".html"))
    _say(
        f"Published {result.sessions:,} session(s) to {out}: {pages:,} page(s) written, "
        f"{len(result.removed):,} removed, {result.read:,} session file(s) read."
    )
    _say(f"Open {out / 'index.html'} in a web browser, or copy the folder to any web host.")
    return 0


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def cmd_record_sync(args: argparse.Namespace) -> int:
    from .core.record import sync

    record = _open_record(args)

    def tell(step: str) -> None:
        _warn(_sentence(step).removesuffix(".") + "…")

    try:
        if args.init is not None:
            _say(_sentence(sync.init(record, args.init or None, progress=tell)))
            return 0
        result = sync.sync(record, progress=tell)
    except sync.SyncError as exc:
        raise CliError(str(exc)) from None
    _say(_sentence(result.summary()))
    for conflict in result.conflicts:
        _say(
            f"  changed on both sides: {conflict.get('file')} {conflict.get('key')}: kept "
            f"“{conflict.get('kept')}”; not kept: “{conflict.get('other')}”"
        )
    return 0


def _action_json(item) -> dict:
    return {
        "id": item.ref,
        "text": item.text,
        "owner": item.owner,
        "state": item.state,
        "reviewed": item.reviewed.isoformat() if item.reviewed else None,
        "session": item.session_id,
        "started": item.started.isoformat(),
        "protocol": item.protocol_id,
        "path": str(item.path),
    }


def cmd_record_actions(args: argparse.Namespace) -> int:
    from .core.record.followthrough import load_items

    record = _open_record(args)
    items = load_items(record, closed=not args.open)
    if args.json:
        _say_json([_action_json(item) for item in items])
        return 0
    width = max((len(item.ref) for item in items), default=0)
    for item in items:
        owner = f" ({visible(item.owner)})" if item.owner.strip() else ""
        _say(
            f"{item.ref:<{width}}  {item.state:<7}  {item.started:%Y-%m-%d}  "
            f"{' '.join(visible(item.text).split())}{owner}"
        )
    if not items:
        _warn("No open action items." if args.open else "No action items.")
    return 0


ACTION_STATES: dict[str, State] = {
    "done": "done",
    "carry": "carried",
    "drop": "dropped",
    "reopen": "open",
}


def cmd_record_action(args: argparse.Namespace) -> int:
    import getpass

    from .core.record.folder import RecordError
    from .core.record.followthrough import FollowThroughError, find_item, load_items, mark
    from .core.session.clock import SYSTEM_CLOCK

    record = _open_record(args)
    try:
        item = find_item(load_items(record, closed=True), args.id)
        state = ACTION_STATES[args.state]
        if item.state == state:
            _say(f"{item.ref} is {state} already: {' '.join(visible(item.text).split())}")
            return 0
        mark(record, item, state, SYSTEM_CLOCK.now(), by=args.by or getpass.getuser())
    except (FollowThroughError, RecordError, OSError) as exc:
        raise CliError(str(exc)) from None
    _say(f"{item.ref} is {state} now: {' '.join(visible(item.text).split())}")
    return 0


def cmd_record_members(args: argparse.Namespace) -> int:
    from .core.record.members import load_history, member_histories

    record = _open_record(args)
    community = record.load_community()
    people = member_histories(community.members, load_history(record))
    if args.json:
        _say_json(
            [
                {
                    "name": m.name,
                    "note": m.note,
                    "member": m.listed,
                    "sessions": m.sessions,
                    "roles": m.roles,
                    "last_session": m.last_session.isoformat() if m.last_session else None,
                    "last_presented": m.last_presented.isoformat() if m.last_presented else None,
                }
                for m in people
            ]
        )
        return 0
    for m in people:
        roles = ", ".join(f"{role} {count}" for role, count in sorted(m.roles.items()))
        last = f"last {m.last_session:%Y-%m-%d}" if m.last_session else "no session yet"
        guest = "" if m.listed else "  (not a member: a guest)"
        note = f"  {visible(m.note)}" if m.note else ""
        _say(f"{visible(m.name):<24} {m.sessions:>3} sessions  {last}  {roles}{note}{guest}")
    if not people:
        _warn("No members yet: add one with 'protocolrunner record members add NAME'.")
    return 0


def cmd_record_members_add(args: argparse.Namespace) -> int:
    from .core.record.folder import RecordError
    from .core.record.models import Member

    record = _open_record(args)
    name = " ".join(args.name.split())

    def add(community):
        if name in community.member_names:
            raise CliError(f"{name} is a member already")
        return community.model_copy(
            update={"members": [*community.members, Member(name=name, note=args.note or "")]}
        )

    try:
        record.update_community(add)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    _say(f"Added {name} to {record.community_path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .core.record.demo import write_demo
    from .core.record.folder import RecordError

    root = Path(args.dir).expanduser()
    if root.exists() and any(root.iterdir()):
        raise CliError(f"{root} is not empty; choose a new folder for the demo record")
    try:
        write_demo(root, _library(args), sessions=args.sessions, seed=args.seed)
    except RecordError as exc:
        raise CliError(str(exc)) from None
    _say(f"Wrote a demo record with {args.sessions} sessions to {root}")
    _say(f"Try: {PROG} --record {root}")
    return 0


def _run_app(
    args: argparse.Namespace,
    protocol: str | None = None,
    browse_record: bool = False,
    preview: Path | None = None,
) -> int:
    from .ui.served import is_served

    # Served by textual-serve, the app talks to a browser over pipes, through Textual's web
    # driver: no terminal is needed there.
    if not is_served() and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            "the app needs a terminal; for scripts use 'protocolrunner list', 'show' or 'record'",
            status=2,
        )
    from .core.settings.config import (
        choose_record,
        choose_theme,
        configured_theme,
        read_config,
        read_remembered,
    )
    from .ui.app import ProtocolRunnerApp, StartupError

    # The settings file is read now, for the first frame's theme; it is checked in full (with
    # pydantic, which the first frame must not wait for) while the record loads.
    config = read_config()
    remembered = read_remembered()

    def load():  # runs in a thread while the app shows its first frame
        from .core.record.folder import RecordError
        from .core.settings.model import load_settings
        from .ui.context import build_context

        # No settings file: the defaults, which the context makes only when first asked for,
        # so that opening home needs no pydantic.
        settings = load_settings(config) if config.exists else None
        if preview is not None:  # a rehearsal: nothing it does may touch the real record
            return build_context(
                sandbox / "record",
                journal_dir=sandbox / "journal",
                export_dir=sandbox / "exports",
                settings=settings,
                remembered=remembered,
            )

        choice = choose_record(args.record, config)
        try:
            return build_context(
                choice.path,
                extra_protocols=[Path(p) for p in args.protocols],
                create_record=not choice.chosen,
                settings=settings,
                remembered=remembered,
            )
        except RecordError as exc:
            raise StartupError(
                f"{exc}; create one with '{PROG} record init DIR --name NAME'"
            ) from None
        except OSError as exc:
            where = f" {exc.filename}:" if exc.filename else ""
            raise StartupError(f"{where} {exc.strerror or exc}".strip()) from None

    import contextlib
    import tempfile

    app = ProtocolRunnerApp(
        load=load,
        start_with=protocol,
        browse_record=browse_record,
        preview=preview,
        theme=choose_theme(configured_theme(config), remembered),
    )
    # Only a preview needs a sandbox; it is gone with everything written in it when the app ends.
    with (
        tempfile.TemporaryDirectory(prefix="protocolrunner-preview-")
        if preview is not None
        else contextlib.nullcontext("")
    ) as tmp:
        sandbox = Path(tmp)
        app.run()
    if app.startup_error:
        raise CliError(app.startup_error, status=app.return_code or 1)
    return app.return_code or 0


def cmd_app(args: argparse.Namespace) -> int:
    return _run_app(args)


def cmd_run(args: argparse.Namespace) -> int:
    return _run_app(args, args.protocol)


def cmd_preview(args: argparse.Namespace) -> int:
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    return _run_app(args, preview=path.resolve())


def cmd_record_browse(args: argparse.Namespace) -> int:
    return _run_app(args, browse_record=True)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(args: argparse.Namespace) -> str:
    """The command textual-serve runs for each browser: this protocolrunner on the record
    browser, with the same record and protocol folders."""
    import shlex

    argv = [sys.executable, "-m", "protocolrunner", "--record", str(_record_dir(args))]
    for folder in args.protocols:
        argv += ["--protocols", str(Path(folder).expanduser().resolve())]
    return shlex.join([*argv, "record", "browse"])


def cmd_serve(args: argparse.Namespace) -> int:
    from .core.record.readonly import READ_ONLY_ENV

    try:
        from textual_serve.server import Server
    except ImportError:
        raise CliError(
            'serving the app needs textual-serve: pip install "protocolrunner[serve]"'
        ) from None
    if args.host not in LOOPBACK and not args.open_to_network:
        raise CliError(
            f"--host {args.host} lets other computers in, and textual-serve has no login: "
            "add --open-to-network if that is what you want",
            status=2,
        )
    _open_record(args)  # a missing record is told here, once, not in every browser tab
    if args.host not in LOOPBACK:
        _warn(
            f"warning: anyone who can reach {args.host}:{args.port} gets the app, with no "
            "login" + (" and may change the record" if args.facilitate else "")
        )
    if args.facilitate:
        os.environ.pop(READ_ONLY_ENV, None)
    else:
        os.environ[READ_ONLY_ENV] = "1"  # the apps it starts inherit it
    host = f"[{args.host}]" if ":" in args.host else args.host
    _say(
        f"Serving the record {'to facilitate' if args.facilitate else 'for reading'} at "
        f"http://{host}:{args.port} (ctrl+c stops)"
    )
    sys.stdout.flush()
    Server(
        serve_command(args),
        host=args.host,
        port=args.port,
        title="protocolrunner",
        public_url=f"http://{host}:{args.port}",
    ).serve()
    return 0


# -- settings ----------------------------------------------------------------------------------


def _checked_settings():
    """The settings file read and checked in full, its keys against the app's bindings: the
    settings, every binding id, and every problem."""
    from .core.settings.model import load_settings
    from .ui.keymap import build_keymap, catalogue

    loaded = load_settings()
    cat = catalogue()
    problems = [*loaded.problems, *build_keymap(loaded, cat).problems]
    problems.sort(key=lambda p: (p.line, p.col))
    return loaded, cat, problems


def cmd_config_path(args: argparse.Namespace) -> int:
    from .core.settings.config import config_path

    _say(str(config_path()))
    return 0


def cmd_config_show(args: argparse.Namespace) -> int:
    from .core.settings.model import settings_toml

    loaded, cat, problems = _checked_settings()
    _print_problems(problems)
    choice = _record_choice(args) if args.record else None
    if choice is None:
        from .core.settings.config import choose_record

        choice = choose_record(None, loaded.config)
    _write(settings_toml(loaded, cat.infos, record_in_use=(choice.path, choice.told)))
    return 1 if problems else 0


def cmd_config_schema(args: argparse.Namespace) -> int:
    from .core.settings.model import settings_schema_text
    from .ui.keymap import catalogue

    _write(settings_schema_text(catalogue().infos))
    return 0


def _editor() -> list[str]:
    import shlex

    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        return shlex.split(chosen)
    return ["notepad"] if os.name == "nt" else ["vi"]


def cmd_config_edit(args: argparse.Namespace) -> int:
    import subprocess

    from .core.base.atomic import write_atomic
    from .core.settings.config import SCHEMA_FILE_NAME, config_path
    from .core.settings.model import settings_schema_text, settings_template
    from .ui.keymap import catalogue

    path = config_path()
    infos = catalogue().infos
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() and not path.is_symlink():
        try:
            write_atomic(path, settings_template(infos), exclusive=True)
            _say(f"Created {path}, every setting commented out")
        except FileExistsError:
            pass  # written meanwhile: edit that one
    # The schema beside the file (its #:schema line), for editors that complete and check
    # TOML; written each time, so it follows this version's settings and bindings.
    write_atomic(path.parent / SCHEMA_FILE_NAME, settings_schema_text(infos))
    command = [*_editor(), str(path)]
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as exc:
        raise CliError(
            f"cannot start the editor '{command[0]}' ({exc.strerror or exc}); set $EDITOR, "
            f"or edit {path} yourself"
        ) from None
    _, _, problems = _checked_settings()
    _print_problems(problems)
    if not problems:
        _say(f"No problems in {path}")
    return status or (1 if problems else 0)


def _version_text(args: argparse.Namespace) -> str:
    """The version, and where protocols, the record and the settings come from."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from .core.base.paths import bundled_protocols_dir, user_protocols_dir
    from .core.settings.config import read_config

    try:
        textual = f", Textual {version('textual')}"
    except PackageNotFoundError:  # pragma: no cover - a dependency
        textual = ""
    config = read_config()
    choice = _record_choice(args)

    def count(folder: Path) -> str:
        found = len(list(folder.glob("*.toml"))) if folder.is_dir() else 0
        return "none yet" if not found else f"{found} file{'s' * (found != 1)}"

    lines = [
        f"{PROG} {__version__} (Python {platform.python_version()}{textual})",
        f"protocols: bundled  {bundled_protocols_dir()} ({count(bundled_protocols_dir())})",
        f"           yours    {user_protocols_dir()} ({count(user_protocols_dir())})",
        f"           record's {choice.path / 'protocols'} ({count(choice.path / 'protocols')})",
        *(f"           --protocols {p}" for p in args.protocols),
        f"record:    {choice.path} ({choice.told})",
        f"settings:  {config.path}" + ("" if config.exists else " (none: the defaults)"),
    ]
    return "\n".join(lines)


# -- parser -------------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, top: bool) -> None:
    # Sub-commands accept the same options. SUPPRESS keeps a --record given before the
    # sub-command; folders given after it are kept apart and added by main(), because a
    # sub-parser's list would otherwise replace the one given before it.
    parser.add_argument(
        "--record",
        type=_given,
        metavar="DIR",
        default=None if top else argparse.SUPPRESS,
        help="the community record folder (default: $PROTOCOLRUNNER_RECORD or the data folder)",
    )
    parser.add_argument(
        "--protocols",
        type=_given,
        metavar="DIR",
        action="append",
        dest="protocols" if top else "more_protocols",
        default=[] if top else argparse.SUPPRESS,
        help="also load protocols from DIR (repeatable; later folders win)",
    )


def _command(
    commands: Any, name: str, handler: Callable[[argparse.Namespace], int], help: str
) -> argparse.ArgumentParser:
    """A command with the options every command takes (``--record``, ``--protocols``)."""
    sub: argparse.ArgumentParser = commands.add_parser(name, help=help, description=help)
    _common(sub, top=False)
    sub.set_defaults(handler=handler)
    return sub


def _group(commands: Any, name: str, help: str) -> Any:
    """A command made of commands (``record``, ``config``); alone, it prints its help."""
    group = commands.add_parser(name, help=help)

    def print_help(_args: argparse.Namespace) -> int:
        group.print_help()
        return 0

    group.set_defaults(handler=print_help)
    return group.add_subparsers(title=f"{name} commands", metavar="COMMAND", parser_class=_Parser)


def _index_errors(
    handler: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """``handler`` with the search index's SQLite errors (a full disk, a locked or damaged
    file) told in one line; only the record commands import sqlite3."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        import sqlite3

        try:
            return handler(args)
        except sqlite3.Error as exc:
            raise CliError(f"the search index: {exc}") from exc

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Run structured discussion protocols for a Community of Practice.",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="the version, and where its protocols, record and settings come from",
    )
    _common(parser, top=True)
    parser.set_defaults(handler=cmd_app)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    _protocol_commands(commands)
    _app_commands(commands)
    _record_commands(
        _group(commands, "record", "the community record: list, search, show, export sessions")
    )
    _config_commands(_group(commands, "config", "your settings: find, print or edit config.toml"))
    return parser


def _protocol_commands(commands: Any) -> None:
    sub = _command(
        commands, "list", cmd_list, "list the protocols in the library and where each comes from"
    )
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    sub = _command(commands, "show", cmd_show, "print a protocol as readable text")
    sub.add_argument("protocol", type=_given, metavar="ID|PATH", help="a protocol id or a file")

    sub = _command(
        commands, "new", cmd_new, "write a new protocol file, with a comment on every key"
    )
    sub.add_argument("id", metavar="ID", help="the new protocol's id, e.g. our-consultancy")
    sub.add_argument(
        "--from",
        dest="start",
        type=_given,
        metavar="ID|PATH",
        help="start from this protocol, not a template",
    )
    sub.add_argument(
        "-o",
        "--output",
        type=_given,
        metavar="PATH",
        help="where to write it (default: the record's protocols/ folder)",
    )

    sub = _command(
        commands, "preview", cmd_preview, "show a protocol file as facilitators will see it"
    )
    sub.add_argument(
        "file", type=_given, metavar="FILE", help="a protocol file; saving it reloads the preview"
    )

    sub = _command(
        commands, "validate", cmd_validate, "check protocol files, reporting every problem"
    )
    sub.add_argument(
        "paths",
        type=_given,
        metavar="PATH",
        nargs="+",
        help="protocol files or folders (a folder: the .toml files in it, not in its subfolders)",
    )
    sub.add_argument(
        "--strict",
        action="store_true",
        help="also warn about likely mistakes (and exit 1 if there are any)",
    )

    _command(commands, "schema", cmd_schema, "print the JSON Schema of protocol files")


def _app_commands(commands: Any) -> None:
    sub = _command(commands, "run", cmd_run, "open the app straight at setting up a protocol")
    sub.add_argument("protocol", type=_given, metavar="ID|PATH", help="a protocol id or a file")

    sub = _command(
        commands, "demo", cmd_demo, "write a sample community record to try the app with"
    )
    sub.add_argument("dir", type=_given, metavar="DIR", help="a new, empty folder")
    sub.add_argument(
        "--sessions",
        type=_whole(*DEMO_SESSIONS_RANGE),
        default=40,
        metavar="N",
        help="how many (40; from 0 to 10,000)",
    )
    sub.add_argument(
        "--seed",
        type=_whole(*DEMO_SEED_RANGE),
        default=1,
        metavar="S",
        help="random seed (1; from 0 to 1,000,000)",
    )

    sub = _command(
        commands, "serve", cmd_serve, "open the app in a web browser (starts at the record)"
    )
    sub.add_argument(
        "--host", default="127.0.0.1", metavar="ADDR", help="address (127.0.0.1: this computer)"
    )
    sub.add_argument(
        "--port", type=_whole(1, 65_535), default=8000, metavar="N", help="port (8000)"
    )
    sub.add_argument(
        "--open-to-network",
        action="store_true",
        help="allow an address other computers reach (there is no login)",
    )
    sub.add_argument(
        "--facilitate",
        action="store_true",
        help="allow running meetings and changing the record (default: read only)",
    )


def _record_commands(record_commands: Any) -> None:
    def command(
        name: str, handler: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        # Every record command may read the search index.
        return _command(record_commands, name, _index_errors(handler), help)

    def filters(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--protocol", metavar="ID", help="only sessions of this protocol")
        sub.add_argument("--member", metavar="NAME", help="only sessions this member attended")
        sub.add_argument("--role", metavar="ROLE", help="with --member: only in this role id")
        sub.add_argument("--since", type=_date, metavar="DATE", help="from this date (YYYY-MM-DD)")
        sub.add_argument("--until", type=_date, metavar="DATE", help="up to this date")

    sub = command("init", cmd_record_init, "create a community record")
    sub.add_argument("dir", type=_given, metavar="DIR", nargs="?", help="where (default: --record)")
    sub.add_argument("--name", type=_given, required=True, help="the community's name")

    limit_help = "at most N sessions (N from 1 to 100,000)"
    sub = command("list", cmd_record_list, "list sessions, newest first")
    filters(sub)
    sub.add_argument("--limit", type=_whole(*LIMIT_RANGE), metavar="N", help=limit_help)
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    sub = command("search", cmd_record_search, "full-text search of notes and answers")
    sub.add_argument("query", nargs="+", metavar="WORD", help="words to find (at most 64)")
    filters(sub)
    sub.add_argument("--limit", type=_whole(*LIMIT_RANGE), metavar="N", help=limit_help)
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    command("browse", cmd_record_browse, "browse, search and export sessions in the app")

    sub = command("show", cmd_record_show, "print a session as Markdown")
    sub.add_argument(
        "session", type=_given, metavar="SESSION", help="a session id (or its start) or file"
    )

    sub = command("sync", cmd_record_sync, "share the record through git: send and receive changes")
    sub.add_argument(
        "--init",
        nargs="?",
        const="",
        type=str,
        metavar="URL",
        help="make the record a git repository shared with URL (once per computer)",
    )

    sub = command(
        "publish", cmd_record_publish, "write the record as a website to read in any browser"
    )
    sub.add_argument(
        "out", type=_given, metavar="OUT", help="a new folder, or one published before (updated)"
    )

    sub = command("actions", cmd_record_actions, "the action items and their state")
    sub.add_argument("--open", action="store_true", help="only those still open or carried")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    sub = command("action", cmd_record_action, "review an action item")
    sub.add_argument(
        "id", type=_given, metavar="ID", help="as 'record actions' shows it (its start is enough)"
    )
    sub.add_argument("state", choices=tuple(ACTION_STATES), help="done, carry, drop or reopen")
    sub.add_argument("--by", type=_given, metavar="NAME", help="who reviews it (default: you)")

    sub = command("members", cmd_record_members, "the members and their sessions")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
    members_commands = sub.add_subparsers(
        title="members commands", metavar="COMMAND", parser_class=_Parser
    )
    add = _command(members_commands, "add", _index_errors(cmd_record_members_add), "add a member")
    add.add_argument("name", type=_given, metavar="NAME", help="the member's name")
    add.add_argument("--note", metavar="TEXT", help="e.g. 'Grade 7 maths'")

    sub = command("export", cmd_record_export, "export sessions to Markdown, JSON, HTML or PDF")
    sub.add_argument(
        "sessions", type=_given, nargs="*", metavar="SESSION", help="ids or files (default: all)"
    )
    filters(sub)
    sub.add_argument(
        "--format",
        choices=("md", "json", "html", "pdf"),
        default="md",
        help="md (default), json, html or pdf (pdf needs: pip install 'protocolrunner[pdf]')",
    )
    sub.add_argument(
        "-o", "--output", type=_given, metavar="FILE", help="write to FILE instead of stdout"
    )


def _config_commands(config_commands: Any) -> None:
    for name, handler, about in (
        ("path", cmd_config_path, "print where the settings file is"),
        ("show", cmd_config_show, "print the settings in force, defaults filled in"),
        ("edit", cmd_config_edit, "open the settings in $EDITOR (made, commented, if missing)"),
        ("schema", cmd_config_schema, "print the JSON Schema of the settings file"),
    ):
        _command(config_commands, name, handler, about)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.protocols = [*args.protocols, *getattr(args, "more_protocols", [])]
    try:
        if args.version:
            _say(_version_text(args))
            return 0
        return args.handler(args)
    except FileProblems as exc:
        _print_problems(exc.problems)
        return 1
    except CliError as exc:
        _warn(f"{PROG}: error: {exc}")
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped to a command that stopped reading (``| head``): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f" {exc.filename}:" if exc.filename else ""
        _warn(f"{PROG}: error:{where} {exc.strerror or exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
