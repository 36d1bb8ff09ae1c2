"""Every rule of the protocol file format, broken once, reported on the right line and key.

Each test writes a small TOML file, loads it through ``load_protocol_file`` and checks the
``Problem`` exactly: line, column, key path and (a fragment of) the message. The documents are
written out in full so the expected line numbers can be counted by eye.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from protocolrunner.core.base.problems import FileProblems, Problem
from protocolrunner.core.protocol.library import load_protocol_file

# -- helpers -------------------------------------------------------------------------------------

VALID = """\
format = 1
id = "demo"
title = "Demo"
summary = "A demo."

[[roles]]
id = "lead"
name = "Lead"

[[roles]]
id = "others"
name = "Others"
rest = true

[[steps]]
id = "talk"
title = "Talk"
minutes = 5
speakers = ["lead"]
silent = ["others"]
"""


def write(folder: Path, text: str, name: str = "p.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(FileProblems) as info:
        load_protocol_file(path)
    found = info.value.problems
    assert found, "FileProblems without problems"
    assert all(problem.file == str(path) for problem in found)
    return found


def problems(folder: Path, text: str) -> list[Problem]:
    return problems_of(write(folder, text))


def one(folder: Path, text: str) -> Problem:
    found = problems(folder, text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def where(problem: Problem) -> tuple[int, int, str]:
    return problem.line, problem.col, problem.key


def test_the_reference_document_is_valid(tmp_path):
    entry = load_protocol_file(write(tmp_path, VALID))
    assert entry.id == "demo"
    assert [role.id for role in entry.protocol.roles] == ["lead", "others"]


# -- unknown keys --------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_close_one(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        titel = "Demo again"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (4, 1, "titel")
    assert problem.message == "unknown key 'titel' (did you mean 'title'?)"


def test_unknown_key_without_a_close_match_lists_the_allowed_ones(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        zzz = 1
        """,
    )
    assert where(problem) == (7, 1, "zzz")
    assert problem.message == (
        "unknown key 'zzz' (allowed: format, id, title, version, summary, purpose, source, tags, "
        "group_size, roles, setup, steps)"
    )


def test_unknown_key_in_a_role(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [[roles]]
        id = "lead"
        nmae = "Lead"

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        """,
    )
    # The misspelt key, and the required one it was meant to be, both reported.
    assert [where(p) for p in found] == [(6, 1, "roles[0].name"), (8, 1, "roles[0].nmae")]
    assert found[0].message == "missing required key 'name'"
    assert found[1].message == "unknown key 'nmae' (did you mean 'name'?)"


def test_unknown_key_in_a_step(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        speaker = ["lead"]
        """,
    )
    assert where(problem) == (11, 1, "steps[0].speaker")
    assert problem.message == "unknown key 'speaker' (did you mean 'speakers'?)"


def test_unknown_key_in_a_capture_table(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "first"
        title = "First"
        minutes = 5

        [[steps]]
        id = "second"
        title = "Second"
        minutes = 5

          [[steps.capture]]
          id = "notes"
          lable = "Notes"
        """,
    )
    assert [where(p) for p in found] == [
        (17, 3, "steps[1].capture[0].label"),
        (19, 3, "steps[1].capture[0].lable"),
    ]
    assert found[0].message == "missing required key 'label'"
    assert found[1].message == "unknown key 'lable' (did you mean 'label'?)"


def test_unknown_key_in_a_setup_question(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]

        [[setup]]
        id = "focus"
        label = "Focusing question"
        requierd = true
        """,
    )
    assert where(problem) == (11, 1, "setup[0].requierd")
    assert problem.message == "unknown key 'requierd' (did you mean 'required'?)"


def test_unknown_key_in_an_inline_group_size(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { mni = 1 }
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 16, "group_size.mni")
    assert problem.message == "unknown key 'mni' (did you mean 'min'?)"


# -- missing keys --------------------------------------------------------------------------------


def test_missing_step_key_is_reported_at_the_step_header(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "talk"
        minutes = 5
        """,
    )
    assert where(problem) == (7, 1, "steps[0].title")
    assert problem.message == "missing required key 'title'"


def test_missing_key_in_the_second_role_points_at_its_own_header(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [[roles]]
        id = "lead"
        name = "Lead"

        [[roles]]
        id = "others"
        rest = true

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        """,
    )
    assert where(problem) == (10, 1, "roles[1].name")
    assert problem.message == "missing required key 'name'"


