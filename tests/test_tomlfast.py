"""The fast reader of protocolrunner's own TOML: what it reads, it reads exactly as tomllib does
(types included); anything else, every mistake among it, it leaves to tomllib."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocolrunner.core.base.problems import FileProblems, parse_toml, structure_problem
from protocolrunner.core.base.tomlfast import loads
from protocolrunner.core.protocol.library import default_sources, load_library
from protocolrunner.core.record.demo import write_demo
from protocolrunner.core.record.folder import to_toml


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (``True`` is not ``1``) and the same
    time-zone offsets."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.utcoffset() == b.utcoffset() and a.tzinfo == b.tzinfo
    return a == b


def agrees(text: str) -> Any:
    """What the fast reader makes of ``text``, checked against tomllib: the same data, or
    ``None`` (always ``None`` where tomllib finds a mistake)."""
    fast = loads(text)
    try:
        expected = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        assert fast is None
        return None
    assert fast is None or same(fast, expected), (text, fast, expected)
    return fast


@pytest.fixture(scope="module")
def demo_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("fast") / "record"
    write_demo(root, load_library(default_sources()), sessions=30, seed=5)
    return [path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.toml"))]


def test_every_file_of_a_demo_record_is_read_fast_and_exactly(demo_texts) -> None:
    assert len(demo_texts) > 30
    for text in demo_texts:
        assert agrees(text) is not None


# -- documents written as protocolrunner writes them ----------------------------------------

TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from('"\\\n\t\r\x7f\x1b'),
    max_size=40,
)
KEY = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True) | st.text(max_size=6)
ZONES = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))]
)
MOMENT = st.builds(
    lambda day, zone: day.replace(tzinfo=zone), st.datetimes(min_value=datetime(1, 1, 1)), ZONES
)
SCALAR = st.one_of(
    TEXT,
    st.integers(),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    MOMENT,
    st.dates(),
    st.floats(allow_nan=False),
)
SHORT_TABLE = st.dictionaries(KEY, SCALAR | st.just([]), max_size=3)
ARRAY = st.lists(SCALAR, max_size=4) | st.lists(SHORT_TABLE, max_size=3)
TABLE = st.dictionaries(KEY, SCALAR | ARRAY, max_size=6)
DOCUMENT = st.dictionaries(
    KEY,
    SCALAR
    | ARRAY
    | TABLE
    | st.lists(
        st.fixed_dictionaries(
            {"id": TEXT}, optional={"notes": st.lists(TABLE, max_size=3), "x": ARRAY}
        ),
        min_size=1,
        max_size=3,
    ),
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(data=DOCUMENT)
def test_what_tomli_w_writes_reads_back_the_same(data) -> None:
    text = tomli_w.dumps(data, multiline_strings=True)
    assert agrees(text) is None or same(loads(text), tomllib.loads(text))


@settings(max_examples=200, deadline=None)
@given(text=TEXT, number=st.integers(-(10**18) + 1, 10**18 - 1), when=MOMENT)
def test_plain_values_are_read_fast(text, number, when) -> None:
    """A document of strings, whole numbers and times (what a session holds) is not left to
    tomllib: the fast path is the one taken (a name in a list has no line break)."""
    name = text.replace("\n", " ")
    document = to_toml({"a": text, "b": number, "c": when, "d": [name], "e": [{"t": text}]})
    assert agrees(document) is not None


# -- anything else ---------------------------------------------------------------------------

ODD = [
    "a = 1.5\n",
    "a = +1\n",
    "a = 1_000\n",
    "a = 01\n",
    "a = 0x1f\n",
    "a = inf\n",
    "a = 1 # comment\n",
    "# comment\na = 1\n",
    "a = 'literal'\n",
    'a = """no newline"""\n',
    'a = """\nline \\\n  continued"""\n',
    'a = """\nquote "" inside"""\n',
    'a = """\nends with quote""""\n',
    'a = "\\ud800"\n',
    'a = "\\U00110000"\n',
    'a = "\\e"\n',
    'a = "tab\there"\n',
    'a = "del\x7f"\n',
    "a = 2026-02-30\n",
    "a = 2026-01-01 24:00:00\n",
    "a = 2026-01-01T10:00:00.1234567+01:00\n",
    "a = 2026-01-01 10:00:00z\n",
    "a = 07:32:00\n",
    "a = 1\na = 2\n",
    "[t]\n[t]\n",
    "t = 1\n[t]\n",
    "a = []\n[[a]]\n",
    "[[a]]\nb = []\n[[a.b]]\n",
    "[[a.b]]\n",
    "[t]\n[[t.b]]\n",
    "[a.b]\nc = 1\n",
    "a.b = 1\n",
    '"quoted" = 1\n',
    "a=1\n",
    "a = 1\r\n",
    "  \na = 1\n",
    "a = [1, 2]\n",
    "a = [\n  1,\n]\n",
    "a = [\n    1\n]\n",
    "a = [\n    [\n        1,\n    ],\n]\n",
    "a = [\n    { b = { c = 1 } },\n]\n",
    "a = [\n    { b = 1, b = 2 },\n]\n",
    "a = [\n    { b = [1] },\n]\n",
    "a = [\n    {b = 1},\n]\n",
    'a = [\n    { b = "x }, c = 1" },\n]\n',
    "a = { b = 1 }\n",
    "[[a]]\n" * 3 + "[a]\n",
    "a = true1\n",
    "a = 1979-05-27 garbage\n",
    "[[a]]",
    "",
    "\n\n",
    "a = [\n" + "    [\n" * 500,
    "a = [\n" + "    { b = {" * 500,
]


@pytest.mark.parametrize("text", ODD)
def test_every_other_document_is_left_to_tomllib_or_read_the_same(text) -> None:
    agrees(text)


def test_escapes_and_times_read_exactly() -> None:
    text = (
        'a = "q\\" b\\\\ n\\n t\\t u\\u00e9 U\\U0001F600 \\b\\f\\r"\n'
        'm = """\nline\\u0041\n\tsecond \\"x\\""""\n'
        "z = 2026-01-01T10:00:00Z\n"
        "o = 2026-01-01 10:00:00.5-09:30\n"
        "l = 2026-01-01 10:00:00\n"
        "d = 2026-01-01\n"
        "n = -0\n"
    )
    assert agrees(text) == {
        "a": 'q" b\\ n\n t\t ué U😀 \b\f\r',
        "m": 'line\u0041\n\tsecond "x"',
        "z": datetime(2026, 1, 1, 10, tzinfo=UTC),
        "o": datetime(2026, 1, 1, 10, 0, 0, 500000, tzinfo=timezone(-timedelta(hours=9.5))),
        "l": datetime(2026, 1, 1, 10),
        "d": date(2026, 1, 1),
        "n": 0,
    }


@st.composite
def mutants(draw: st.DrawFn, texts: list[str]) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif action == "duplicate":
            piece = text[at : at + draw(st.integers(1, 200))]
            text = text[:at] + piece * draw(st.integers(2, 4)) + text[at:]
        else:
            text = text[:at] + draw(st.sampled_from([*list('"\\[]{}=,.#\n \t-:0'), ""])) + text[at:]
    return text


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutants_of_real_files_are_read_the_same_or_left_to_tomllib(demo_texts, data) -> None:
    agrees(data.draw(mutants(demo_texts)))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet='[]{}=,."\\#\n ax1_-:TZ+', max_size=200))
def test_punctuation_is_read_the_same_or_left_to_tomllib(text) -> None:
    agrees(text)


def test_what_is_read_fast_passes_the_structure_check(demo_texts) -> None:
    """The gate skips its nesting and dotted-key check for what the fast reader read: it could
    find nothing there."""
    for text in demo_texts:
        assert loads(text) is not None and structure_problem(text, "x.toml") is None


def test_the_gate_still_names_the_place_of_a_mistake(demo_texts) -> None:
    session = next(text for text in demo_texts if "\n[[steps]]\n" in text)
    broken = session.replace("\n[[steps]]\n", "\n[[steps]]\nid == 1\n", 1)
    assert loads(broken) is None
    with pytest.raises(FileProblems) as caught:
        parse_toml(broken, "s.toml")
    with pytest.raises(tomllib.TOMLDecodeError) as original:
        tomllib.loads(broken)
    (problem,) = caught.value.problems
    assert f"(at line {problem.line}, column {problem.col})" in str(original.value)


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**18, 2**70])
def test_a_huge_number_is_left_to_the_gate_and_refused_as_before(number) -> None:
    """The gate checks the numbers of what tomllib read; the fast reader leaves it every number
    of more than 18 digits, so what it reads never needs that check."""
    text = f"a = {number}\n"
    assert loads(text) is None
    assert loads(f"a = {10**18 - 1}\n") == {"a": 10**18 - 1}
    if -(2**63) <= number < 2**63:
        assert parse_toml(text, "n.toml") == {"a": number}
        return
    with pytest.raises(FileProblems) as caught:
        parse_toml(text, "n.toml")
    assert "whole number outside" in caught.value.problems[0].message
