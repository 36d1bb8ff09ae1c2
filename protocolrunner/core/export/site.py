"""The community record as a static website: open ``index.html`` from a shared drive or any
static host, with no server and no network.

What is written to ``OUT``
    ``index.html`` (search and filters over every session; the newest sessions listed, and a
    link to each year's list), ``years/YYYY.html`` (every session of a year),
    ``sessions/*.html`` (one page per session, drawn by ``export_html.session_body``),
    ``members.html``, ``community.html`` (purpose, goals, norms), ``actions.html`` (open action
    items), and ``assets/``: the style sheet, the search script and a search data script per
    year (scripts, not JSON to fetch: browsers refuse ``fetch`` from ``file://``). Nothing is
    loaded from outside. Every page reads whole without JavaScript; only search and filters
    need it.

Search data
    Per year: the sessions' rows for the results table, the year's words (folded as
    ``browse.fold`` folds them) in the order JavaScript sorts strings, and for each word the
    sessions that hold it (a posting list, delta-coded in a few characters a session). The page
    finds a word by binary search, a prefix as a range of words, and intersects lists, so a
    search costs what its words' lists hold, not a scan of every text.

Publishing again
    ``assets/state/site.json`` holds, per session file, its size and time, the follow-through
    events that apply to it, its page and its year, and per year what the shared pages need
    (counts, names, rows already drawn); ``assets/state/YYYY.json`` holds each year's
    sessions, for when one of them changes. A publish stats every session file: those that
    changed (or whose items were reviewed since) are read again, and only their years are
    drawn again; nothing else is read. A page or asset is only written when its content
    differs, so a one-session change writes that session's page, its year's search data, and
    the shared pages that show it.

Safety
    People's text is escaped by ``export_html`` (pages) or handed to the script as data that it
    puts in the page with ``textContent`` (search results): never as markup. File names come
    from the session's date, protocol id and id (validated pieces), never from free text.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from ..base.atomic import write_atomic
from ..base.problems import FileProblems, Problem
from ..record.browse import fold, searchable_texts
from ..record.events import ItemKey, apply_events
from ..record.folder import Record
from ..record.members import MemberHistory, add_histories, member_histories
from ..record.models import Community, FollowThroughEvent
from ..record.scan import scan_sessions
from ..session.roles import PastSession
from .document import one_line, session_document, text_lines
from .html import STYLE, html_inline, html_text, page, session_body

SITE_FORMAT = 2
"""Bumped when the pages' layout or the state's shape changes: every page is written again."""
STATE_DIR = "assets/state"
SITE_STATE = f"{STATE_DIR}/site.json"
OLD_STATE = "assets/state.json"
"""Where the first site format kept its state: a site holding it is ours, written again."""
PARALLEL_FROM = 400
"""From this many session files to read, helper processes read them on every core
(``core.base.readpool``): their start-up costs less than they save."""
NEWEST = 100
"""Sessions listed on the index page; the rest are on their years' pages."""

Progress = Callable[[int, int], None]


class PublishError(RuntimeError):
    """The site cannot be written where asked (one line)."""


@dataclass
class PublishResult:
    out: Path
    sessions: int = 0
    read: int = 0
    """Session files read (changed or new) in this run."""
    written: list[str] = field(default_factory=list)
    """Files written, relative to ``out``."""
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# -- one session --------------------------------------------------------------------------------


def _session_entry(
    path: Path, record: Record, events: Mapping[ItemKey, FollowThroughEvent]
) -> tuple[dict[str, Any], str] | list[Problem]:
    """What the site needs of one session file: its entry for the shared pages and the search,
    and its page's body."""
    try:
        session = apply_events(record.load_session(path, followthrough=False), events)
    except FileProblems as exc:
        return exc.problems
    doc = session_document(session)
    day = session.started.date().isoformat()
    entry = {
        "id": session.id,
        "name": "",
        "started": session.started.isoformat(),
        "day": day,
        "year": day[:-6],
        "protocol": session.protocol.id,
        "protocol_title": one_line(session.protocol.title),
        "title": doc.title,
        "focus": one_line(doc.lead.text) if doc.lead is not None else "",
        "presenters": [one_line(n) for n in session.presenters if one_line(n)],
        "attendees": [one_line(n) for n in doc.attendees],
        "time": doc.actual,
        "roles": {role.id: list(role.people) for role in session.roles},
        "role_names": {role.id: one_line(role.name) for role in session.roles},
        "open": [
            {"text": one_line(a.text), "owner": one_line(a.owner), "state": a.state}
            for a in session.actions
            if a.is_open
        ],
        # One string (words hold no space): quicker to pass between processes and to store.
        "words": " ".join(dict.fromkeys(search_terms(searchable_texts(session)))),
    }
    return entry, session_body(doc)


