"""The three-way merge of record files: ordinary edits on two sides never conflict, and no
merged file ever holds conflict markers."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocolrunner.core.base.problems import parse_toml
from protocolrunner.core.record.folder import community_toml, session_toml, to_toml
from protocolrunner.core.record.merge import Conflict, merge_record_file
from protocolrunner.core.record.models import (
    Community,
    RecordedAction,
    RecordedProtocol,
    RoleHolders,
    SessionRecord,
)

MARKERS = re.compile(r"^(?:<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
CET = timezone(timedelta(hours=1))
COMMUNITY = "community.toml"
SESSION = "sessions/2026/2026-09-12-consultancy-00000002.toml"


def community(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Maths CoP",
        "purpose": "Better questions in maths lessons",
        "goals": ["Try one new question a week"],
        "norms": ["Start on time", "Assume good intent"],
        "cadence": "Every other Tuesday",
        "members": [
            {"name": "Ann Lee", "note": "Grade 7"},
            {"name": "Ben Ode", "note": "Grade 8"},
            {"name": "Cal Ruiz", "note": ""},
        ],
    }
    data.update(changes)
    return data


def text(data: dict[str, Any]) -> str:
    return community_toml(Community.model_validate(data))


def edit(data: dict[str, Any], change) -> dict[str, Any]:
    copied = copy.deepcopy(data)
    change(copied)
    return copied


def merged_data(base, ours, theirs, name=COMMUNITY):
    result = merge_record_file(base, ours, theirs, name)
    assert not MARKERS.search(result.text)
    return parse_toml(result.text, name), result.conflicts


def names(data: dict[str, Any]) -> list[str]:
    return [m["name"] for m in data["members"]]


def member(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in data["members"] if m["name"] == name)


# -- community.toml ----------------------------------------------------------------------------


def test_members_added_at_the_end_on_both_sides_are_both_kept():
    base = community()
    ours = edit(base, lambda d: d["members"].append({"name": "Zoe Adams", "note": "Art"}))
    theirs = edit(base, lambda d: d["members"].append({"name": "Yuri Berg", "note": ""}))
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert names(data) == ["Ann Lee", "Ben Ode", "Cal Ruiz", "Zoe Adams", "Yuri Berg"]
    assert member(data, "Zoe Adams")["note"] == "Art"
    assert conflicts == []


def test_edits_of_different_keys_are_both_applied():
    base = community()
    ours = edit(base, lambda d: d.update(purpose="Better questions, and listening"))
    theirs = edit(base, lambda d: d.update(norms=["Start on time", "Phones away"]))
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert data["purpose"] == "Better questions, and listening"
    assert data["norms"] == ["Start on time", "Phones away"]
    assert conflicts == []


def test_the_same_key_edited_on_both_sides_keeps_theirs_and_reports_ours():
    base = community()
    ours = edit(base, lambda d: d.update(purpose="Ours: reading across subjects"))
    theirs = edit(base, lambda d: d.update(purpose="Theirs: questioning in maths"))
    result = merge_record_file(text(base), text(ours), text(theirs), COMMUNITY)
    data = parse_toml(result.text, COMMUNITY)
    assert data["purpose"] == "Theirs: questioning in maths"
    assert result.conflicts == [
        Conflict("purpose", "Theirs: questioning in maths", "Ours: reading across subjects")
    ]
    for marker in ("<<<<<<<", "=======", ">>>>>>>"):
        assert not any(line.startswith(marker) for line in result.text.splitlines())
    # Written as protocolrunner writes a community file.
    assert result.text == text(data)


def test_a_removal_and_an_edit_of_another_member_are_both_applied():
    base = community()
    ours = edit(base, lambda d: d["members"].pop(0))
    theirs = edit(base, lambda d: d["members"][1].update(note="Grade 8, head of year"))
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert names(data) == ["Ben Ode", "Cal Ruiz"]
    assert member(data, "Ben Ode")["note"] == "Grade 8, head of year"
    assert conflicts == []


def test_a_member_removed_on_one_side_and_edited_on_the_other_is_kept_and_reported():
    base = community()
    ours = edit(base, lambda d: d["members"].pop(1))
    theirs = edit(base, lambda d: d["members"][1].update(note="Moved to Grade 9"))
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert names(data) == ["Ann Lee", "Cal Ruiz", "Ben Ode"]
    assert member(data, "Ben Ode")["note"] == "Moved to Grade 9"
    [conflict] = conflicts
    assert conflict.key == "members[Ben Ode]"
    assert "Moved to Grade 9" in conflict.kept and conflict.other == ""
    assert parse_toml(conflict.kept, "kept")["members"][0]["name"] == "Ben Ode"
    # ... and the other way round: the changed one is kept again.
    data, conflicts = merged_data(text(base), text(theirs), text(ours))
    assert member(data, "Ben Ode")["note"] == "Moved to Grade 9"
    assert [c.key for c in conflicts] == ["members[Ben Ode]"]


def test_the_same_member_added_on_both_sides_appears_once():
    base = community()
    change = edit(base, lambda d: d["members"].append({"name": "Zoe Adams", "note": "Art"}))
    also = edit(change, lambda d: d.update(cadence="Weekly"))
    data, conflicts = merged_data(text(base), text(change), text(also))
    assert names(data).count("Zoe Adams") == 1
    assert data["cadence"] == "Weekly"
    assert conflicts == []


def test_a_member_edited_both_ways_keeps_theirs_note():
    base = community()
    ours = edit(base, lambda d: d["members"][0].update(note="Ours"))
    theirs = edit(base, lambda d: d["members"][0].update(note="Theirs"))
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert member(data, "Ann Lee")["note"] == "Theirs"
    assert conflicts == [Conflict("members[Ann Lee].note", "Theirs", "Ours")]


def test_a_file_added_on_both_sides_merges_as_from_an_empty_base():
    ours = community(purpose="Ours", members=[{"name": "Ann Lee", "note": "A"}])
    theirs = community(
        purpose="Theirs",
        norms=["Start on time", "Assume good intent", "Phones away"],
        members=[{"name": "Ann Lee", "note": "A"}, {"name": "Yuri Berg", "note": ""}],
    )
    for base in (None, "", "   \n"):
        data, conflicts = merged_data(base, text(ours), text(theirs))
        assert data["purpose"] == "Theirs"
        assert names(data) == ["Ann Lee", "Yuri Berg"]
        assert data["norms"] == ["Start on time", "Assume good intent", "Phones away"]
        assert conflicts == [Conflict("purpose", "Theirs", "Ours")]


def test_a_base_that_does_not_parse_counts_as_empty():
    ours = community(cadence="Weekly")
    theirs = community(purpose="New purpose")
    data, conflicts = merged_data("name = [", text(ours), text(theirs))
    # Every value is then added on both sides: where they differ, theirs is kept.
    assert data["purpose"] == "New purpose"
    assert data["cadence"] == "Every other Tuesday"
    assert conflicts == [
        Conflict("purpose", "New purpose", "Better questions in maths lessons"),
        Conflict("cadence", "Every other Tuesday", "Weekly"),
    ]


def test_scalar_lists_keep_both_sides_additions_and_removals():
    base = community(norms=["A", "B", "C"])
    ours = edit(base, lambda d: d.update(norms=["A", "C", "D"]))  # removed B, added D
    theirs = edit(base, lambda d: d.update(norms=["E", "A", "B"]))  # removed C, added E
    data, conflicts = merged_data(text(base), text(ours), text(theirs))
    assert data["norms"] == ["A", "D", "E"]
    assert conflicts == []


def test_ours_with_conflict_markers_keeps_theirs_whole():
    theirs = text(community(purpose="Theirs"))
    ours = "<<<<<<< HEAD\npurpose = 'x'\n=======\npurpose = 'y'\n>>>>>>> other\n"
    result = merge_record_file(text(community()), ours, theirs, COMMUNITY)
    assert result.text == theirs
    assert result.conflicts == [Conflict("", theirs, ours)]


def test_theirs_that_does_not_parse_keeps_ours_whole():
    ours = "# our comment\n" + text(community(purpose="Ours"))
    result = merge_record_file(text(community()), ours, "purpose = ", COMMUNITY)
    assert result.text == ours
    assert result.conflicts == [Conflict("", ours, "purpose = ")]


def test_neither_side_parses_keeps_ours_unchanged_and_reports_theirs():
    result = merge_record_file(None, "a = [", "b = {", COMMUNITY)
    assert result.text == "a = ["
    assert result.conflicts == [Conflict("", "a = [", "b = {")]


def test_a_side_that_changed_nothing_leaves_the_other_sides_text_byte_for_byte():
    base = text(community())
    theirs = "# kept by hand\n" + text(community(cadence="Weekly"))
    assert merge_record_file(base, base, theirs, COMMUNITY).text == theirs
    assert merge_record_file(base, theirs, base, COMMUNITY).text == theirs
    assert merge_record_file(base, theirs, theirs, COMMUNITY).text == theirs


def test_a_member_listed_twice_keeps_the_first_and_reports_the_second():
    base = community()
    ours = edit(base, lambda d: d["members"].append({"name": "Ann Lee", "note": "Again"}))
    theirs = edit(base, lambda d: d.update(cadence="Weekly"))
    result = merge_record_file(text(base), to_toml(ours), text(theirs), COMMUNITY)
    data = parse_toml(result.text, COMMUNITY)
    assert names(data) == ["Ann Lee", "Ben Ode", "Cal Ruiz"]
    assert member(data, "Ann Lee")["note"] == "Grade 7"
    assert data["cadence"] == "Weekly"
    [conflict] = result.conflicts
    assert conflict.key == "members[Ann Lee]" and "Again" in conflict.other
    Community.model_validate(data)


def test_an_invalid_merged_community_is_still_written():
    base = community()
    ours = edit(base, lambda d: d.update(name=""))  # not a valid name: the loader says so
    theirs = edit(base, lambda d: d.update(cadence="Weekly"))
    result = merge_record_file(text(base), to_toml(ours), text(theirs), COMMUNITY)
    data = parse_toml(result.text, COMMUNITY)
    assert data["name"] == "" and data["cadence"] == "Weekly"
    assert result.conflicts == []


def test_a_note_line_that_looks_like_a_conflict_marker_is_not_written_as_a_line():
    base = community()
    ours = edit(base, lambda d: d["members"][0].update(note="Plan\n=======\nmore"))
    theirs = edit(base, lambda d: d.update(cadence="Weekly"))
    result = merge_record_file(text(base), text(ours), text(theirs), COMMUNITY)
    assert not MARKERS.search(result.text)
    data = parse_toml(result.text, COMMUNITY)
    assert member(data, "Ann Lee")["note"] == "Plan\n=======\nmore"
    assert data["cadence"] == "Weekly"


def test_a_value_removed_on_one_side_and_changed_on_the_other_is_kept_and_reported():
    base = "title = 'A'\nextra = 'x'\n"
    ours = "title = 'B'\n"
    theirs = "title = 'A'\nextra = 'y'\n"
    data, conflicts = merged_data(base, ours, theirs, "other.toml")
    assert data == {"title": "B", "extra": "y"}
    assert conflicts == [Conflict("extra", "y", "")]


def test_types_count_when_comparing_values():
    # Python alone takes 1 == true; a change from one to the other is a change.
    data, conflicts = merged_data("a = 1\nb = 1\n", "a = 1\nb = 2\n", "a = true\nb = 1\n", "x.toml")
    assert data == {"a": True, "b": 2}
    assert conflicts == []


# -- session files -----------------------------------------------------------------------------


def session(actions: list[RecordedAction], **changes: Any) -> SessionRecord:
    started = datetime(2026, 9, 12, 16, 0, tzinfo=CET)
    fields: dict[str, Any] = {
        "id": "00000002",
        "status": "completed",
        "started": started,
        "ended": started + timedelta(minutes=50),
        "attendees": ["Ben", "Ann"],
        "protocol": RecordedProtocol(id="consultancy", title="Consultancy"),
        "roles": [RoleHolders(id="presenter", name="Presenter", people=["Ben"])],
        "actions": actions,
    }
    fields.update(changes)
    return SessionRecord(**fields)


ACTIONS = [
    RecordedAction(text="Try cold-calling with wait time", owner="Ben"),
    RecordedAction(text="Share the rubric", owner="Ann"),
    RecordedAction(text="Everyone: bring work"),
]


def marked(*done: int, **changes: Any) -> str:
    actions = [a.model_copy(update={"done": i in done}) for i, a in enumerate(ACTIONS)]
    return session_toml(session(actions, **changes))


def test_different_action_items_marked_done_on_each_side_are_both_kept():
    base = marked()
    assert "format = 1" in base  # the legacy layout: action items kept in the session file
    data, conflicts = merged_data(base, marked(0), marked(1), SESSION)
    assert [a["done"] for a in data["actions"]] == [True, True, False]
    assert conflicts == []
    assert SessionRecord.model_validate(data).actions[0].text == ACTIONS[0].text


def test_role_holders_merge_by_id_and_attendees_as_a_set():
    base = marked()
    ours = marked(roles=[RoleHolders(id="presenter", name="Presenter", people=["Ben", "Cy"])])
    theirs = marked(attendees=["Ben", "Ann", "Dee"], reflection="Good session")
    data, conflicts = merged_data(base, ours, theirs, SESSION)
    assert data["roles"] == [{"id": "presenter", "name": "Presenter", "people": ["Ben", "Cy"]}]
    assert data["attendees"] == ["Ben", "Ann", "Dee"]
    assert data["reflection"] == "Good session"
    assert conflicts == []


def test_action_lists_of_different_lengths_keep_theirs_and_report_ours_as_toml():
    base = marked()
    extra = RecordedAction(text="Ours: visit a lesson")
    ours = session_toml(session([*ACTIONS, extra]))
    theirs = marked(2)
    data, conflicts = merged_data(base, ours, theirs, SESSION)
    assert [a["done"] for a in data["actions"]] == [False, False, True]
    [conflict] = conflicts
    assert conflict.key == "actions"
    shown = parse_toml(conflict.other, "ours")
    assert [a["text"] for a in shown["actions"]][-1] == "Ours: visit a lesson"
    assert parse_toml(conflict.kept, "theirs")["actions"] == data["actions"]


def test_the_same_action_item_marked_both_ways_keeps_theirs():
    base = marked()
    ours = marked(1)
    theirs = session_toml(
        session([ACTIONS[0], ACTIONS[1].model_copy(update={"status": "dropped"}), ACTIONS[2]])
    )
    data, conflicts = merged_data(base, ours, theirs, SESSION)
    # Two keys of one item changed on different sides: each is merged on its own, and the
    # result is one the loader will refuse (done and dropped), reported when it is read.
    assert data["actions"][1]["done"] is True and data["actions"][1]["status"] == "dropped"
    assert data["format"] == 2
    assert conflicts == []


# -- properties --------------------------------------------------------------------------------

NAMES = ["Ann", "Ben", "Cy", "Dee", "Eli", "Flo"]
NOTES = ["", "Grade 7", "Grade 8", "Art\nand music"]
TEXTS = ["", "Maths", "Reading", "Questions\nthat matter"]
NORMS = ["On time", "Listen", "Phones away", "Be kind"]


@st.composite
def communities(draw) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    return {
        "format": 1,
        "name": "CoP",
        "purpose": draw(st.sampled_from(TEXTS)),
        "goals": [],
        "norms": draw(st.lists(st.sampled_from(NORMS), unique=True, max_size=3)),
        "cadence": draw(st.sampled_from(TEXTS)),
        "members": [{"name": n, "note": draw(st.sampled_from(NOTES))} for n in chosen],
    }


def edits(draw, base: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 4))):
        present = [m["name"] for m in data["members"]]
        kind = draw(
            st.sampled_from(["add", "remove", "note", "purpose", "cadence", "norm+", "norm-"])
        )
        if kind == "add" and len(present) < len(NAMES):
            name = draw(st.sampled_from([n for n in NAMES if n not in present]))
            data["members"].append({"name": name, "note": draw(st.sampled_from(NOTES))})
        elif kind == "remove" and present:
            data["members"].pop(draw(st.integers(0, len(present) - 1)))
        elif kind == "note" and present:
            data["members"][draw(st.integers(0, len(present) - 1))]["note"] = draw(
                st.sampled_from(NOTES)
            )
        elif kind in ("purpose", "cadence"):
            data[kind] = draw(st.sampled_from(TEXTS))
        elif kind == "norm+":
            new = [n for n in NORMS if n not in data["norms"]]
            if new:
                data["norms"].append(draw(st.sampled_from(new)))
        elif kind == "norm-" and data["norms"]:
            data["norms"].pop(draw(st.integers(0, len(data["norms"]) - 1)))
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in data["members"]}


def semantic(result_text: str) -> dict[str, Any]:
    return parse_toml(result_text, COMMUNITY)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_merging_random_edits_of_a_community(data):
    base = data.draw(communities())
    ours, theirs = edits(data.draw, base), edits(data.draw, base)
    base_t, ours_t, theirs_t = text(base), text(ours), text(theirs)
    result = merge_record_file(base_t, ours_t, theirs_t, COMMUNITY)
    assert not MARKERS.search(result.text)
    merged = semantic(result.text)
    Community.model_validate(merged)  # valid, so no member is listed twice

    b, o, t, m = by_name(base), by_name(ours), by_name(theirs), by_name(merged)
    for name in NAMES:
        if name not in b and (name in o) != (name in t):
            assert m[name] == (o.get(name) or t.get(name))  # added by exactly one side
        if name in b and name not in o and t.get(name) == b[name]:
            assert name not in m  # removed by ours, untouched by theirs
        if name in b and name not in t and o.get(name) == b[name]:
            assert name not in m  # removed by theirs, untouched by ours
        if name in b and o.get(name) == b[name] and name in t:
            assert m[name] == t[name]  # changed on one side only: that side's version
        if name in m:
            assert m[name] in (o.get(name), t.get(name))  # nothing invented
    for norm in NORMS:
        added = norm not in base["norms"] and (norm in ours["norms"] or norm in theirs["norms"])
        removed = norm in base["norms"] and not (norm in ours["norms"] and norm in theirs["norms"])
        assert (norm in merged["norms"]) == (added or (norm in base["norms"] and not removed))
    for key in ("purpose", "cadence"):
        if ours[key] == base[key]:
            assert merged[key] == theirs[key]
        elif theirs[key] == base[key]:
            assert merged[key] == ours[key]
        else:
            assert merged[key] == theirs[key]
    # A conflict only where both sides changed the same thing differently.
    for conflict in result.conflicts:
        assert conflict.key in ("purpose", "cadence") or conflict.key.startswith("members[")

    for x in (ours, theirs):
        x_t = text(x)
        assert semantic(merge_record_file(base_t, x_t, x_t, COMMUNITY).text) == x
    assert semantic(merge_record_file(base_t, base_t, theirs_t, COMMUNITY).text) == theirs
    assert semantic(merge_record_file(base_t, ours_t, base_t, COMMUNITY).text) == ours


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "x", "a\n=======\nb"]),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
        max_leaves=12,
    ),
    st.data(),
)
def test_any_three_documents_merge_to_valid_toml(value, data):
    def document() -> str:
        drawn = data.draw(
            st.dictionaries(
                st.sampled_from("kxyz"), st.just(value) | st.integers(-(2**63), 2**63 - 1)
            )
        )
        return to_toml(drawn)

    docs = [document(), document(), document()]
    result = merge_record_file(*docs, "sessions/2026/x.toml")
    parse_toml(result.text, "merged")
    if result.text not in docs:  # a side kept whole is as it was; anything written is new
        assert not MARKERS.search(result.text)
