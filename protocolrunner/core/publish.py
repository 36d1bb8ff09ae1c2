"""The community record as a static website: open ``index.html`` from a shared drive or any
static host, with no server and no network.

What is written to ``OUT``
    ``index.html`` (every session, newest first; search and filters), ``sessions/*.html`` (one
    page per session, drawn by ``export_html.session_body``), ``members.html``,
    ``community.html`` (purpose, goals, norms), ``actions.html`` (open action items), and
    ``assets/``: the style sheet, the search script and the search data (a script file, not
    JSON to fetch: browsers refuse ``fetch`` from ``file://``). Nothing is loaded from outside.
    Every page reads whole without JavaScript; only search and filters need it.

Publishing again
    ``assets/state.json`` remembers, per session file, its size and time, the follow-through
    events that apply to it, and what the shared pages need of it. A file that changed (or whose
    items were reviewed since) is read and its page written again; the others are not read at
    all. A page or asset is only written when its content differs, so a one-session change
    writes that session's page and the few shared files.

Safety
    People's text is escaped by ``export_html`` (pages) or handed to the script as data that it
    puts in the page with ``textContent`` (search results): never as markup. File names come
    from the session's date, protocol id and id (validated pieces), never from free text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .browse import fold, searchable_texts
from .document import one_line, session_document, text_lines
from .events import ItemKey, apply_events
from .export_html import STYLE, html_inline, html_text, page, session_body
from .members import member_histories
from .models import Community, FollowThroughEvent
from .problems import FileProblems, Problem
from .record import Record
from .roles import PastSession

SITE_FORMAT = 1
"""Bumped when the pages' layout changes: every page is written again."""
STATE_FILE = "assets/state.json"
PARALLEL_FROM = 400
"""From this many sessions to read, they are read in worker processes (reading a file is mostly
TOML parsing, which holds the interpreter)."""

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
    """What the site needs of one session file: its shared-page entry and its page's body."""
    try:
        session = apply_events(record.load_session(path, followthrough=False), events)
    except FileProblems as exc:
        return exc.problems
    doc = session_document(session)
    tokens = dict.fromkeys(search_terms(searchable_texts(session)))
    entry = {
        "id": session.id,
        "name": "",
        "started": session.started.isoformat(),
        "day": session.started.date().isoformat(),
        "protocol": session.protocol.id,
        "protocol_title": one_line(session.protocol.title),
        "title": doc.title,
        "focus": one_line(doc.lead.text) if doc.lead is not None else "",
        "presenters": [one_line(n) for n in session.presenters if one_line(n)],
        "attendees": [one_line(n) for n in doc.attendees],
        "time": doc.actual,
        "status": doc.status,
        "roles": {role.id: list(role.people) for role in session.roles},
        "role_names": {role.id: one_line(role.name) for role in session.roles},
        "open": [
            {"text": one_line(a.text), "owner": one_line(a.owner), "state": a.state}
            for a in session.actions
            if a.is_open
        ],
        "terms": " ".join(tokens),
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
    root: str, events: dict[ItemKey, FollowThroughEvent], out: str, community: str
) -> None:
    _WORKER.update(record=Record(Path(root)), events=events, out=Path(out), community=community)


def _worker_read(job: tuple[str, str]) -> tuple[str, tuple[dict[str, Any], bool] | list[Problem]]:
    """Read one session file and write its page: (its key, (entry, whether the page changed))
    or the file's problems."""
    path, page_name = job
    found = _session_entry(Path(path), _WORKER["record"], _WORKER["events"])
    if isinstance(found, list):
        return path, found
    entry, body = found
    entry["name"] = page_name
    html = _session_page(entry, body, _WORKER["community"])
    return path, (entry, _write_if_changed(_WORKER["out"], f"sessions/{page_name}.html", html))


_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,150}")


