"""Control characters in a record never reach the terminal through the command line.

A note, a name, a title or a protocol's prompt may hold control characters: ``ESC ] 52`` writes
the reader's clipboard, ``ESC [ 2J`` clears the screen, ``ESC [ 31m`` colours what follows, BEL
rings, and U+009B is a one-character CSI. ``seed_record`` writes a record with such text in every
place a person or a file can put text, and every command of the command line is run over it: its
output (stdout and stderr) must hold none of them, while the files keep the text exactly.

``seed_record`` is also what the UI test (``tests/ui/test_control_chars_ui.py``) opens.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w
from support import BUNDLED_DIR, run_cli

from protocolrunner.cli import build_parser
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import MEMBERS, write_demo
from protocolrunner.core.record.folder import Record, session_toml
from protocolrunner.core.record.models import Member, RecordedAction
from protocolrunner.core.session.clock import FakeClock
from protocolrunner.core.settings.config import CONFIG_ENV

PAYLOAD = " \x1b]52;c;SGVsbG8=\x07 \x1b[2J\x1b[31mred\x07 \x9b1m \x7f\x08\r\x85x "
"""Clipboard write (OSC 52 ended by BEL), clear screen, red, BEL, a C1 CSI, DEL, backspace, a
lone carriage return and NEL (C1): what no terminal may be sent from a file."""

ESCAPED = "\\x1b]52;c;SGVsbG8=\\x07"
"""How the clipboard write is shown: as text, never as the sequence."""

FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Every C0 control but tab and newline, DEL, and every C1 control."""

PROTOCOL_ID = "tainted-consultancy"
PROSE_KEYS = {
    "title",
    "summary",
    "purpose",
    "source",
    "name",
    "description",
    "label",
    "help",
    "instructions",
    "facilitator_notes",
    "prompts",
}
"""The keys of a protocol file whose text people read (ids and references must stay ids)."""


def taint(text: str) -> str:
    return f"{text}{PAYLOAD}"


NAMES = {name: taint(name) for name, _ in MEMBERS}
"""Each demo member's name, with control characters."""