def test_missing_key_in_an_inline_step_points_at_its_brace(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [
          { id = "one", title = "One", minutes = 5 },
          { id = "two", minutes = 5 },
        ]
        """,
    )
    assert where(problem) == (8, 3, "steps[1].title")
    assert problem.message == "missing required key 'title'"


def test_missing_top_level_keys_are_reported_at_the_start(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert [where(p) for p in found] == [(1, 1, "title"), (1, 1, "summary")]
    assert [p.message for p in found] == [
        "missing required key 'title'",
        "missing required key 'summary'",
    ]


def test_missing_steps(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        """,
    )
    assert where(problem) == (1, 1, "steps")
    assert problem.message == "missing required key 'steps'"


def test_empty_steps_list(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = []
        """,
    )
    assert where(problem) == (6, 1, "steps")
    assert problem.message == "needs at least one entry"


def test_empty_roles_list(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = []
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 1, "roles")
    assert problem.message == "needs at least one entry"


# -- wrong types ---------------------------------------------------------------------------------

TYPED = """\
format = 1
id = "demo"
title = "Demo"
summary = "A demo."

[[roles]]
id = "lead"
name = "Lead"
{role_extra}

[[steps]]
id = "talk"
title = "Talk"
{step_extra}
"""


@pytest.mark.parametrize(
    ("role_extra", "step_extra", "expected_where", "message"),
    [
        ("", 'minutes = "five"', (14, 1, "steps[0].minutes"), "should be a number (got 'five')"),
        ("", "minutes = [5]", (14, 1, "steps[0].minutes"), "should be a number (got [5])"),
        (
            "count = 2.5",
            "minutes = 5",
            (9, 1, "roles[0].count"),
            "should be a whole number, without a fractional part (got 2.5)",
        ),
        (
            'count = "two"',
            "minutes = 5",
            (9, 1, "roles[0].count"),
            "should be a whole number (got 'two')",
        ),
        (
            'rest = "sometimes"',
            "minutes = 5",
            (9, 1, "roles[0].rest"),
            "should be true or false (got 'sometimes')",
        ),
        (
            "",
            'minutes = 5\nspeakers = "lead"',
            (15, 1, "steps[0].speakers"),
            'should be a list, like ["a", "b"] (got \'lead\')',
        ),
        (
            "",
            'minutes = 5\nspeakers = [["lead"]]',
            (15, 13, "steps[0].speakers[0]"),
            "should be text in quotes (got ['lead'])",
        ),
        (
            "",
            "minutes = 5\ninstructions = 1979-05-27",
            (15, 1, "steps[0].instructions"),
            "should be text in quotes (got datetime.date(1979, 5, 27))",
        ),
    ],
    ids=[
        "text-minutes",
        "list-minutes",
        "fractional-count",
        "text-count",
        "text-rest",
        "text-speakers",
        "nested-speakers",
        "date-instructions",
    ],
)
def test_wrong_types(tmp_path, role_extra, step_extra, expected_where, message):
    text = TYPED.format(role_extra=role_extra, step_extra=step_extra)
    problem = one(tmp_path, text)
    assert where(problem) == expected_where
    assert problem.message == message


def test_number_for_a_title(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = 1
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (3, 1, "title")
    assert problem.message == "should be text in quotes (got 1)"


def test_number_for_group_size_and_table_for_roles(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = 4
        roles = { id = "lead", name = "Lead" }
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert [where(p) for p in found] == [(5, 1, "group_size"), (6, 1, "roles")]
    assert found[0].message == "should be a table (got 4)"
    assert found[1].message.startswith('should be a list, like ["a", "b"] (got {')


# pydantic's lax mode turns these into numbers and booleans; the published JSON Schema (and
# every editor using it) rejects them, and `count = true` silently means "exactly one person".
@pytest.mark.parametrize(
    ("role_extra", "step_extra", "expected_where"),
    [
        ("count = true", "minutes = 5", (9, 1, "roles[0].count")),
        ("", "minutes = true", (14, 1, "steps[0].minutes")),
        ("", 'minutes = "5"', (14, 1, "steps[0].minutes")),
        ("rest = 1", "minutes = 5", (9, 1, "roles[0].rest")),
    ],
    ids=["bool-count", "bool-minutes", "quoted-minutes", "int-rest"],
)
def test_wrong_types_that_are_silently_coerced(tmp_path, role_extra, step_extra, expected_where):
    text = TYPED.format(role_extra=role_extra, step_extra=step_extra)
    problem = one(tmp_path, text)
    assert where(problem) == expected_where


# -- ids -----------------------------------------------------------------------------------------


def test_protocol_id_must_be_a_slug(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "Demo Thing"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (2, 1, "id")
    assert problem.message == (
        "should be an id of lowercase letters, digits and dashes, like 'focus-question' "
        "(got 'Demo Thing')"
    )


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("Lead", "lowercase letters, digits and dashes"),
        ("lead-", "(got 'lead-')"),
        ("-lead", "(got '-lead')"),
        ("le--ad", "(got 'le--ad')"),
        ("le_ad", "(got 'le_ad')"),
        ("", "must not be empty"),
        ("a" * 65, "is too long (at most 64 characters)"),
    ],
)
def test_role_and_step_ids_must_be_slugs(tmp_path, bad, fragment):
    found = problems(
        tmp_path,
        f"""\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [[roles]]
        id = "{bad}"
        name = "Lead"

        [[steps]]
        id = "{bad}"
        title = "Talk"
        minutes = 5
        """,
    )
    assert [where(p) for p in found] == [(7, 1, "roles[0].id"), (11, 1, "steps[0].id")]
    assert all(fragment in p.message for p in found)


def test_role_references_must_be_slugs(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        speakers = ["lead", "The Lead"]
        """,
    )
    assert where(problem) == (11, 21, "steps[0].speakers[1]")
    assert "(got 'The Lead')" in problem.message