_WORD = re.compile(r"[^\W_]+")


def search_terms(texts: Iterable[str]) -> list[str]:
    """The words search compares in ``texts``: those ``browse.query_terms`` finds in them, as
    composed text (NFC; a test holds them equal), found in the texts folded at once, which
    costs a third of folding word by word. The page's script folds a search the same way."""
    return _WORD.findall(fold("\n".join(texts)))


_WORKER: dict[str, Any] = {}


def _worker_init(
    root: str,
    events: dict[ItemKey, FollowThroughEvent],
    out: str,
    community: str,
    pages: dict[str, str],
) -> None:
    """Set up a process that reads sessions (``readpool``'s helpers, or this one)."""
    _WORKER.update(
        record=Record(Path(root)), events=events, out=Path(out), community=community, pages=pages
    )


def _worker_read(path: str) -> tuple[dict[str, Any], bool] | list[Problem]:
    """Read one session file and write its page: (its entry, whether the page changed), or the
    file's problems."""
    found = _session_entry(Path(path), _WORKER["record"], _WORKER["events"])
    if isinstance(found, list):
        return found
    entry, body = found
    entry["name"] = name = _WORKER["pages"][path]
    html = _session_page(entry, body, _WORKER["community"])
    return entry, _write_if_changed(_WORKER["out"], f"sessions/{name}.html", html)


_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,150}")


