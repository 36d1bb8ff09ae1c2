"""The protocol library: sources, overrides, skipped files, resolving and validating paths."""

from __future__ import annotations

import hashlib
import re
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import BUNDLED_DIR, BUNDLED_IDS, protocol_text, time_limit

from protocolrunner.core.base import paths
from protocolrunner.core.base.problems import FileProblems, Problem
from protocolrunner.core.protocol.library import (
    BUNDLED,
    COMMUNITY,
    EXTRA,
    USER,
    LibraryEntry,
    ProtocolNotFound,
    Source,
    default_sources,
    load_library,
    load_protocol_file,
    protocol_files,
    validate_paths,
)

FUZZED_IDS = ["atlas-looking-at-data", "consultancy", "tuning", "chalk-talk"]
"""The files the mutation test below mangles: together they use every key (Chalk Talk adds
`warn_seconds` and a group size with no maximum); mangling every bundled file
would only make the suite slower."""


BROKEN = textwrap.dedent(
    """\
    format = 1
    id = "broken"
    title = "Broken"
    summary = "For tests."
    roles = [{ id = "lead", name = "Lead" }]
    steps = [{ id = "talk", title = "Talk", minutes = 0 }]
    """
)


def put(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def retitled_consultancy(title: str) -> str:
    text = (BUNDLED_DIR / "consultancy.toml").read_text(encoding="utf-8")
    new, n = re.subn(r'^title = "Consultancy"$', f'title = "{title}"', text, count=1, flags=re.M)
    assert n == 1
    return new


# -- sources -------------------------------------------------------------------------------------


def test_default_sources_in_order(tmp_path, isolated_user_dirs):
    record = tmp_path / "record"
    extra = [tmp_path / "one", tmp_path / "two"]
    sources = default_sources(record, extra)
    assert sources == [
        Source(BUNDLED, BUNDLED_DIR),
        Source(USER, isolated_user_dirs / "config" / "protocolrunner" / "protocols"),
        Source(COMMUNITY, record / "protocols"),
        Source(EXTRA, tmp_path / "one"),
        Source(EXTRA, tmp_path / "two"),
    ]
    assert sources[1].path == paths.user_protocols_dir()


def test_default_sources_without_a_record():
    assert [s.kind for s in default_sources()] == [BUNDLED, USER]


def test_missing_source_folders_are_remembered_but_give_nothing(tmp_path):
    sources = [Source(USER, tmp_path / "nope"), Source(EXTRA, tmp_path / "neither")]
    library = load_library(sources)
    assert len(library) == 0
    assert library.problems == []
    assert library.sources == sources


def test_a_source_folder_is_not_searched_recursively(tmp_path):
    put(tmp_path, "top.toml", protocol_text("top"))
    put(tmp_path / "sub", "deep.toml", protocol_text("deep"))
    put(tmp_path, "notes.txt", protocol_text("notes"))
    library = load_library([Source(EXTRA, tmp_path)])
    assert sorted(library.entries) == ["top"]


def test_later_sources_override_earlier_ones(tmp_path):
    record = tmp_path / "record"
    first, second = tmp_path / "first", tmp_path / "second"
    user_file = put(paths.user_protocols_dir(), "mine.toml", retitled_consultancy("User"))
    community_file = put(record / "protocols", "c.toml", retitled_consultancy("Community"))
    first_file = put(first, "consultancy.toml", retitled_consultancy("First"))
    second_file = put(second, "zzz.toml", retitled_consultancy("Second"))

    library = load_library(default_sources(record, [first, second]))

    assert library.problems == []
    entry = library.get("consultancy")
    assert entry is not None
    assert entry.protocol.title == "Second"
    assert entry.path == second_file
    assert entry.source == Source(EXTRA, second)
    assert [(e.source.kind, e.path, e.protocol.title) for e in entry.overrides] == [
        (BUNDLED, BUNDLED_DIR / "consultancy.toml", "Consultancy"),
        (USER, user_file, "User"),
        (COMMUNITY, community_file, "Community"),
        (EXTRA, first_file, "First"),
    ]
    # Each overridden entry keeps its own chain.
    assert [e.source.kind for e in entry.overrides[-1].overrides] == [BUNDLED, USER, COMMUNITY]
    # The protocols nobody overrides are untouched.
    for protocol_id in ("tuning", "atlas-looking-at-data"):
        assert library.entries[protocol_id].source.kind == BUNDLED
        assert library.entries[protocol_id].overrides == ()


@pytest.mark.parametrize("kind", [USER, COMMUNITY, EXTRA])
def test_each_layer_alone_overrides_the_bundled_protocol(tmp_path, kind):
    record = tmp_path / "record"
    extra = tmp_path / "extra"
    folder = {USER: paths.user_protocols_dir(), COMMUNITY: record / "protocols", EXTRA: extra}[kind]
    path = put(folder, "consultancy.toml", retitled_consultancy(f"From {kind}"))
    library = load_library(default_sources(record, [extra]))
    entry = library.entries["consultancy"]
    assert (entry.source.kind, entry.path, entry.protocol.title) == (kind, path, f"From {kind}")
    assert [e.source.kind for e in entry.overrides] == [BUNDLED]


def test_an_invalid_override_leaves_the_earlier_protocol_in_place(tmp_path):
    extra = tmp_path / "extra"
    text = retitled_consultancy("Bad").replace("minutes = 10", "minutes = 0", 1)
    bad = put(extra, "consultancy.toml", text)
    library = load_library(default_sources(None, [extra]))
    assert library.entries["consultancy"].source.kind == BUNDLED
    assert [(p.file, p.key, p.message) for p in library.problems] == [
        (str(bad), "steps[0].minutes", "must be more than 0 (got 0)")
    ]


def test_an_invalid_file_is_reported_and_skipped_while_the_others_load(tmp_path):
    put(tmp_path, "a.toml", protocol_text("alpha", "Alpha"))
    bad = put(tmp_path, "b.toml", BROKEN)
    put(tmp_path, "c.toml", protocol_text("gamma", "Gamma"))
    syntax = put(tmp_path, "d.toml", 'format = 1\nid = "delta\n')
    empty = put(tmp_path, "e.toml", "")
    library = load_library([Source(EXTRA, tmp_path)])
    assert sorted(library.entries) == ["alpha", "gamma"]
    assert [str(p) for p in library.problems] == [
        f"{bad}:6:41: steps[0].minutes: must be more than 0 (got 0)",
        f"{syntax}:2:12: TOML syntax: illegal character '\\n'",
        f"{empty}:1:1: is empty",
    ]


def test_duplicate_id_within_one_folder_keeps_the_first_file(tmp_path):
    first = put(tmp_path, "a.toml", protocol_text("same", "First"))
    second = put(tmp_path, "b.toml", protocol_text("same", "Second"))
    library = load_library([Source(EXTRA, tmp_path)])
    assert library.entries["same"].path == first
    assert library.entries["same"].overrides == ()
    [problem] = library.problems
    assert (problem.file, problem.key) == (str(second), "id")
    assert problem.message == (
        "id 'same' is already used by a.toml in the same folder; this file is skipped"
    )
    assert str(problem).startswith(f"{second}:")


def test_same_id_in_two_folders_is_an_override_not_a_problem(tmp_path):
    put(tmp_path / "one", "a.toml", protocol_text("same", "One"))
    put(tmp_path / "two", "a.toml", protocol_text("same", "Two"))
    library = load_library([Source(EXTRA, tmp_path / "one"), Source(EXTRA, tmp_path / "two")])
    assert library.problems == []
    assert library.entries["same"].protocol.title == "Two"
    assert [e.protocol.title for e in library.entries["same"].overrides] == ["One"]


def test_a_dangling_symlink_is_reported(tmp_path):
    link = tmp_path / "gone.toml"
    link.symlink_to(tmp_path / "missing-target.toml")
    put(tmp_path, "ok.toml", protocol_text("ok"))
    library = load_library([Source(EXTRA, tmp_path)])
    assert sorted(library.entries) == ["ok"]
    assert [str(p) for p in library.problems] == [
        f"{link}:1:1: is a link to nothing ({tmp_path / 'missing-target.toml'})"
    ]


def test_library_iterates_by_title_and_finds_by_id(tmp_path):
    put(tmp_path, "1.toml", protocol_text("b-id", "beta"))
    put(tmp_path, "2.toml", protocol_text("a-id", "Gamma"))
    put(tmp_path, "3.toml", protocol_text("c-id", "Alpha"))
    library = load_library([Source(EXTRA, tmp_path)])
    assert [entry.id for entry in library] == ["c-id", "b-id", "a-id"]
    assert len(library) == 3
    assert library.get("a-id").protocol.title == "Gamma"
    assert library.get("zzz") is None


def test_protocol_files_lists_toml_files_sorted(tmp_path):
    put(tmp_path, "b.toml", "")
    put(tmp_path, "a.toml", "")
    put(tmp_path / "sub", "c.toml", "")
    (tmp_path / "folder.toml").mkdir()
    put(tmp_path, "x.json", "")
    assert protocol_files(tmp_path) == [tmp_path / "a.toml", tmp_path / "b.toml"]
    assert protocol_files(tmp_path, recursive=True) == [
        tmp_path / "a.toml",
        tmp_path / "b.toml",
        tmp_path / "sub" / "c.toml",
    ]


# -- one file ------------------------------------------------------------------------------------


def test_load_protocol_file_records_path_source_and_digest(tmp_path):
    path = put(tmp_path, "p.toml", protocol_text("alpha"))
    entry = load_protocol_file(path)
    assert isinstance(entry, LibraryEntry)
    assert entry.path == path
    assert entry.source == Source(EXTRA, tmp_path)
    assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.overrides == ()
    source = Source(USER, tmp_path)
    assert load_protocol_file(path, source).source is source


# -- resolve -------------------------------------------------------------------------------------


@pytest.fixture
def small_library(tmp_path):
    put(tmp_path / "lib", "a.toml", protocol_text("alpha", "Alpha"))
    put(tmp_path / "lib", "b.toml", protocol_text("beta", "Beta"))
    return load_library([Source(EXTRA, tmp_path / "lib")])


def test_resolve_by_id(small_library):
    assert small_library.resolve("alpha").protocol.title == "Alpha"


def test_resolve_an_id_before_a_file_of_the_same_name(small_library, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    put(tmp_path, "alpha", protocol_text("other", "Other"))
    assert small_library.resolve("alpha").protocol.title == "Alpha"


def test_resolve_by_absolute_and_relative_path(small_library, tmp_path, monkeypatch):
    path = put(tmp_path / "elsewhere", "gamma.toml", protocol_text("gamma", "Gamma"))
    assert small_library.resolve(str(path)).protocol.title == "Gamma"
    monkeypatch.chdir(tmp_path)
    entry = small_library.resolve("elsewhere/gamma.toml")
    assert (entry.id, entry.path) == ("gamma", Path("elsewhere/gamma.toml"))
    assert entry.source.kind == EXTRA
    # A file is resolved by path even without the .toml suffix, as long as it exists.
    put(tmp_path, "protocol.txt", protocol_text("delta", "Delta"))
    assert small_library.resolve("protocol.txt").id == "delta"


def test_resolve_unknown_id(small_library):
    with pytest.raises(ProtocolNotFound) as info:
        small_library.resolve("nope")
    assert str(info.value) == "no protocol with id 'nope' (known: alpha, beta)"
    assert isinstance(info.value, LookupError)


def test_resolve_in_an_empty_library():
    with pytest.raises(ProtocolNotFound, match=r"^no protocol with id 'x' \(known: none\)$"):
        load_library([]).resolve("x")


def test_resolve_missing_file(small_library, tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ProtocolNotFound) as info:
        small_library.resolve(str(missing))
    assert str(info.value) == f"{missing}: no such file"


def test_resolve_invalid_file_raises_its_problems(small_library, tmp_path):
    bad = put(tmp_path, "bad.toml", BROKEN)
    with pytest.raises(FileProblems) as info:
        small_library.resolve(str(bad))
    assert [str(p) for p in info.value.problems] == [
        f"{bad}:6:41: steps[0].minutes: must be more than 0 (got 0)"
    ]


def test_resolve_a_folder(small_library, tmp_path):
    with pytest.raises(FileProblems) as info:
        small_library.resolve(str(tmp_path / "lib"))
    assert [p.message for p in info.value.problems] == ["is a folder, not a file"]


# -- validate_paths ------------------------------------------------------------------------------


def test_validate_paths_reads_a_folder_as_the_library_does(tmp_path):
    """Its own .toml files, not its subfolders': 'validate / --strict' walked the whole disk."""
    put(tmp_path, "a.toml", protocol_text("alpha"))
    bad = put(tmp_path, "b.toml", BROKEN)
    put(tmp_path / "sub", "c.toml", BROKEN)
    put(tmp_path, "readme.md", "not a protocol")
    checked, problems = validate_paths([tmp_path])
    assert checked == 2
    assert [str(p) for p in problems] == [
        f"{bad}:6:41: steps[0].minutes: must be more than 0 (got 0)"
    ]


def test_validate_paths_reports_missing_paths_and_empty_folders(tmp_path):
    missing = tmp_path / "missing.toml"
    empty = tmp_path / "empty"
    empty.mkdir()
    good = put(tmp_path / "good", "g.toml", protocol_text("good"))
    checked, problems = validate_paths([missing, empty, good])
    assert checked == 1
    assert problems == [
        Problem(str(missing), "no such file or folder"),
        Problem(str(empty), "no .toml files in this folder"),
    ]


def test_validate_paths_checks_a_file_whatever_its_name(tmp_path):
    path = put(tmp_path, "protocol.txt", BROKEN)
    checked, problems = validate_paths([path])
    assert checked == 1
    assert [(p.file, p.line, p.key) for p in problems] == [(str(path), 6, "steps[0].minutes")]


def test_validate_paths_reports_every_problem_of_every_file(tmp_path):
    one = put(tmp_path, "1.toml", BROKEN)
    two = put(tmp_path, "2.toml", BROKEN.replace('"lead", name', '"Lead", nmae'))
    checked, problems = validate_paths([one, two])
    assert checked == 2
    assert [(p.file, p.line, p.col, p.key) for p in problems] == [
        (str(one), 6, 41, "steps[0].minutes"),
        (str(two), 5, 10, "roles[0].name"),
        (str(two), 5, 12, "roles[0].id"),
        (str(two), 5, 25, "roles[0].nmae"),
        (str(two), 6, 41, "steps[0].minutes"),
    ]


# -- the bundled protocols -----------------------------------------------------------------------


def test_the_bundled_protocols_load_without_problems():
    library = load_library([Source(BUNDLED, BUNDLED_DIR)])
    assert library.problems == []
    assert sorted(library.entries) == BUNDLED_IDS
    for protocol_id in BUNDLED_IDS:
        assert library.entries[protocol_id].path == BUNDLED_DIR / f"{protocol_id}.toml"


def test_the_default_library_is_the_bundled_one():
    library = load_library(default_sources())
    assert library.problems == []
    assert sorted(library.entries) == BUNDLED_IDS
    assert {entry.source.kind for entry in library} == {BUNDLED}
    assert paths.bundled_protocols_dir() == BUNDLED_DIR


def test_validate_the_bundled_folder():
    assert validate_paths([BUNDLED_DIR]) == (len(BUNDLED_IDS), [])


# -- property: mutated bundled files never crash the loader --------------------------------------

REPLACEMENT_CHARS = '"=[]{}#\\\n0a-x\x00é'
KEY_NAMES = ["id", "title", "minute", "speaker", "roles", "x", "rest", "count", "Min"]
NUMBER = re.compile(r"(?<=[=\[, ])\s*-?\d+(\.\d+)?\b")
KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=", re.M)


@st.composite
def mutation(draw, text: str) -> str:
    kind = draw(
        st.sampled_from(["delete", "duplicate", "swap", "char", "truncate", "number", "key"])
    )
    lines = text.split("\n")
    if kind == "delete":
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif kind == "duplicate":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    elif kind == "swap":
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "char" and text:
        i = draw(st.integers(0, len(text) - 1))
        return text[:i] + draw(st.sampled_from(REPLACEMENT_CHARS)) + text[i + 1 :]
    elif kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif kind == "number":
        numbers = list(NUMBER.finditer(text))
        if numbers:
            m = draw(st.sampled_from(numbers))
            return (
                text[: m.start()]
                + " "
                + draw(st.sampled_from(["0", "-1", "999"]))
                + text[m.end() :]
            )
    elif kind == "key":
        found = list(KEY.finditer(text))
        if found:
            m = draw(st.sampled_from(found))
            return text[: m.start(1)] + draw(st.sampled_from(KEY_NAMES)) + text[m.end(1) :]
    return "\n".join(lines)


@st.composite
def mutated(draw, text: str) -> str:
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    return text


@pytest.mark.parametrize("protocol_id", FUZZED_IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_bundled_files_load_or_report_problems(protocol_id, data):
    original = (BUNDLED_DIR / f"{protocol_id}.toml").read_text(encoding="utf-8")
    text = data.draw(mutated(original), label="text")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{protocol_id}.toml"
        path.write_bytes(text.encode("utf-8"))
        try:
            with time_limit(10):
                entry = load_protocol_file(path)
        except FileProblems as exc:
            assert exc.problems
            line_count = text.count("\n") + 1
            for problem in exc.problems:
                assert str(problem).startswith(f"{path}:"), str(problem)
                assert 1 <= problem.line <= line_count
                assert problem.col >= 1
        else:
            assert entry.path == path
            assert entry.protocol.id