# -- minutes and warnings ------------------------------------------------------------------------

STEP_MINUTES = """\
format = 1
id = "demo"
title = "Demo"
summary = "A demo."
roles = [{{ id = "lead", name = "Lead" }}]

[[steps]]
id = "talk"
title = "Talk"
minutes = {minutes}
"""


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        ("0", "must be more than 0 (got 0)"),
        ("-1", "must be more than 0 (got -1)"),
        ("0.0", "must be more than 0 (got 0.0)"),
        ("241", "must be at most 240 (got 241)"),
        ("240.5", "must be at most 240 (got 240.5)"),
        ("inf", "must be at most 240 (got inf)"),
        ("0.001", "a step lasts at least one second"),
    ],
)
def test_minutes_out_of_range(tmp_path, minutes, message):
    problem = one(tmp_path, STEP_MINUTES.format(minutes=minutes))
    assert where(problem) == (10, 1, "steps[0].minutes")
    assert problem.message == message


@pytest.mark.parametrize("minutes", ["240", "0.5", "2.5", "1"])
def test_minutes_in_range(tmp_path, minutes):
    entry = load_protocol_file(write(tmp_path, STEP_MINUTES.format(minutes=minutes)))
    assert entry.protocol.steps[0].minutes == float(minutes)


def test_warn_seconds_must_be_shorter_than_the_step(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "short"
        title = "Short"
        minutes = 1
        warn_seconds = 59

        [[steps]]
        id = "same"
        title = "Same"
        minutes = 1
        warn_seconds = 60

        [[steps]]
        id = "longer"
        title = "Longer"
        minutes = 0.5
        warn_seconds = 45
        """,
    )
    assert [where(p) for p in found] == [
        (17, 1, "steps[1].warn_seconds"),
        (23, 1, "steps[2].warn_seconds"),
    ]
    assert found[0].message == "warn_seconds (60) must be less than the step's 60 seconds"
    assert found[1].message == "warn_seconds (45) must be less than the step's 30 seconds"


def test_negative_warn_seconds(tmp_path):
    problem = one(tmp_path, STEP_MINUTES.format(minutes="5\nwarn_seconds = -1"))
    assert where(problem) == (11, 1, "steps[0].warn_seconds")
    assert problem.message == "must be at least 0 (got -1)"


# -- duplicate ids -------------------------------------------------------------------------------


def test_duplicate_role_ids(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 2 }

        [[roles]]
        id = "lead"
        name = "Lead"

        [[roles]]
        id = "lead"
        name = "Second lead"

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        """,
    )
    assert where(problem) == (12, 1, "roles[1].id")
    assert problem.message == "duplicate role id 'lead' (first used by roles[0])"