def page_names(paths: Iterable[str]) -> dict[str, str]:
    """Each session file's page name: its own name (as the app writes it: date, protocol id,
    session id), or a hash of its path (as given: relative to the sessions folder keeps it
    the same wherever the record is) for any other name; a second file of a name gets ~2."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for path in sorted(paths):
        stem = os.path.splitext(os.path.basename(path))[0]
        if not _SAFE_NAME.fullmatch(stem):
            stem = "session-" + hashlib.sha256(path.encode()).hexdigest()[:12]
        name, n = stem, 1
        while name in taken:
            n += 1
            name = f"{stem}~{n}"
        taken.add(name)
        names[path] = name
    return names


# -- the pages ----------------------------------------------------------------------------------

NAV = [
    ("index.html", "Sessions"),
    ("members.html", "Members"),
    ("community.html", "Community"),
    ("actions.html", "Action items"),
]


def _layout(title: str, community: str, body: str, *, depth: int = 0, current: str = "") -> str:
    up = "../" * depth
    links = "".join(
        f'<a href="{up}{href}"'
        + (' aria-current="page"' if href == current else "")
        + f">{name}</a>"
        for href, name in NAV
    )
    head = f'\n<link rel="stylesheet" href="{up}assets/site.css">'
    return page(
        f"{title} · {community}" if title != community else title,
        '<a class="skip" href="#main">Skip to the content</a>\n'
        f'<header class="site"><p class="community">{escape(community)}</p>'
        f'<nav aria-label="Record">{links}</nav></header>\n'
        f'<main id="main">\n{body}\n</main>\n'
        '<footer class="site"><p class="meta">Published from the community record by '
        "protocolrunner.</p></footer>",
        head=head,
        policy="",
    )


def _session_page(entry: Mapping[str, Any], body: str, community: str) -> str:
    back = '<p class="no-print"><a href="../index.html">← All sessions</a></p>'
    return _layout(entry["title"], community, back + body, depth=1)


def _row(e: Mapping[str, Any], up: str = "") -> str:
    return (
        f'<tr><td class="nowrap">{escape(e["day"])}</td>'
        f'<td><a href="{up}sessions/{escape(e["name"])}.html">{escape(e["protocol_title"])}</a>'
        f"</td><td>{escape(e['focus'])}</td><td>{escape(', '.join(e['presenters']))}</td>"
        f'<td class="num">{escape(e["time"])}</td></tr>'
    )


def _sessions(count: int) -> str:
    return f"{count:,} session{'s' if count != 1 else ''}"


TABLE_HEAD = (
    '<table class="sessions"><thead><tr><th scope="col" class="day">Date</th>'
    '<th scope="col" class="protocol">Protocol</th><th scope="col">Focus</th>'
    '<th scope="col" class="people">Presenting</th><th scope="col" class="num">Time</th></tr>'
    "</thead>"
)
"""A table of sessions opens so (its columns' widths fixed: laid out without measuring every
row's text first)."""


def _year_links(years: Sequence[tuple[str, int]], up: str = "") -> str:
    return "".join(
        f'<li><a href="{up}years/{year}.html">{year}</a> '
        f'<span class="meta">({_sessions(count)})</span></li>'
        for year, count in years
    )


def _index_page(summary: Mapping[str, Any], community: str) -> str:
    protocols = sorted(summary["protocols"].items(), key=lambda p: (p[1], p[0]))
    options = "".join(f'<option value="{escape(pid)}">{escape(t)}</option>' for pid, t in protocols)
    member_options = "".join(
        f'<option value="{escape(n)}">{escape(n)}</option>' for n in summary["people"]
    )
    count, years = summary["count"], summary["years"]
    rows = "".join(summary["newest"])
    if count > len(summary["newest"]):
        listed = (
            f'<h2>Newest sessions</h2>\n<p class="meta">The {NEWEST} newest; every session is '
            'on its year\'s page (<a href="#years">below</a>).</p>'
        )
    else:
        listed = '<h2 class="visually-hidden">All sessions</h2>'
    scripts = "".join(f'<script src="assets/search-{year}.js"></script>\n' for year, _ in years)
    body = f"""<h1>Sessions</h1>
<form id="find" class="find" role="search" hidden>
<h2 class="visually-hidden">Search and filters</h2>
<div class="field wide"><label for="q">Search notes, answers and action items</label>
<input id="q" type="search" autocomplete="off"></div>
<div class="field"><label for="protocol">Protocol</label>
<select id="protocol"><option value="">Any protocol</option>{options}</select></div>
<div class="field"><label for="member">Member present</label>
<select id="member"><option value="">Anyone</option>{member_options}</select></div>
<div class="field"><label for="since">From</label><input id="since" type="date"></div>
<div class="field"><label for="until">Until</label><input id="until" type="date"></div>
<div class="field"><button type="reset" id="clear">Clear</button></div>
</form>
<noscript><p class="meta">Search and filters need JavaScript; the sessions are listed below and
by year.</p></noscript>
<p id="count" class="meta" aria-live="polite">{_sessions(count)}, newest first.</p>
<div id="results" hidden>{TABLE_HEAD}<tbody id="result-rows"></tbody></table>
<p><button type="button" id="more" hidden>Show more</button></p></div>
<div id="all">{listed}
{TABLE_HEAD}<tbody>{rows}</tbody></table>
<h2 id="years">Sessions by year</h2>
<ul class="years">{_year_links(years)}</ul></div>
{scripts}<script src="assets/search.js"></script>"""
    return _layout("Sessions", community, body, current="index.html")


def _year_page(year: str, entries: Sequence[Mapping[str, Any]], community: str) -> str:
    body = (
        f"<h1>Sessions in {year}</h1>\n"
        f'<p class="meta">{_sessions(len(entries))}, newest first. '
        '<a href="../index.html">Search every session</a>.</p>'
        f"{TABLE_HEAD}<tbody>{''.join(_row(e, '../') for e in entries)}</tbody></table>"
    )
    return _layout(f"Sessions in {year}", community, body, depth=1)


def _members_page(people: Sequence[MemberHistory], role_names: Mapping[str, str], name: str) -> str:
    rows = []
    for m in people:
        roles = ", ".join(
            f"{escape(role)} {count}"
            for role, count in sorted(
                (one_line(role_names.get(role_id, role_id)), count)
                for role_id, count in m.roles.items()
            )
        )
        last = m.last_session.isoformat() if m.last_session else "no session yet"
        who = html_inline(m.name) + ("" if m.listed else ' <span class="meta">(guest)</span>')
        note = f'<br><span class="meta">{html_inline(m.note)}</span>' if one_line(m.note) else ""
        rows.append(
            f'<tr><th scope="row"><span class="name">{who}</span>{note}</th>'
            f'<td class="num">{m.sessions}</td><td>{roles}</td><td class="nowrap">{last}</td></tr>'
        )
    body = (
        "<h1>Members</h1>\n"
        '<p class="meta">Sessions attended and roles taken, from every session in the record.</p>'
        '<table class="people"><thead><tr><th scope="col">Name</th>'
        '<th scope="col" class="num">Sessions</th><th scope="col">Roles taken</th>'
        '<th scope="col">Last session</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _layout("Members", name, body, current="members.html")


def _list(items: Iterable[str]) -> str:
    shown = [html_text(item) for item in items if text_lines(item)]
    return "<ul>" + "".join(f"<li>{item}</li>" for item in shown) + "</ul>" if shown else ""


def _community_page(community: Community, name: str) -> str:
    parts = [f"<h1>{escape(name)}</h1>"]
    sections = [
        ("Purpose", html_text(community.purpose)),
        ("When we meet", html_text(community.cadence)),
        ("Goals", _list(community.goals)),
        ("Norms", _list(community.norms)),
        ("Members", _list(m.name for m in community.members)),
    ]
    for title, html in sections:
        parts.append(f"<h2>{title}</h2>" + (html or '<p class="meta">None written yet.</p>'))
    return _layout("Community", name, "\n".join(parts), current="community.html")


def _action_rows(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    rows = []
    for e in entries:
        for item in e["open"]:
            state = "carried forward" if item["state"] == "carried" else item["state"]
            rows.append(
                f"<tr><td>{escape(item['text'])}</td><td>{escape(item['owner'])}</td>"
                f'<td>{state}</td><td><a href="sessions/{e["name"]}.html">'
                f"{escape(e['title'])}</a></td></tr>"
            )
    return rows


def _actions_page(rows: Sequence[str], name: str) -> str:
    table = (
        '<table><thead><tr><th scope="col">Action item</th><th scope="col">Who</th>'
        '<th scope="col">State</th><th scope="col">From</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="meta">No open action items.</p>'
    )
    body = (
        "<h1>Open action items</h1>\n"
        f'<p class="meta">{len(rows):,} still open (not done, not dropped), newest session '
        f"first.</p>{table}"
    )
    return _layout("Action items", name, body, current="actions.html")


SITE_STYLE = (
    STYLE
    + """
[hidden] { display: none !important; }
.skip { position: absolute; left: -100rem; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; z-index: 1; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
header.site .community { margin: 0 0 .25rem; font-weight: 600; }
header.site nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
footer.site { margin-top: 2rem; border-top: 1px solid #767676; }
.nowrap { white-space: nowrap; }
header.site nav a { white-space: nowrap; display: inline-block; }
@media (max-width: 36rem) {
  header.site, main, footer.site { padding-left: .5rem; padding-right: .5rem; }
  table { font-size: .9rem; }
  th, td { padding: .25rem .3rem; }
  table.sessions .num { display: none; }  /* the time is on the session's page */
}
@media (min-width: 48rem) {
  table.sessions { table-layout: fixed; }
  table.sessions .day { width: 7.5rem; }
  table.sessions .protocol { width: 24%; }
  table.sessions .people { width: 17%; }
  table.sessions th.num { width: 5.5rem; }
}
tbody th { font-weight: normal; }
tbody th .name { font-weight: 600; }
ul.years { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; list-style: none; padding: 0; }
form.find { display: grid; gap: .5rem 1rem; align-items: end; margin: .5rem 0 1rem;
  grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); }
form.find .field { display: flex; flex-direction: column; }
form.find .wide { grid-column: 1 / -1; }
form.find input, form.find select, button { font: inherit; padding: .3rem .4rem;
  border: 1px solid #767676; border-radius: 3px; background: #fff; color: #1a1a1a;
  min-height: 2.4rem; }
button { align-self: start; padding: .3rem 1rem; cursor: pointer; }
form.find label { font-size: .9rem; font-weight: 600; }
@media print {
  ul.years { display: block; }
}
"""
)


# -- the search data ------------------------------------------------------------------------------

_LAST = "0123456789abcdefghijklmnopqrstuv"
_MORE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&*"
"""A posting list is the gaps between its sessions' places, each in base 32, most significant
digit first: every digit but the last from ``_MORE``, the last from ``_LAST`` (no character
that JSON escapes). A word in most sessions costs about one character a session."""


class _Gaps(dict[int, str]):
    """Text of each step between places (one more than the gap), made when first asked."""

    def __missing__(self, step: int) -> str:
        gap = step - 1
        digits = _LAST[gap & 31]
        gap >>= 5
        while gap:
            digits = _MORE[gap & 31] + digits
            gap >>= 5
        self[step] = digits
        return digits


_GAPS = _Gaps()


def encode_postings(places: Sequence[int]) -> str:
    """Ascending session places as text (``search.js`` reads it back)."""
    # The steps and their lookups run in C: a publish encodes a million places.
    steps = map(operator.sub, places, itertools.chain((-1,), places))
    return "".join(map(_GAPS.__getitem__, steps))


def decode_postings(text: str) -> list[int]:
    """``encode_postings`` undone (for tests; the page has its own)."""
    places, value, previous = [], 0, -1
    for char in text:
        if char in _MORE:
            value = value * 32 + _MORE.index(char)
        else:
            previous += value * 32 + _LAST.index(char) + 1
            places.append(previous)
            value = 0
    return places


def _js_order(word: str) -> bytes:
    """How JavaScript orders strings (by UTF-16 code units), for its binary search."""
    return word.encode("utf-16-be", "surrogatepass")


def _search_script_of(year: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """A year's search data: its sessions' rows, its words, each word's sessions."""
    places: dict[str, list[int]] = {}
    for place, e in enumerate(entries):
        for word in e["words"].split():
            found = places.get(word)
            if found is None:
                places[word] = [place]
            else:
                found.append(place)
    words = sorted(places, key=_js_order)
    data = {
        "year": year,
        "sessions": [
            [
                e["name"],
                e["day"],
                e["protocol"],
                e["protocol_title"],
                e["focus"],
                ", ".join(e["presenters"]),
                e["time"],
                e["attendees"],
            ]
            for e in entries
        ],
        "words": words,
        "postings": [encode_postings(places[word]) for word in words],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"(window.PROTOCOLRUNNER_DATA = window.PROTOCOLRUNNER_DATA || []).push({text});\n"


def search_script() -> str:
    return resources.files(__package__).joinpath("templates", "search.js").read_text("utf-8")


# -- a year of sessions ------------------------------------------------------------------------


def _year_summary(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the shared pages need of a year: small, kept for the years that did not change."""
    protocols: dict[str, str] = {}
    people: set[str] = set()
    role_names: dict[str, str] = {}
    for e in reversed(entries):  # oldest first: the newest title and role name win
        protocols[e["protocol"]] = e["protocol_title"]
        people.update(e["attendees"])
        role_names.update(e["role_names"])
    history = [PastSession(date.fromisoformat(e["day"]), e["roles"]) for e in reversed(entries)]
    members = {
        m.name: [
            m.sessions,
            m.roles,
            m.last_session.isoformat() if m.last_session else None,
            m.last_presented.isoformat() if m.last_presented else None,
        ]
        for m in member_histories([], history, rotating=(), others=True)
    }
    return {
        "count": len(entries),
        "protocols": protocols,
        "people": sorted(people),
        "role_names": role_names,
        "members": members,
        "newest": [_row(e) for e in entries[:NEWEST]],
        "actions": _action_rows(entries),
    }


def _histories(summary: Mapping[str, Any]) -> list[MemberHistory]:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return [
        MemberHistory(
            name,
            listed=False,
            sessions=n,
            roles=roles,
            last_session=day(last),
            last_presented=day(presented),
        )
        for name, (n, roles, last, presented) in summary["members"].items()
    ]


_ENTRY = {
    "id": str,
    "name": str,
    "started": str,
    "day": str,
    "year": str,
    "protocol": str,
    "protocol_title": str,
    "title": str,
    "focus": str,
    "presenters": list,
    "attendees": list,
    "time": str,
    "roles": dict,
    "role_names": dict,
    "open": list,
    "words": str,
}


def _entry_ok(entry: object, stamp: Sequence[Any]) -> bool:
    """Whether a session's entry kept from the last publish can be used as it is (a damaged
    state's session is read again)."""
    return (
        isinstance(entry, dict)
        and all(isinstance(entry.get(key), kind) for key, kind in _ENTRY.items())
        and entry["name"] == stamp[3]
        and entry["year"] == stamp[5]
    )


def _order(entry: Mapping[str, Any]) -> tuple[str, str]:
    return entry["day"], entry["started"]


# -- publishing -----------------------------------------------------------------------------------


def _events_key(events: Iterable[FollowThroughEvent]) -> str:
    parts = sorted(f"{e.item}:{e.id}" for e in events)
    return hashlib.sha256(" ".join(parts).encode()).hexdigest()[:16] if parts else ""


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_if_changed(out: Path, name: str, text: str) -> bool:
    """Write ``out/name`` unless it holds ``text`` already; whether it was written."""
    path = out / name
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    write_atomic(path, data, durable=False)
    return True


def _remove(out: Path, name: str, result: PublishResult) -> None:
    with contextlib.suppress(OSError):
        (out / name).unlink()
        result.removed.append(name)


def _community(record: Record, problems: list[Problem]) -> Community:
    try:
        return record.load_community()
    except FileProblems as exc:
        problems.extend(exc.problems)
        return record.last_good_community() or Community(name=record.root.name or "Community")


@dataclass
class _Before:
    """What an earlier publish left in ``out``."""

    files: dict[str, list[Any]] = field(default_factory=dict)
    """Session file (relative to the sessions folder) -> [mtime_ns, size, events key, page,
    session id, year]; empty when the layout changed (everything is read again)."""
    years: dict[str, Any] = field(default_factory=dict)
    """Year -> its summary (empty when the layout changed)."""
    pages: set[str] = field(default_factory=set)
    """Files written for sessions and years, whatever the layout: those no longer wanted go."""


_PAGE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,150}(?:~[0-9]+)?")
_YEAR = re.compile(r"[0-9]{4}")
_SUMMARY = {
    "count": int,
    "protocols": dict,
    "people": list,
    "role_names": dict,
    "members": dict,
    "newest": list,
    "actions": list,
}


def _stamp_ok(stamp: object) -> bool:
    return (
        isinstance(stamp, list)
        and len(stamp) == 6
        and all(isinstance(n, int) for n in stamp[:2])
        and all(isinstance(t, str) for t in stamp[2:])
        and _PAGE_NAME.fullmatch(stamp[3]) is not None
        and _YEAR.fullmatch(stamp[5]) is not None
    )


def _summary_ok(year: str, summary: object) -> bool:
    return (
        _YEAR.fullmatch(year) is not None
        and isinstance(summary, dict)
        and all(isinstance(summary.get(key), kind) for key, kind in _SUMMARY.items())
    )


def _before(out: Path, layout: str) -> _Before | None:
    """What ``out`` holds from an earlier publish, or None if it holds no site of ours.

    The state is checked before use (it names files to remove): a damaged one, or one of
    another format, still marks the site as ours, and every page is written again."""
    state = _load_json(out / SITE_STATE)
    if state is not None and state.get("format") == SITE_FORMAT:
        files, years = state.get("files"), state.get("years")
        if (
            isinstance(files, dict)
            and isinstance(years, dict)
            and all(_stamp_ok(stamp) for stamp in files.values())
            and all(_summary_ok(year, summary) for year, summary in years.items())
        ):
            before = _Before(pages={f"sessions/{f[3]}.html" for f in files.values()})
            before.pages.update(name for year in years for name in _year_files(year))
            if state.get("layout") == layout:
                before.files, before.years = files, years
            return before
    if state is not None or (out / SITE_STATE).exists():
        return _Before(pages=_written_before(out))
    old = _load_json(out / OLD_STATE)
    if old is not None and old.get("format") == 1:
        # The first format: what it wrote for sessions is found, and removed when no longer
        # wanted, with its state and search data.
        return _Before(pages=_written_before(out) | {OLD_STATE, "assets/search-data.js"})
    return None


def _written_before(out: Path) -> set[str]:
    """The files a site of ours may hold for sessions and years, found by their names."""
    found = set()
    for folder, pattern, name in (
        ("sessions", "*.html", _PAGE_NAME),
        ("years", "*.html", _YEAR),
        ("assets", "search-*.js", re.compile(r"search-[0-9]{4}")),
        (STATE_DIR, "*.json", _YEAR),
    ):
        for path in (out / folder).glob(pattern):
            if name.fullmatch(path.stem):
                found.add(f"{folder}/{path.name}")
    return found


def _year_files(year: str) -> tuple[str, ...]:
    return f"years/{year}.html", f"assets/search-{year}.js", f"{STATE_DIR}/{year}.json"


def publish(
    record: Record,
    out: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> PublishResult:
    """Write (or bring up to date) the site of ``record`` in ``out``."""
    out = Path(out)
    result = PublishResult(out)
    community = _community(record, result.problems)
    name = one_line(community.name) or "Community record"
    layout = f"{SITE_FORMAT}:{name}"
    before = _before(out, layout)
    if before is None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(
            f"{out} is not empty and holds no site published by protocolrunner; choose a new folder"
        )
    before = before or _Before()
    root = record.root.resolve()
    if out.resolve() == root or root in out.resolve().parents:
        raise PublishError(f"{out} is inside the record; publish it somewhere else")

    latest = record.followthrough(result.problems)
    by_session: dict[str, list[FollowThroughEvent]] = {}
    for event in latest.values():
        by_session.setdefault(event.session, []).append(event)

    # Which session files changed since the last publish: by their size and time alone.
    scan = scan_sessions(record.sessions_dir)
    result.problems.extend(scan.problems)
    prefix = str(record.sessions_dir) + os.sep
    paths = {full.removeprefix(prefix): full for full in scan.files}
    pages = page_names(paths)
    files: dict[str, list[Any]] = {}
    dirty: set[str] = set()  # years drawn again
    to_read: list[str] = []
    for rel, full in paths.items():
        old = before.files.get(rel)
        if (
            old is not None
            and old[:2] == list(scan.files[full])
            and old[3] == pages[rel]
            and old[2] == _events_key(by_session.get(old[4], ()))
        ):
            files[rel] = old
            continue
        to_read.append(rel)
        if old is not None:
            dirty.add(old[5])
    dirty.update(old[5] for rel, old in before.files.items() if rel not in paths)

    # Read them, each page written where it is read; on every core when there are many.
    setup = functools.partial(
        _worker_init,
        str(record.root),
        latest,
        str(out),
        name,
        {full: pages[rel] for rel, full in paths.items()},
    )
    fresh: dict[str, dict[str, dict[str, Any]]] = {}  # year -> file -> entry

    def take(full: str, found: tuple[dict[str, Any], bool] | list[Problem]) -> None:
        result.read += 1
        if isinstance(found, list):
            result.problems.extend(found)
            return
        entry, written = found
        rel = full.removeprefix(prefix)
        mtime, size = scan.files[full]
        events = _events_key(by_session.get(entry["id"], ()))
        files[rel] = [mtime, size, events, entry["name"], entry["id"], entry["year"]]
        fresh.setdefault(entry["year"], {})[rel] = entry
        dirty.add(entry["year"])
        if written:
            result.written.append(f"sessions/{entry['name']}.html")

    total = len(to_read)
    if progress is not None:
        progress(0, total)
    for full, found in _read(
        [paths[rel] for rel in to_read], setup, workers if workers is not None else _cores()
    ):
        take(full, found)
        if progress is not None and result.read % 500 == 0:
            progress(result.read, total)

    # The years that changed: their lists, their search data, their summaries.
    years = dict(before.years)
    rereading = set(to_read)
    by_year: dict[str, list[str]] = {}
    for rel, f in files.items():
        by_year.setdefault(f[5], []).append(rel)
    for year in sorted(dirty):
        entries_of = fresh.setdefault(year, {})
        wanted = by_year.get(year, [])
        if len(entries_of) < len(wanted):
            kept = (_load_json(out / STATE_DIR / f"{year}.json") or {}).get("entries")
            if isinstance(kept, dict):
                entries_of |= {
                    rel: kept[rel]
                    for rel in wanted
                    if rel not in rereading and _entry_ok(kept.get(rel), files[rel])
                }
            # A year whose state is gone or damaged: its other sessions are read again.
            missing = [paths[rel] for rel in wanted if rel not in entries_of]
            if missing:
                setup()
                for full in missing:
                    del files[full.removeprefix(prefix)]
                    take(full, _worker_read(full))
        if not entries_of:
            years.pop(year, None)
            continue
        ordered = sorted(entries_of.values(), key=_order, reverse=True)
        years[year] = _year_summary(ordered)
        for file, text in (
            (f"years/{year}.html", _year_page(year, ordered, name)),
            (f"assets/search-{year}.js", _search_script_of(year, ordered)),
        ):
            if _write_if_changed(out, file, text):
                result.written.append(file)
        state = json.dumps({"entries": entries_of}, ensure_ascii=False, separators=(",", ":"))
        write_atomic(out / STATE_DIR / f"{year}.json", state, durable=False)

    # What is no longer wanted: pages of sessions deleted (or renamed), years now empty.
    keep = {f"sessions/{f[3]}.html" for f in files.values()}
    keep.update(name for year in years for name in _year_files(year))
    for stale in sorted(before.pages - keep):
        _remove(out, stale, result)

    # The pages every session appears on, from the years' summaries.
    newest_first = sorted(years, reverse=True)
    summaries = [years[year] for year in newest_first]
    role_names: dict[str, str] = {}
    protocols: dict[str, str] = {}
    for s in reversed(summaries):
        role_names.update(s["role_names"])
        protocols.update(s["protocols"])
    index = {
        "count": sum(s["count"] for s in summaries),
        "years": [(year, years[year]["count"]) for year in newest_first],
        "protocols": protocols,
        "people": sorted({n for s in summaries for n in s["people"]}, key=str.casefold),
        "newest": [row for s in summaries for row in s["newest"]][:NEWEST],
    }
    people = add_histories(community.members, (_histories(s) for s in summaries))
    shared = {
        "assets/site.css": SITE_STYLE,
        "assets/search.js": search_script(),
        "index.html": _index_page(index, name),
        "members.html": _members_page(people, role_names, name),
        "community.html": _community_page(community, name),
        "actions.html": _actions_page([row for s in summaries for row in s["actions"]], name),
    }
    result.written += [file for file, text in shared.items() if _write_if_changed(out, file, text)]
    if dirty or result.removed or files != before.files or years != before.years:
        state_text = json.dumps(
            {"format": SITE_FORMAT, "layout": layout, "files": files, "years": years},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        write_atomic(out / SITE_STATE, state_text, durable=False)
    result.sessions = len(files)
    if progress is not None:
        progress(total, total)
    return result


def _read(
    paths: list[str], setup: Callable[[], object], helpers: int
) -> Iterable[tuple[str, tuple[dict[str, Any], bool] | list[Problem]]]:
    if len(paths) >= PARALLEL_FROM and helpers > 1:
        from ..base.readpool import read_all

        return read_all(paths, _worker_read, helpers, setup=setup)
    setup()
    return ((path, _worker_read(path)) for path in paths)


def _cores() -> int:
    from ..base.readpool import cores

    return cores()
