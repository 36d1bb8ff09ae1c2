"""The key-path scanner: where each key of a TOML document is written."""

from __future__ import annotations

import string
import textwrap
import tomllib

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from support import time_limit

from protocolrunner.core.base.tomlpos import key_positions, locate


def positions(text: str) -> dict:
    text = textwrap.dedent(text)
    tomllib.loads(text)  # the scanner only ever sees documents tomllib accepted
    return key_positions(text)


# -- plain keys and tables -----------------------------------------------------------------------


def test_top_level_keys_and_comments():
    found = positions(
        """\
        # title = "not a key"
        format = 1   # id = "nor this"
          id = "demo"

        title = "Demo" # [[steps]]
        """
    )
    assert found == {("format",): (2, 1), ("id",): (3, 3), ("title",): (5, 1)}


def test_standard_table_headers():
    found = positions(
        """\
        title = "x"

        [group_size]
        min = 2
          max = 4

        [ other . "sub table" ]
        key = true
        """
    )
    assert found[("group_size",)] == (3, 1)
    assert found[("group_size", "min")] == (4, 1)
    assert found[("group_size", "max")] == (5, 3)
    assert found[("other", "sub table")] == (7, 1)
    assert found[("other", "sub table", "key")] == (8, 1)


def test_arrays_of_tables_count_their_elements():
    found = positions(
        """\
        [[roles]]
        id = "a"

        [[steps]]
        id = "one"

        [[roles]]
        id = "b"

        [[steps]]   # a comment after the header
        id = "two"
        """
    )
    assert found[("roles",)] == (1, 1)
    assert found[("roles", 0)] == (1, 1)
    assert found[("roles", 0, "id")] == (2, 1)
    assert found[("roles", 1)] == (7, 1)
    assert found[("roles", 1, "id")] == (8, 1)
    assert found[("steps",)] == (4, 1)
    assert found[("steps", 1)] == (10, 1)
    assert found[("steps", 1, "id")] == (11, 1)


def test_nested_arrays_of_tables_go_under_the_latest_step():
    found = positions(
        """\
        [[steps]]
        id = "one"
          [[steps.capture]]
          id = "a"
          [[steps.capture]]
          id = "b"

        [[steps]]
        id = "two"

        [[steps]]
        id = "three"
          [[ steps . capture ]]
          id = "c"
          label = "C"
        """
    )
    assert found[("steps", 0, "capture")] == (3, 3)
    assert found[("steps", 0, "capture", 0)] == (3, 3)
    assert found[("steps", 0, "capture", 0, "id")] == (4, 3)
    assert found[("steps", 0, "capture", 1)] == (5, 3)
    assert found[("steps", 0, "capture", 1, "id")] == (6, 3)
    assert ("steps", 1, "capture") not in found
    assert found[("steps", 2, "capture", 0)] == (13, 3)
    assert found[("steps", 2, "capture", 0, "label")] == (15, 3)
    assert ("steps", 2, "capture", 1) not in found


def test_sub_table_of_an_array_of_tables_element():
    found = positions(
        """\
        [[steps]]
        id = "one"
        [[steps]]
        id = "two"
        [steps.extra]
        x = 1
        """
    )
    assert found[("steps", 1, "extra")] == (5, 1)
    assert found[("steps", 1, "extra", "x")] == (6, 1)


# -- keys ----------------------------------------------------------------------------------------


def test_dotted_keys_record_every_part():
    found = positions(
        """\
        group_size.min = 1
        a . "b c" . 'd.e' = 2
        """
    )
    assert found[("group_size",)] == (1, 1)
    assert found[("group_size", "min")] == (1, 12)
    assert found[("a",)] == (2, 1)
    assert found[("a", "b c")] == (2, 5)
    assert found[("a", "b c", "d.e")] == (2, 13)


def test_quoted_keys_are_single_keys():
    found = positions(
        """\
        "a.b" = 1
        'c d' = 2
        "" = 3
        "é" = 4
        """
    )
    assert found == {("a.b",): (1, 1), ("c d",): (2, 1), ("",): (3, 1), ("é",): (4, 1)}


# -- values --------------------------------------------------------------------------------------