def test_duplicate_setup_ids(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        setup = [
          { id = "focus", label = "Focus" },
          { id = "context", label = "Context" },
          { id = "focus", label = "Focus again" },
        ]
        """,
    )
    assert where(problem) == (10, 5, "setup[2].id")
    assert problem.message == "duplicate setup id 'focus' (first used by setup[0])"


def test_duplicate_step_ids(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5

        [[steps]]
        id = "other"
        title = "Other"
        minutes = 5

        [[steps]]
        title = "Talk again"
        id = "talk"
        minutes = 5
        """,
    )
    assert where(problem) == (19, 1, "steps[2].id")
    assert problem.message == "duplicate step id 'talk' (first used by steps[0])"


def test_duplicate_capture_ids_in_the_right_step(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "one"
        title = "One"
        minutes = 5

          [[steps.capture]]
          id = "notes"
          label = "Notes"

        [[steps]]
        id = "two"
        title = "Two"
        minutes = 5

          [[steps.capture]]
          id = "notes"
          label = "Notes"

          [[steps.capture]]
          id = "notes"
          label = "More notes"
        """,
    )
    assert where(problem) == (26, 3, "steps[1].capture[1].id")
    assert problem.message == "duplicate capture id 'notes' (first used by steps[1].capture[0])"


# -- role references in steps --------------------------------------------------------------------

ROLES_AND_STEP = """\
format = 1
id = "demo"
title = "Demo"
summary = "A demo."

[[roles]]
id = "lead"
name = "Lead"

[[roles]]
id = "others"
name = "Others"
rest = true

[[steps]]
id = "talk"
title = "Talk"
minutes = 5
{lines}
"""


def test_unknown_role_in_speakers(tmp_path):
    problem = one(tmp_path, ROLES_AND_STEP.format(lines='speakers = ["lead", "ghost"]'))
    assert where(problem) == (19, 21, "steps[0].speakers[1]")
    assert problem.message == "unknown role 'ghost' (roles: lead, others)"


def test_unknown_role_in_silent(tmp_path):
    problem = one(tmp_path, ROLES_AND_STEP.format(lines='silent = [ "ghost" ]'))
    assert where(problem) == (19, 12, "steps[0].silent[0]")
    assert problem.message == "unknown role 'ghost' (roles: lead, others)"


def test_role_both_speaker_and_silent(tmp_path):
    problem = one(
        tmp_path,
        ROLES_AND_STEP.format(lines='speakers = ["lead"]\nsilent = ["others", "lead"]'),
    )
    assert where(problem) == (20, 21, "steps[0].silent[1]")
    assert problem.message == "role 'lead' is both a speaker and silent"


def test_role_listed_twice(tmp_path):
    problem = one(tmp_path, ROLES_AND_STEP.format(lines='speakers = ["lead", "lead"]'))
    assert where(problem) == (19, 1, "steps[0].speakers")
    assert problem.message == "role 'lead' is listed 2 times"


# -- role counts ---------------------------------------------------------------------------------


def test_more_than_one_rest_role(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [
          { id = "lead", name = "Lead" },
          { id = "others", name = "Others", rest = true },
          { id = "watchers", name = "Watchers", rest = true },
        ]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (8, 41, "roles[2].rest")
    assert problem.message == "only one role can be the rest; 'others' already is"


@pytest.mark.parametrize(
    ("extra", "expected_where"),
    [
        ("count = 2\nmin = 1", (11, 1, "roles[0].min")),
        ("count = 2\nmax = 3", (11, 1, "roles[0].max")),
        ("min = 1\ncount = 2", (10, 1, "roles[0].min")),
    ],
)
def test_count_excludes_min_and_max(tmp_path, extra, expected_where):
    problem = one(
        tmp_path,
        f"""\
format = 1
id = "demo"
title = "Demo"
summary = "A demo."
group_size = {{ min = 2 }}

[[roles]]
id = "lead"
name = "Lead"
{extra}

[[steps]]
id = "talk"
title = "Talk"
minutes = 5
""",
    )
    assert where(problem) == expected_where
    assert problem.message == "use either count or min/max, not both"


def test_role_min_more_than_max(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 3 }
        roles = [
          { id = "lead", name = "Lead", max = 2, min = 3 },
          { id = "others", name = "Others", rest = true },
        ]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (7, 42, "roles[0].min")
    assert problem.message == "min (3) is more than max (2)"


def test_role_max_must_be_positive(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }, { id = "extra", name = "Extra", max = 0 }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 74, "roles[1].max")
    assert problem.message == "must be at least 1 (got 0)"


def test_joins_an_unknown_role_and_itself(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [[roles]]
        id = "lead"
        name = "Lead"
        joins = [
          "ghost",
          "lead",
          "others",
        ]

        [[roles]]
        id = "others"
        name = "Others"
        rest = true

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        """,
    )
    assert [where(p) for p in found] == [(10, 3, "roles[0].joins[0]"), (11, 3, "roles[0].joins[1]")]
    assert found[0].message == "unknown role 'ghost' (roles: lead, others)"
    assert found[1].message == "a role cannot join itself"