def page_names(paths: Sequence[Path]) -> dict[str, str]:
    """Each session file's page name: its own name (as the app writes it: date, protocol id,
    session id), or a hash of its path for any other name; a second file of a name gets ~2."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for path in sorted(paths):
        stem = path.stem
        if not _SAFE_NAME.fullmatch(stem):
            stem = "session-" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
        name, n = stem, 1
        while name in taken:
            n += 1
            name = f"{stem}~{n}"
        taken.add(name)
        names[str(path)] = name
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


def _rows(entries: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for e in entries:
        rows.append(
            f'<tr><td class="nowrap">{e["day"]}</td>'
            f'<td><a href="sessions/{e["name"]}.html">{escape(e["protocol_title"])}</a></td>'
            f"<td>{escape(e['focus'])}</td><td>{escape(', '.join(e['presenters']))}</td>"
            f'<td class="num">{e["time"]}</td></tr>'
        )
    return "".join(rows)


def _sessions(count: int) -> str:
    return f"{count:,} session{'s' if count != 1 else ''}"


TABLE_HEAD = (
    '<thead><tr><th scope="col">Date</th><th scope="col">Protocol</th>'
    '<th scope="col">Focus</th><th scope="col">Presenting</th>'
    '<th scope="col" class="num">Time</th></tr></thead>'
)


def _index_page(entries: Sequence[Mapping[str, Any]], community: str) -> str:
    protocols = sorted({(e["protocol"], e["protocol_title"]) for e in entries}, key=lambda p: p[1])
    people = sorted({n for e in entries for n in e["attendees"]}, key=str.casefold)
    options = "".join(f'<option value="{escape(pid)}">{escape(t)}</option>' for pid, t in protocols)
    member_options = "".join(f'<option value="{escape(n)}">{escape(n)}</option>' for n in people)
    count = len(entries)
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
<noscript><p class="meta">Search and filters need JavaScript; every session is listed below.</p>
</noscript>
<p id="count" class="meta" aria-live="polite">{_sessions(count)}, newest first.</p>
<div id="results" hidden><table>{TABLE_HEAD}<tbody id="result-rows"></tbody></table>
<p><button type="button" id="more" hidden>Show more</button></p></div>
<div id="all"><h2 class="visually-hidden">All sessions</h2>
<table>{TABLE_HEAD}<tbody>{_rows(entries)}</tbody></table></div>
<script src="assets/search-data.js"></script>
<script src="assets/search.js"></script>"""
    return _layout("Sessions", community, body, current="index.html")