def test_inline_tables_give_columns():
    found = positions(
        """\
        group_size = { min = 2, max = 4 }
        nested = {a={b={c=1}}, "q k" = 2}
        empty = {}
        """
    )
    assert found[("group_size", "min")] == (1, 16)
    assert found[("group_size", "max")] == (1, 25)
    assert found[("nested", "a", "b", "c")] == (2, 17)
    assert found[("nested", "q k")] == (2, 24)
    assert found[("empty",)] == (3, 1)


def test_arrays_of_inline_tables():
    found = positions(
        """\
        steps = [
          { id = "a", title = "A" },
            {id="b",title="B"},  # a comment
        ]
        """
    )
    assert found[("steps", 0)] == (2, 3)
    assert found[("steps", 0, "id")] == (2, 5)
    assert found[("steps", 0, "title")] == (2, 15)
    assert found[("steps", 1)] == (3, 5)
    assert found[("steps", 1, "id")] == (3, 6)
    assert found[("steps", 1, "title")] == (3, 13)


def test_array_elements_on_their_own_lines_with_comments():
    found = positions(
        """\
        speakers = [ # who talks
          "lead",    # first
          # "ghost",
          'others', [1, [2, 3]],
        ]
        after = 1
        """
    )
    assert found[("speakers", 0)] == (2, 3)
    assert found[("speakers", 1)] == (4, 3)
    assert found[("speakers", 2)] == (4, 13)
    assert found[("speakers", 2, 1, 0)] == (4, 18)
    assert ("speakers", 3) not in found
    assert found[("after",)] == (6, 1)


def test_strings_that_look_like_toml():
    found = positions(
        '''\
        a = 'he said "hi" # not a comment'
        b = "quote \\" and backslash \\\\"
        c = """
        [[steps]]
        id = 1"""
        d = \'\'\'
        [[roles]]
        name = 'x' \'\'\'
        e = """two extra quotes end the value"""""
        f = \'\'\'one extra\'\'\'\'
        g = ["x = 1", 'y = [', """]"""]
        last = 1
        '''
    )
    assert found == {
        ("a",): (1, 1),
        ("b",): (2, 1),
        ("c",): (3, 1),
        ("d",): (6, 1),
        ("e",): (9, 1),
        ("f",): (10, 1),
        ("g",): (11, 1),
        ("g", 0): (11, 6),
        ("g", 1): (11, 15),
        ("g", 2): (11, 24),
        ("last",): (12, 1),
    }


def test_multi_line_basic_string_with_line_continuations():
    found = positions(
        '''\
        source = """\\
        Developed by someone, \\
        revised by others."""
        next = 1
        '''
    )
    assert found == {("source",): (1, 1), ("next",): (4, 1)}


def test_crlf_line_endings_give_the_same_positions():
    text = textwrap.dedent(
        '''\
        a = 1 # comment
        [[steps]]
        id = "one"
        notes = """x
        y"""
        speakers = [
          "lead",
        ]
        [[steps.capture]]
        id = "c"
        '''
    )
    crlf = text.replace("\n", "\r\n")
    assert tomllib.loads(crlf) == tomllib.loads(text)
    assert key_positions(crlf) == key_positions(text)
    assert key_positions(crlf)[("steps", 0, "speakers", 0)] == (7, 3)
    assert key_positions(crlf)[("steps", 0, "capture", 0, "id")] == (10, 1)


def test_columns_count_characters_not_bytes():
    found = positions('title = "café"\nx = { "é" = 1, b = 2 }\n')
    assert found[("x", "b")] == (2, 16)


# -- robustness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        'a = "unterminated\nb = 1\n',
        "a = 1\nb = = 2\n",
        "[[steps]\nid = 1\n",
        "a = [1, 2\n",
        "a = {\n",
        '"abc\n',
        "=",
        "[",
        "a = '''never closed\n",
    ],
)
def test_never_raises_on_text_tomllib_would_reject(text):
    with time_limit(5):
        found = key_positions(text)
    assert isinstance(found, dict)


def test_stops_quietly_keeping_what_it_found():
    found = key_positions('a = 1\nb = "open\nc = 3\n')
    assert found[("a",)] == (1, 1)
    assert ("c",) not in found