# -- group size ----------------------------------------------------------------------------------


def test_group_size_min_more_than_max(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 5, max = 3 }
        roles = [{ id = "lead", name = "Lead" }, { id = "rest", name = "Rest", rest = true }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 16, "group_size.min")
    assert problem.message == "min (5) is more than max (3)"


def test_group_size_min_must_be_positive(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 0 }
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 16, "group_size.min")
    assert problem.message == "must be at least 1 (got 0)"


def test_group_size_below_what_the_roles_need(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 2, max = 10 }
        roles = [
          { id = "lead", name = "Lead" },
          { id = "scribe", name = "Scribe" },
          { id = "others", name = "Others", rest = true, min = 1 },
        ]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 16, "group_size.min")
    assert problem.message == "the roles need at least 3 people; raise group_size.min to 3"


def test_group_size_max_below_what_the_roles_need(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 2, max = 2 }
        roles = [
          { id = "lead", name = "Lead" },
          { id = "others", name = "Others", count = 2 },
        ]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    # Both bounds are wrong; each is reported at its own key.
    assert [where(p) for p in found] == [(5, 16, "group_size.min"), (5, 25, "group_size.max")]
    assert found[0].message == "the roles need at least 3 people; raise group_size.min to 3"
    assert found[1].message == "the roles need at least 3 people but group_size.max is 2"


