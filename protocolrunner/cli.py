"""The ``protocolrunner`` command line.

Commands that do not show the app never import Textual, so they start instantly; the app is
imported inside the commands that open it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .core.problems import FileProblems, Problem

PROG = "protocolrunner"


class CliError(Exception):
    """A one-line error for the user; ``status`` is the exit code."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before an error; one line is kinder on a projector
    # and in scripts, and --help is one flag away.
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _print_problems(problems: Sequence[Problem], stream=None) -> None:
    out = stream or sys.stderr
    for problem in problems:
        print(problem, file=out)


# -- shared loading ---------------------------------------------------------------------------


def _record_dir(args: argparse.Namespace) -> Path:
    from .core.paths import default_record_dir

    return Path(args.record).expanduser() if args.record else default_record_dir()


def _library(args: argparse.Namespace, quiet: bool = False):
    from .core.library import default_sources, load_library

    library = load_library(default_sources(_record_dir(args), [Path(p) for p in args.protocols]))
    if library.problems and not quiet:
        for problem in library.problems:
            print(f"skipped: {problem}", file=sys.stderr)
    return library


def _source_label(entry) -> str:
    label = f"{entry.source.kind}: {entry.path}"
    if entry.overrides:
        label += " (overrides " + ", ".join(e.source.kind for e in entry.overrides) + ")"
    return label


# -- protocol commands --------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    from .core.describe import format_minutes

    library = _library(args)
    if args.json:
        rows = [
            {
                "id": entry.id,
                "title": entry.protocol.title,
                "version": entry.protocol.version,
                "summary": entry.protocol.summary,
                "minutes": entry.protocol.seconds / 60,
                "steps": len(entry.protocol.steps),
                "source": entry.source.kind,
                "path": str(entry.path),
                "sha256": entry.sha256,
                "overrides": [
                    {"source": e.source.kind, "path": str(e.path)} for e in entry.overrides
                ],
            }
            for entry in library
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not len(library):
        print("No protocols found.")
        return 0
    width = max(len(entry.id) for entry in library)
    for entry in library:
        p = entry.protocol
        print(f"{entry.id:<{width}}  {p.title} ({format_minutes(p.seconds)})")
        print(f"{'':<{width}}  {p.summary}")
        print(f"{'':<{width}}  {_source_label(entry)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from .core.describe import describe_protocol

    entry = _library(args, quiet=True).resolve(args.protocol)
    sys.stdout.write(describe_protocol(entry.protocol, source=_source_label(entry)))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .core.library import validate_paths

    checked, problems = validate_paths(Path(p) for p in args.paths)
    _print_problems(problems, sys.stdout)
    bad = len({p.file for p in problems})
    if problems:
        print(f"{bad} of {max(checked, bad)} file(s) have problems", file=sys.stderr)
        return 1
    print(f"{checked} file(s) valid", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .core.schema import protocol_schema_text

    sys.stdout.write(protocol_schema_text())
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    # Until the facilitator app lands, plain ``protocolrunner`` shows the library.
    args.json = False
    return cmd_list(args)


# -- parser -------------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, top: bool) -> None:
    # Sub-commands accept the same options; SUPPRESS keeps a value given before the sub-command.
    default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
    parser.add_argument(
        "--record",
        metavar="DIR",
        default=default(None),
        help="the community record folder (default: $PROTOCOLRUNNER_RECORD or the data folder)",
    )
    parser.add_argument(
        "--protocols",
        metavar="DIR",
        action="append",
        default=default([]),
        help="also load protocols from DIR (repeatable; later folders win)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Run structured discussion protocols for a Community of Practice.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _common(parser, top=True)
    parser.set_defaults(handler=cmd_app)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str):
        sub = commands.add_parser(name, help=help, description=help)
        _common(sub, top=False)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("list", cmd_list, "list the protocols in the library and where each comes from")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")

    sub = command("show", cmd_show, "print a protocol as readable text")
    sub.add_argument("protocol", metavar="ID|PATH", help="a protocol id or a .toml file")

    sub = command("validate", cmd_validate, "check protocol files, reporting every problem")
    sub.add_argument("paths", metavar="PATH", nargs="+", help="protocol files or folders")

    command("schema", cmd_schema, "print the JSON Schema of protocol files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except FileProblems as exc:
        _print_problems(exc.problems)
        return 1
    except LookupError as exc:
        print(f"{PROG}: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped to a command that stopped reading (``| head``): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f" {exc.filename}:" if exc.filename else ""
        print(f"{PROG}: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