def _taint_protocol(value, key: str = ""):
    if isinstance(value, dict):
        return {k: _taint_protocol(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_taint_protocol(v, key) for v in value]
    if isinstance(value, str) and key in PROSE_KEYS:
        return taint(value)
    return value


def _taint_session(session):
    data = session.model_dump(mode="python")

    def person(name: str) -> str:
        return NAMES.get(name, taint(name))

    data["community"] = taint(data["community"] or "Circle")
    data["attendees"] = [person(n) for n in data["attendees"]]
    data["reflection"] = taint(data["reflection"])
    data["protocol"]["title"] = taint(data["protocol"]["title"])
    for answer in data["setup"]:
        answer["label"] = taint(answer["label"])
        answer["answer"] = taint(answer["answer"] or "an answer")
    for role in data["roles"]:
        role["name"] = taint(role["name"])
        role["people"] = [person(n) for n in role["people"]]
    for step in data["steps"]:
        step["title"] = taint(step["title"])
        step["speakers"] = [person(n) for n in step["speakers"]]
        step["silent"] = [person(n) for n in step["silent"]]
        for note in step["notes"]:
            note["label"] = taint(note["label"])
            note["text"] = taint(note["text"] or "a note")
        for turn in step["turns"]:
            turn["person"] = person(turn["person"])
            turn["label"] = taint(turn["label"])
            turn["note"] = taint(turn["note"])
    for action in data["actions"]:
        action["text"] = taint(action["text"])
        action["owner"] = person(action["owner"]) if action["owner"] else ""
    # One open action item at least, for the follow-through lists.
    data["actions"].append(
        RecordedAction(text=taint("Try wait time"), owner=NAMES["Ana Souza"]).model_dump()
    )
    return type(session).model_validate(data)


def seed_record(root: Path, sessions: int = 6) -> Record:
    """A demo record with control characters in every text a file or a person gives it.

    ``community.toml`` (name, purpose, goals, norms, cadence, members and their notes), every
    session file (community, people, roles, setup labels and answers, step titles, note labels
    and notes, action items, reflection), a protocol in the record's ``protocols/`` folder
    (``tainted-consultancy``: every title, name, label, help, instruction and prompt), and a
    broken protocol and a broken session file whose problem messages quote control characters.
    The sessions end a day before ``FakeClock.DEFAULT_START``, so their open action items are
    recent for the app's frozen clock.
    """
    end = FakeClock.DEFAULT_START - timedelta(days=1)
    record = write_demo(root, load_library(default_sources()), sessions=sessions, end=end)
    record.update_community(
        lambda c: c.model_copy(
            update={
                "name": taint("Maths Circle"),
                "purpose": taint("We look at student work together."),
                "goals": [taint("Better feedback")],
                "norms": [taint("Be kind"), taint("Be specific")],
                "cadence": taint("Every other Tuesday"),
                "members": [Member(name=NAMES[m.name], note=taint(m.note)) for m in c.members],
            }
        )
    )
    for path in sorted(record.sessions_dir.rglob("*.toml")):
        # As a colleague's hand-edited file would arrive: the app never rewrites a session.
        tainted = _taint_session(record.load_session(path, followthrough=False))
        path.write_text(session_toml(tainted), "utf-8")
    data = _taint_protocol(tomllib.loads((BUNDLED_DIR / "consultancy.toml").read_text("utf-8")))
    data["id"] = PROTOCOL_ID
    (record.protocols_dir / f"{PROTOCOL_ID}.toml").write_text(tomli_w.dumps(data), "utf-8")
    # A file that is skipped: its name and the value its problem quotes hold controls too.
    broken = dict(data, id=taint("Broken"))
    (record.protocols_dir / f"broken{PAYLOAD.strip()}.toml").write_text(
        tomli_w.dumps(broken), "utf-8"
    )
    year = record.sessions_dir / "2026"
    year.mkdir(parents=True, exist_ok=True)
    (year / f"2026-01-01-broken{PAYLOAD.strip()}.toml").write_text(
        f"format = 1\nid = {json.dumps(taint('x'))}\n", "utf-8"
    )
    return record


def assert_clean(text: str, what: str) -> None:
    """No control character but tab and newline in ``text``."""
    bad = FORBIDDEN.search(text)
    if bad is not None:
        at = bad.start()
        raise AssertionError(
            f"{what}: raw {bad.group()!r} at {at}: {text[max(0, at - 60) : at + 20]!r}"
        )


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Record:
    return seed_record(tmp_path_factory.mktemp("tainted") / "record")


@pytest.fixture
def session_id(record: Record) -> str:
    loaded = record.load_sessions()
    newest = max(loaded.sessions, key=lambda item: item[1].started)[1]
    return newest.id


@pytest.fixture(autouse=True)
def tainted_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A settings file with the payload in a value, a key and a binding id (each one a
    mistake the commands report), and an editor that changes nothing."""
    path = tmp_path / "cfg" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        f"theme = {json.dumps(taint('dark'))}\n{json.dumps(taint('colour'))} = 1\n"
        f'[keys]\n{json.dumps(taint("run.next"))} = "x"\n',
        "utf-8",
    )
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} -c pass")
    monkeypatch.delenv("VISUAL", raising=False)


def test_the_seeded_record_keeps_the_text_exactly(record: Record) -> None:
    """The files hold the control characters: what is shown changes, never what is kept."""
    community = record.load_community()
    assert community.name == taint("Maths Circle")
    assert community.members[0].name == NAMES["Ana Souza"]
    loaded = record.load_sessions()
    assert loaded.sessions
    for _, session in loaded.sessions:
        assert PAYLOAD in session.protocol.title
        assert PAYLOAD in session.reflection
        assert session.actions[-1].text == taint("Try wait time")
    assert {p.file for p in loaded.problems} == {
        str(record.sessions_dir / "2026" / f"2026-01-01-broken{PAYLOAD.strip()}.toml")
    }


def _commands(root: Path, session: str, tmp: Path) -> list[tuple[str, list[str], bool]]:
    """(name, argv, whether the output must show the clipboard write as an escape)."""
    rec = ["--record", str(root)]
    protocol_file = str(root / "protocols" / f"{PROTOCOL_ID}.toml")
    broken_file = str(root / "protocols" / f"broken{PAYLOAD.strip()}.toml")
    member = NAMES["Ana Souza"]
    return [
        ("list", [*rec, "list"], True),
        ("list --json", [*rec, "list", "--json"], False),
        ("show id", [*rec, "show", PROTOCOL_ID], True),
        ("show file", [*rec, "show", protocol_file], True),
        ("show broken file", [*rec, "show", broken_file], True),
        ("show unknown id", [*rec, "show", taint("nope")], True),
        ("validate folder", [*rec, "validate", str(root / "protocols")], True),
        ("validate --strict", [*rec, "validate", "--strict", protocol_file, broken_file], True),
        ("new --from", [*rec, "new", "copied", "--from", PROTOCOL_ID, "-o", str(tmp)], False),
        ("new bad id", [*rec, "new", taint("Bad")], True),
        ("schema", [*rec, "schema"], False),
        ("run (no terminal)", [*rec, "run", PROTOCOL_ID], False),
        ("preview (no terminal)", [*rec, "preview", protocol_file], False),
        ("app (no terminal)", [*rec], False),
        ("demo", [*rec, "demo", str(tmp / "demo"), "--sessions", "2"], False),
        ("--version", [*rec, "--version"], False),
        ("config path", [*rec, "config", "path"], False),
        ("config show (tainted settings)", [*rec, "config", "show"], True),
        ("config edit (tainted settings)", [*rec, "config", "edit"], True),
        ("config schema", [*rec, "config", "schema"], False),
        ("record init", ["record", "init", str(tmp / "new"), "--name", taint("New")], False),
        ("record list", [*rec, "record", "list"], True),
        ("record list --json", [*rec, "record", "list", "--json"], False),
        ("record list --member", [*rec, "record", "list", "--member", member], True),
        ("record list bad date", [*rec, "record", "list", "--since", taint("2026")], True),
        ("record search", [*rec, "record", "search", "SGVsbG8"], True),
        ("record search --json", [*rec, "record", "search", "SGVsbG8", "--json"], False),
        ("record browse (no terminal)", [*rec, "record", "browse"], False),
        ("record show", [*rec, "record", "show", session], True),
        ("record show unknown", [*rec, "record", "show", taint("zz")], True),
        ("record export md", [*rec, "record", "export", session], False),
        ("record export json", [*rec, "record", "export", session, "--format", "json"], False),
        ("record export digest", [*rec, "record", "export"], False),
        ("record export all json", [*rec, "record", "export", "--format", "json"], False),
        ("record export -o", [*rec, "record", "export", session, "-o", str(tmp / "x.md")], False),
        ("record export -o -", [*rec, "record", "export", session, "-o", "-"], False),
        ("record export html", [*rec, "record", "export", "--format", "html"], False),
        ("record publish", [*rec, "record", "publish", str(tmp / "site")], False),
        ("serve other address", [*rec, "serve", "--host", taint("h")], True),
        ("record sync (not shared)", [*rec, "record", "sync"], False),
        ("record actions", [*rec, "record", "actions"], True),
        ("record actions --json", [*rec, "record", "actions", "--json"], False),
        (
            "record action",
            [*rec, "record", "action", f"{session}-1", "done", "--by", taint("A")],
            True,
        ),
        ("record action unknown", [*rec, "record", "action", taint("zz"), "done"], True),
        ("record members", [*rec, "record", "members"], True),
        ("record members --json", [*rec, "record", "members", "--json"], False),
        ("record members add", [*rec, "record", "members", "add", taint("Zoe")], True),
    ]


def _every_command_name() -> set[tuple[str, ...]]:
    """Every command of the parser, as words (``("record", "list")``)."""
    found: set[tuple[str, ...]] = set()

    def walk(parser, words: tuple[str, ...]) -> None:
        for action in parser._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    found.add((*words, name))
                    walk(sub, (*words, name))

    walk(build_parser(), ())
    return found


def test_every_command_is_run_here(record: Record, tmp_path: Path) -> None:
    """A command added to the parser must be added to the list the next test runs."""
    covered = set()
    for _, argv, _ in _commands(record.root, "x", tmp_path):
        rest = argv[2:] if argv[:1] == ["--record"] else argv
        words = [a for a in rest if not a.startswith("-")]
        if words and words[0] in ("record", "config"):
            covered.update((tuple(words[:2]), tuple(words[:3])))
        elif words:
            covered.add((words[0],))
    assert _every_command_name() - {("record",), ("config",)} <= covered


COMMAND_NAMES = [name for name, _, _ in _commands(Path("r"), "s", Path("t"))]


@pytest.mark.parametrize("index", range(len(COMMAND_NAMES)), ids=COMMAND_NAMES)
def test_no_command_prints_a_control_character(
    capsys, record: Record, session_id: str, tmp_path: Path, index: int
) -> None:
    name, argv, shows_escape = _commands(record.root, session_id, tmp_path)[index]
    try:
        _, out, err = run_cli(capsys, *argv)
    except SystemExit:  # argparse's own errors
        out, err = capsys.readouterr()
    assert_clean(out, f"{name}: stdout")
    assert_clean(err, f"{name}: stderr")
    if shows_escape:
        assert ESCAPED in out + err, f"{name}: the text was not shown at all"


@pytest.mark.parametrize(
    "argv", [["record", "list", "--json"], ["record", "search", "SGVsbG8", "--json"]]
)
def test_json_output_is_the_exact_text(capsys, record: Record, argv: list[str]) -> None:
    """JSON stays exact: the control characters are escapes in the JSON text, and the values
    it stands for are the text of the files."""
    status, out, _ = run_cli(capsys, "--record", str(record.root), *argv)
    assert status == 0
    assert "\\u009b" in out and "\\u007f" in out and "\\u001b" in out
    rows = json.loads(out)
    assert rows
    for row in rows:
        assert PAYLOAD in row["title"]
        assert PAYLOAD in row["focus"]


def test_export_json_is_the_exact_text(capsys, record: Record, session_id: str) -> None:
    status, out, _ = run_cli(
        capsys, "--record", str(record.root), "record", "export", session_id, "--format", "json"
    )
    assert status == 0
    data = json.loads(out)
    assert data["reflection"].endswith(PAYLOAD)
    assert data["protocol"]["title"].endswith(PAYLOAD)


def test_export_to_a_file_keeps_the_markdown_as_export_writes_it(
    capsys, record: Record, session_id: str, tmp_path: Path
) -> None:
    """Only what is printed is made safe; ``-o FILE`` gets the export as it is made."""
    from protocolrunner.core.export.markdown import session_markdown

    out_file = tmp_path / "one.md"
    argv = ["--record", str(record.root), "record", "export", session_id, "-o", str(out_file)]
    assert run_cli(capsys, *argv)[0] == 0
    session = next(s for _, s in record.load_sessions().sessions if s.id == session_id)
    assert out_file.read_text("utf-8") == session_markdown(session)


def test_problem_lines_show_controls_as_escapes(capsys, record: Record) -> None:
    """validate's problem lines (``FILE:LINE:COL: key: message``) keep their shape."""
    broken = record.protocols_dir / f"broken{PAYLOAD.strip()}.toml"
    status, out, _ = run_cli(capsys, "validate", str(broken))
    assert status == 1
    (line,) = out.splitlines()
    assert line.startswith(f"{record.protocols_dir}/broken\\x1b]52;c;SGVsbG8=\\x07")
    assert ":2:1: id: " in line


def test_record_list_columns_stay_aligned(capsys, record: Record) -> None:
    """Escapes are made before the columns are cut: every row's date is in the same place."""
    status, out, _ = run_cli(capsys, "--record", str(record.root), "record", "list")
    assert status == 0
    rows = out.splitlines()
    assert rows
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[10:20]), row
        assert row[20:22] == "  "


def test_seed_dates_are_recent_for_the_frozen_clock(record: Record) -> None:
    newest = max(s.started for _, s in record.load_sessions().sessions)
    assert date(2026, 9, 1) < newest.date() < FakeClock.DEFAULT_START.date()
    assert isinstance(newest, datetime)