HANG = 'x = """a\\"""\ny = [ }\n"""\nz = 1\n'


def test_escaped_quotes_in_multi_line_basic_strings():
    found = positions(
        '''\
        a = """He said \\"""stop\\""". """
        b = 1
        '''
    )
    assert found == {("a",): (1, 1), ("b",): (2, 1)}


def test_the_hang_document_is_valid_toml():
    assert tomllib.loads(HANG) == {"x": 'a"""\ny = [ }\n', "z": 1}


@pytest.mark.parametrize("text", [HANG, "a = [ } ]\n"], ids=["valid-toml", "invalid-toml"])
def test_scanner_always_terminates(text):
    with time_limit(2):
        found = key_positions(text)
    assert ("a",) in found or found[("z",)] == (4, 1)


def test_quoted_keys_with_escape_sequences():
    found = positions('"ti\\u0074le" = 1\n"a\\"b" = 2\n')
    assert found == {("title",): (1, 1), ('a"b',): (2, 1)}


def test_implicit_super_tables_are_located_at_their_first_header():
    found = positions("[meta.author]\nname = 1\n")
    assert found[("meta",)] == (1, 1)


# -- locate --------------------------------------------------------------------------------------


def test_locate_exact_and_nearest_ancestor():
    found = positions(
        """\
        title = "x"
        [[steps]]
        id = "one"
        [[steps]]
        id = "two"
        speakers = ["a", "b"]
        """
    )
    assert locate(found, ("steps", 1, "speakers", 1)) == (6, 18)
    # A missing key is placed at its table, a missing element at its array.
    assert locate(found, ("steps", 1, "minutes")) == (4, 1)
    assert locate(found, ("steps", 1, "speakers", 5)) == (6, 1)
    assert locate(found, ("steps", 7, "title")) == (2, 1)
    assert locate(found, ("title",)) == (1, 1)


def test_locate_with_nothing_known_is_the_start_of_the_file():
    assert locate({}, ("steps", 0, "title")) == (1, 1)
    assert locate({("a",): (3, 4)}, ()) == (1, 1)
    assert locate({("a",): (3, 4)}, ["a", "b"]) == (3, 4)


# -- property: any document tomli_w writes ------------------------------------------------------

# Keys are bare or need quoting (spaces, dots, punctuation, non-ASCII, quotes and backslashes,
# which tomli_w writes as escape sequences).
KEY_CHARS = string.ascii_letters + string.digits + "_- .#=[]{}'é,ß\"\\"
keys = st.text(alphabet=KEY_CHARS, max_size=8)
scalars = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=20),
)


def tables(children):
    # tomli_w writes a [header] for a table only when it holds a plain value (or nothing); a
    # table holding only sub-tables is placed at the first header that names it.
    return st.dictionaries(keys, children, max_size=4)


values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), tables(children)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=6)


def written(key: str) -> str:
    """A key as tomli_w writes it (quotes and backslashes escaped), minus the quotes."""
    return key.replace("\\", "\\\\").replace('"', '\\"')


def key_paths(value, prefix=()):
    """Every key path in ``value``: table keys and array indexes, at any depth."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, child in items:
        path = (*prefix, key)
        yield path
        yield from key_paths(child, path)


@settings(max_examples=200, deadline=None)
@given(data=documents, multiline=st.booleans(), crlf=st.booleans())
def test_every_key_of_a_generated_document_is_found(data, multiline, crlf):
    text = tomli_w.dumps(data, multiline_strings=multiline)
    if crlf:
        text = text.replace("\n", "\r\n")
    tomllib.loads(text)  # still a valid document
    with time_limit(5):
        found = key_positions(text)
    lines = text.split("\n")
    for key in data:
        assert (key,) in found, (key, text)
        line, col = found[(key,)]
        assert written(key) in lines[line - 1], (key, line, text)
        assert col >= 1
    # Nested keys and array elements are found too; keys on a line that names them.
    for path in key_paths(data):
        assert path in found, (path, text)
        line, _ = found[path]
        if isinstance(path[-1], str):
            assert written(path[-1]) in lines[line - 1], (path, line, text)