def test_group_size_above_what_the_roles_hold(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [group_size]
        max = 12
        min = 5

        [[roles]]
        id = "lead"
        name = "Lead"

        [[roles]]
        id = "helpers"
        name = "Helpers"
        min = 1
        max = 3

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        """,
    )
    assert where(problem) == (8, 1, "group_size.min")
    assert problem.message == (
        "the roles hold at most 4 people but group_size.min is 5; add a role with rest = true"
    )


def test_default_group_size_too_small_is_reported_at_the_start(tmp_path):
    # Nothing is written for group_size, so the nearest place is the top of the file.
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }, { id = "scribe", name = "Scribe" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (1, 1, "group_size.min")
    assert problem.message == "the roles need at least 2 people; raise group_size.min to 2"


# -- format --------------------------------------------------------------------------------------


def test_format_newer_than_this_release(tmp_path):
    problem = one(
        tmp_path,
        """\
        id = "demo"
        format = 2
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (2, 1, "format")
    assert problem.message == (
        "this file uses format 2, newer than this protocolrunner reads (1); upgrade protocolrunner"
    )


def test_format_zero(tmp_path):
    problem = one(
        tmp_path,
        """\
        id = "demo"
        title = "Demo"
        format = 0
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (3, 1, "format")
    assert problem.message == "format must be 1"


def test_missing_format(tmp_path):
    problem = one(
        tmp_path,
        """\
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (1, 1, "format")
    assert problem.message == "missing required key 'format'"


# -- files that are not valid TOML at all ---------------------------------------------------------


def test_toml_syntax_error_keeps_tomllib_line_and_column(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo
        summary = "A demo."
        """,
    )
    assert where(problem) == (3, 14, "")
    assert problem.message == "TOML syntax: illegal character '\\n'"


def test_toml_syntax_error_for_a_repeated_key(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        title = "Demo"
        """,
    )
    assert where(problem) == (4, 15, "")
    assert problem.message == "TOML syntax: cannot overwrite a value"


def test_toml_syntax_error_at_the_end_of_the_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('format = 1\nid = "demo"\ntags = ', encoding="utf-8")
    [problem] = problems_of(path)
    assert where(problem) == (3, 1, "")
    assert problem.message == "TOML syntax: invalid value at the end of the file"


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_and_blank_files(tmp_path, content):
    path = tmp_path / "p.toml"
    path.write_bytes(content)
    [problem] = problems_of(path)
    assert where(problem) == (1, 1, "")
    assert problem.message == "is empty"


def test_binary_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b'format = 1\nid = "demo"\x00\x01\x02\n')
    [problem] = problems_of(path)
    assert where(problem) == (1, 1, "")
    assert problem.message == "is a binary file, not TOML text"


def test_non_utf8_file_points_at_the_bad_byte(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b'format = 1\nid = "demo"\ntitle = "Caf\xe9"\n')
    [problem] = problems_of(path)
    assert where(problem) == (3, 13, "")
    assert problem.message == "is not UTF-8 text; save it as UTF-8"


def test_byte_order_mark_does_not_shift_columns(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xef\xbb\xbfgroup_size = { min = 0 }\n" + VALID.encode())
    [problem] = problems_of(path)
    assert where(problem) == (1, 16, "group_size.min")


def test_byte_order_mark_does_not_shift_syntax_error_columns(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xef\xbb\xbfformat = = 1\n")
    [problem] = problems_of(path)
    assert where(problem) == (1, 10, "")
    assert problem.message == "TOML syntax: invalid value"


def test_byte_order_mark_file_loads(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_protocol_file(path).id == "demo"


def test_folder_passed_as_a_file(tmp_path):
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    [problem] = problems_of(folder)
    assert where(problem) == (1, 1, "")
    assert problem.message == "is a folder, not a file"


def test_missing_path(tmp_path):
    [problem] = problems_of(tmp_path / "nowhere.toml")
    assert where(problem) == (1, 1, "")
    assert problem.message == "does not exist"


# -- finding keys in tricky TOML -----------------------------------------------------------------


def test_inline_table_keys_are_located_by_column(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size = { min = 1,   max = 0 }
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert where(problem) == (5, 27, "group_size.max")
    assert problem.message == "must be at least 1 (got 0)"


def test_multi_line_array_element_is_located_on_its_own_line(tmp_path):
    problem = one(
        tmp_path,
        ROLES_AND_STEP.format(
            lines='speakers = [\n  "lead",  # the lead opens\n\n    "ghost",\n  "others",\n]'
        ),
    )
    assert where(problem) == (22, 5, "steps[0].speakers[1]")
    assert problem.message == "unknown role 'ghost' (roles: lead, others)"


def test_toml_inside_multi_line_strings_does_not_confuse_the_scanner(tmp_path):
    problem = one(
        tmp_path,
        '''\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        purpose = """
        [[steps]]
        id = 1
        minutes = "a"
        """
        source = \'\'\'
        [[roles]]
        name = 'x'
        \'\'\'
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "one"
        title = "One"
        minutes = 5
        instructions = """Say "hi". [[steps]]
        [[steps]] # not a table
        minutes = 1 """
        prompts = ["[[steps]]", 'minutes = "x"', """a
        b"""]

        [[steps]]
        id = "two"
        title = "Two"
        minutes = 0
        ''',
    )
    assert where(problem) == (29, 1, "steps[1].minutes")
    assert problem.message == "must be more than 0 (got 0)"


def test_escaped_quotes_in_a_multi_line_string_do_not_confuse_the_scanner(tmp_path):
    problem = one(
        tmp_path,
        '''\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "one"
        title = "One"
        minutes = 5
        instructions = """Read out \\"""the question\\""" slowly."""

        [[steps]]
        id = "two"
        title = "Two"
        minutes = 0
        ''',
    )
    assert where(problem) == (16, 1, "steps[1].minutes")


def test_dotted_keys(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        group_size.min = 0
        group_size . max = 0
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]
        """,
    )
    assert [where(p) for p in found] == [(5, 12, "group_size.min"), (6, 14, "group_size.max")]
    assert [p.message for p in found] == ["must be at least 1 (got 0)"] * 2


def test_quoted_keys(tmp_path):
    found = problems(
        tmp_path,
        """\
        "format" = 1
        id = "demo"
        'title' = 1
        summary = "A demo."
        roles = [{ "id" = "lead", 'name' = "Lead", "co unt" = 1 }]
        steps = [{ id = "talk", title = "Talk", "minutes" = 5 }]
        """,
    )
    assert [where(p) for p in found] == [(3, 1, "title"), (5, 44, "roles[0].co unt")]
    assert found[0].message == "should be text in quotes (got 1)"
    assert found[1].message == "unknown key 'co unt' (did you mean 'count'?)"


def test_quoted_keys_with_escapes(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]

        [[steps]]
        id = "talk"
        title = "Talk"
        "minut\\u0065s" = 0
        """,
    )
    assert where(problem) == (10, 1, "steps[0].minutes")


def test_implicit_super_table_is_located_at_its_header(tmp_path):
    problem = one(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."
        roles = [{ id = "lead", name = "Lead" }]
        steps = [{ id = "talk", title = "Talk", minutes = 5 }]

        [meta.author]
        name = "Someone"
        """,
    )
    assert where(problem) == (8, 1, "meta")


def test_crlf_line_endings(tmp_path):
    path = tmp_path / "p.toml"
    text = ROLES_AND_STEP.format(lines='speakers = ["ghost"]').replace("\n", "\r\n")
    path.write_bytes(text.encode())
    [problem] = problems_of(path)
    assert where(problem) == (19, 13, "steps[0].speakers[0]")


# -- reporting -----------------------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_at_once_in_line_order(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "Demo"
        title = "Demo"
        summary = ""
        group_size = { min = 0 }

        [[roles]]
        id = "lead"
        name = "Lead"
        colour = "red"

        [[steps]]
        id = "one"
        minutes = 300

        [[steps]]
        id = "two"
        title = "Two"
        minutes = "long"
        """,
    )
    assert [where(p) for p in found] == [
        (2, 1, "id"),
        (4, 1, "summary"),
        (5, 16, "group_size.min"),
        (10, 1, "roles[0].colour"),
        (12, 1, "steps[0].title"),
        (14, 1, "steps[0].minutes"),
        (19, 1, "steps[1].minutes"),
    ]


def test_every_semantic_problem_is_reported_at_once(tmp_path):
    found = problems(
        tmp_path,
        """\
        format = 1
        id = "demo"
        title = "Demo"
        summary = "A demo."

        [[roles]]
        id = "lead"
        name = "Lead"

        [[roles]]
        id = "lead"
        name = "Lead"
        rest = true

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 5
        speakers = ["ghost"]
        silent = ["lead", "phantom"]

        [[steps]]
        id = "talk"
        title = "Talk"
        minutes = 1
        warn_seconds = 90
        """,
    )
    assert [(p.line, p.key) for p in found] == [
        (11, "roles[1].id"),
        (19, "steps[0].speakers[0]"),
        (20, "steps[0].silent[1]"),
        (23, "steps[1].id"),
        (26, "steps[1].warn_seconds"),
    ]


def test_problem_string_form(tmp_path):
    path = write(tmp_path, ROLES_AND_STEP.format(lines='speakers = ["ghost"]'))
    [problem] = problems_of(path)
    assert str(problem) == (
        f"{path}:19:13: steps[0].speakers[0]: unknown role 'ghost' (roles: lead, others)"
    )


def test_problem_string_form_without_a_key(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("")
    with pytest.raises(FileProblems) as info:
        load_protocol_file(path)
    assert str(info.value.problems[0]) == f"{path}:1:1: is empty"
    assert str(info.value) == f"{path}:1:1: is empty"


def test_file_problems_message_has_one_line_per_problem(tmp_path):
    path = write(tmp_path, STEP_MINUTES.format(minutes="0\ncolour = 1"))
    with pytest.raises(FileProblems) as info:
        load_protocol_file(path)
    assert str(info.value).splitlines() == [
        f"{path}:10:1: steps[0].minutes: must be more than 0 (got 0)",
        f"{path}:11:1: steps[0].colour: unknown key 'colour' (allowed: id, title, minutes, "
        "turns, speakers, silent, instructions, prompts, facilitator_notes, warn_seconds, capture)",
    ]