def _members_page(community: Community, entries: Sequence[Mapping[str, Any]], name: str) -> str:
    history = [
        PastSession(date.fromisoformat(e["day"]), e["roles"])
        for e in sorted(entries, key=lambda e: e["started"])
    ]
    role_names: dict[str, str] = {}
    for e in sorted(entries, key=lambda e: e["started"]):
        role_names.update(e["role_names"])
    people = member_histories(community.members, history, others=True)
    rows = []
    for m in people:
        roles = ", ".join(
            f"{escape(role_names.get(role, role))} {count}"
            for role, count in sorted(m.roles.items())
        )
        last = m.last_session.isoformat() if m.last_session else "no session yet"
        who = html_inline(m.name) + ("" if m.listed else ' <span class="meta">(guest)</span>')
        note = f'<br><span class="meta">{html_inline(m.note)}</span>' if one_line(m.note) else ""
        rows.append(
            f'<tr><th scope="row">{who}{note}</th><td class="num">{m.sessions}</td>'
            f'<td>{roles}</td><td class="nowrap">{last}</td></tr>'
        )
    body = (
        "<h1>Members</h1>\n"
        '<p class="meta">Sessions attended and roles taken, from every session in the record.</p>'
        '<table><thead><tr><th scope="col">Name</th><th scope="col" class="num">Sessions</th>'
        '<th scope="col">Roles taken</th><th scope="col">Last session</th></tr></thead>'
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


def _actions_page(entries: Sequence[Mapping[str, Any]], name: str) -> str:
    rows = []
    for e in sorted(entries, key=lambda e: e["started"], reverse=True):
        for item in e["open"]:
            state = "carried forward" if item["state"] == "carried" else item["state"]
            rows.append(
                f"<tr><td>{escape(item['text'])}</td><td>{escape(item['owner'])}</td>"
                f'<td>{state}</td><td><a href="sessions/{e["name"]}.html">'
                f"{escape(e['title'])}</a></td></tr>"
            )
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
form.find { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end;
  margin: .5rem 0 1rem; }
form.find .field { display: flex; flex-direction: column; }
form.find .wide { flex: 1 1 18rem; }
form.find input, form.find select, form.find button { font: inherit; padding: .3rem .4rem;
  border: 1px solid #767676; border-radius: 3px; background: #fff; color: #1a1a1a; }
form.find label { font-size: .9rem; font-weight: 600; }
"""
)


def _data_script(entries: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            e["name"],
            e["day"],
            e["protocol"],
            e["protocol_title"],
            e["focus"],
            ", ".join(e["presenters"]),
            e["time"],
            e["attendees"],
            f" {e['terms']} ",
        ]
        for e in entries
    ]
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return f"window.PROTOCOLRUNNER_SESSIONS = {data};\n"


def _search_script() -> str:
    return resources.files(__package__).joinpath("templates", "search.js").read_text("utf-8")


# -- publishing -----------------------------------------------------------------------------------


def _signature(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _events_key(events: Iterable[FollowThroughEvent]) -> str:
    parts = sorted(f"{e.item}:{e.id}" for e in events)
    return hashlib.sha256(" ".join(parts).encode()).hexdigest()[:16] if parts else ""


def _load_state(out: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((out / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("format") == SITE_FORMAT else None


def _write_if_changed(out: Path, name: str, text: str) -> bool:
    """Write ``out/name`` unless it holds ``text`` already; whether it was written."""
    path = out / name
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    write_atomic(path, data, durable=False)
    return True


def _community(record: Record, problems: list[Problem]) -> Community:
    try:
        return record.load_community()
    except FileProblems as exc:
        problems.extend(exc.problems)
        return record.last_good_community() or Community(name=record.root.name or "Community")


def publish(
    record: Record,
    out: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> PublishResult:
    """Write (or bring up to date) the site of ``record`` in ``out``."""
    out = Path(out)
    state = _load_state(out)
    if state is None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PublishError(
            f"{out} is not empty and holds no site published by protocolrunner; choose a new folder"
        )
    root = record.root.resolve()
    if out.resolve() == root or root in out.resolve().parents:
        raise PublishError(f"{out} is inside the record; publish it somewhere else")

    result = PublishResult(out)
    community = _community(record, result.problems)
    name = one_line(community.name) or "Community record"
    latest = record.followthrough(result.problems)
    by_session: dict[str, list[FollowThroughEvent]] = {}
    for event in latest.values():
        by_session.setdefault(event.session, []).append(event)

    layout = f"{SITE_FORMAT}:{name}"
    old: dict[str, Any] = state["sessions"] if state and state.get("layout") == layout else {}
    scan = record.session_files()
    pages = page_names(scan)
    entries: dict[str, dict[str, Any]] = {}
    to_read: list[Path] = []
    for path in scan:
        key = str(path)
        cached = old.get(key)
        if (
            cached is not None
            and cached["signature"] == _signature(path)
            and cached["page"] == pages[key]
            and cached["events"] == _events_key(by_session.get(cached["entry"]["id"], ()))
        ):
            entries[key] = cached
        else:
            to_read.append(path)

    total = len(to_read)
    if progress is not None:
        progress(0, total)
    jobs = [(str(path), pages[str(path)]) for path in to_read]

    def take(key: str, found: tuple[dict[str, Any], bool] | list[Problem]) -> None:
        if isinstance(found, list):
            result.problems.extend(found)
            return
        entry, written = found
        events = _events_key(by_session.get(entry["id"], ()))
        entries[key] = {
            "signature": _signature(Path(key)),
            "events": events,
            "page": pages[key],
            "entry": entry,
        }
        if written:
            result.written.append(f"sessions/{pages[key]}.html")

    count = workers if workers is not None else (os.cpu_count() or 1)
    if total >= PARALLEL_FROM and count > 1:
        import multiprocessing

        # Each worker reads, draws and writes its sessions' pages: only the small entries for
        # the shared pages come back.
        with ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(str(record.root), latest, str(out), name),
        ) as pool:
            for done, (key, found) in enumerate(pool.map(_worker_read, jobs, chunksize=64), 1):
                take(key, found)
                if progress is not None and done % 500 == 0:
                    progress(done, total)
    else:
        _worker_init(str(record.root), latest, str(out), name)
        for job in jobs:
            take(*_worker_read(job))
    result.read = total
    ordered = sorted(entries.values(), key=lambda item: item["entry"]["started"], reverse=True)
    sessions_entries = [item["entry"] for item in ordered]

    # Pages of sessions no longer in the record.
    keep = {f"sessions/{item['page']}.html" for item in entries.values()}
    for item in old.values():
        stale = f"sessions/{item.get('page')}.html"
        if stale not in keep:
            with contextlib.suppress(OSError):
                (out / stale).unlink()
                result.removed.append(stale)

    shared = {
        "assets/site.css": SITE_STYLE,
        "assets/search.js": _search_script(),
        "assets/search-data.js": _data_script(sessions_entries),
        "index.html": _index_page(sessions_entries, name),
        "members.html": _members_page(community, sessions_entries, name),
        "community.html": _community_page(community, name),
        "actions.html": _actions_page(sessions_entries, name),
    }
    result.written += [file for file, text in shared.items() if _write_if_changed(out, file, text)]
    state_text = json.dumps(
        {"format": SITE_FORMAT, "layout": layout, "sessions": entries},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    write_atomic(out / STATE_FILE, state_text, durable=False)
    result.sessions = len(entries)
    if progress is not None:
        progress(total, total)
    return result
