"""Sessions as HTML: one self-contained page to read, print, mail or archive.

Every piece of text from people or files reaches HTML through ``html_text`` or ``html_inline``,
which escape ``& < > " '`` after the text is made visible (``markdown.shown_lines``): a note of
``<script>`` shows as those characters, an ESC as ``\\x1b``, and no element or attribute ever
comes from what someone typed. The page carries its own style, loads nothing, and its
Content-Security-Policy forbids scripts altogether.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..record.models import SessionRecord
from .document import SessionDocument, one_line, session_document, text_lines

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; }
header.site, main, footer.site { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header.site { border-bottom: 1px solid #767676; padding-top: .75rem; padding-bottom: .5rem; }
header.site nav a { margin-right: 1rem; }
a { color: #0b57a4; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible {
  outline: 3px solid #b35c00; outline-offset: 2px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 1rem 0 .5rem; }
h2 { font-size: 1.3rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .4rem; }
h4, h5 { font-size: 1rem; margin: 1rem 0 .3rem; }
p { margin: .3rem 0 .6rem; overflow-wrap: anywhere; }
.meta { color: #4a4a4a; }
.lead { border-left: 4px solid #0b57a4; padding: .25rem .75rem; background: #f3f6fa; }
.label { font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #c8c8c8; padding: .3rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
thead th { border-bottom: 2px solid #767676; }
tfoot th, tfoot td { border-top: 2px solid #767676; border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.over td.actual { color: #a4262c; font-weight: 600; }
ul.actions { list-style: none; padding-left: 0; }
ul.actions li { margin: .25rem 0; }
.state { display: inline-block; min-width: 7.5rem; font-size: .85rem; font-weight: 600;
  color: #4a4a4a; }
.state-done { color: #1e6b30; }
.state-dropped { color: #6b6b6b; text-decoration: line-through; }
.toc li { margin: .15rem 0; }
article.session + article.session { border-top: 2px solid #767676; margin-top: 2rem; }
@media print {
  body { font-size: 11pt; color: #000; }
  a { color: #000; text-decoration: none; }
  header.site nav, .no-print, form { display: none !important; }
  article.session + article.session { break-before: page; border-top: 0; margin-top: 0; }
  h1, h2, h3, h4 { break-after: avoid; }
  tr, li, .lead { break-inside: avoid; }
}
"""


def html_inline(text: str) -> str:
    """``text`` on one line, escaped (a heading, a label, a name, a cell)."""
    return escape(one_line(text))


def html_text(text: str) -> str:
    """``text`` as escaped paragraphs, each line of it a line (``<br>`` between them)."""
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in lines) + "</p>" for lines in text_lines(text)
    )


def _h(level: int, inner: str, attrs: str = "") -> str:
    level = min(level, 6)
    return f"<h{level}{attrs}>{inner}</h{level}>"


def session_body(doc: SessionDocument, level: int = 1, title_id: str = "") -> str:
    """One session as an ``<article>``; ``level`` is its title's heading level."""
    out = [
        '<article class="session"'
        + (f' aria-labelledby="{title_id}">' if title_id else ">")
        + _h(level, html_inline(doc.title), f' id="{title_id}"' if title_id else "")
    ]
    if doc.lead is not None:
        label = html_inline(doc.lead.label)
        out.append(
            '<div class="lead">'
            + (f'<p class="label">{label}</p>' if label else "")
            + html_text(doc.lead.text)
            + "</div>"
        )
    facts = [("When", escape(doc.when)), ("Time", escape(doc.time)), ("Status", doc.status)]
    if one_line(doc.community):
        facts.append(("Community", html_inline(doc.community)))
    if doc.attendees:
        facts.append(("Present", ", ".join(html_inline(n) for n in doc.attendees)))
    facts += [(html_inline(role.label) or "Role", html_inline(role.text)) for role in doc.roles]
    out.append(
        '<dl class="facts">'
        + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
        + "</dl>"
    )
    sub = level + 1
    if doc.setup:
        out.append(_h(sub, "Setup"))
        for item in doc.setup:
            label = html_inline(item.label)
            out.append((f'<p class="label">{label}</p>' if label else "") + html_text(item.text))
    out.append(_h(sub, "Timing"))
    out.append(
        "<table><thead><tr>"
        '<th scope="col" class="num">#</th><th scope="col">Step</th>'
        '<th scope="col" class="num">Planned</th><th scope="col" class="num">Actual</th>'
        '<th scope="col">Note</th></tr></thead><tbody>'
    )
    for row in doc.timing:
        over = ' class="over"' if row.over else ""
        out.append(
            f'<tr{over}><td class="num">{row.number}</td><td>{html_inline(row.title)}</td>'
            f'<td class="num">{row.planned}</td><td class="num actual">{row.actual}</td>'
            f"<td>{escape(row.note)}</td></tr>"
        )
    out.append(
        '</tbody><tfoot><tr><th scope="row" colspan="2">Total</th>'
        f'<td class="num">{doc.planned}</td><td class="num">{doc.actual}</td><td></td></tr>'
        "</tfoot></table>"
    )
    if doc.notes:
        out.append(_h(sub, "Notes"))
        for step in doc.notes:
            out.append(_h(sub + 1, f"{step.number}. {html_inline(step.title)}"))
            for note in step.notes:
                label = html_inline(note.label)
                out.append(
                    (f'<p class="label">{label}</p>' if label else "") + html_text(note.text)
                )
    if doc.actions:
        out.append(_h(sub, "Action items"))
        out.append('<ul class="actions">')
        for action in doc.actions:
            owner = html_inline(action.owner)
            out.append(
                f'<li><span class="state state-{action.state}">{escape(action.state_words)}'
                f"</span> {html_inline(action.text)}"
                + (f' <span class="meta">({owner})</span>' if owner else "")
                + "</li>"
            )
        out.append("</ul>")
    if text_lines(doc.reflection):
        out.append(_h(sub, "Reflection"))
        out.append(html_text(doc.reflection))
    out.append("</article>")
    return "\n".join(out)


EXPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""An export is a document: its own style, no scripts, nothing loaded."""


def page(title: str, body: str, *, head: str = "", policy: str = EXPORT_POLICY) -> str:
    """A whole HTML page around ``body`` (which brings its own landmarks). ``title`` is escaped
    here; ``head`` is markup for ``<head>`` (the site's links)."""
    csp = f'<meta http-equiv="Content-Security-Policy" content="{policy}">' if policy else ""
    style = "" if head else f"<style>{STYLE}</style>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n{csp}\n'
        f"<title>{escape(title)}</title>\n{style}{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def session_html(record: SessionRecord) -> str:
    """A session as a page of its own."""
    doc = session_document(record)
    return page(one_line(doc.title), f"<main>\n{session_body(doc)}\n</main>")


def digest_html(records: Sequence[SessionRecord], title: str) -> str:
    """Several sessions, oldest first, in one page with a table of contents."""
    ordered = sorted(records, key=lambda r: r.started)
    docs = [session_document(record) for record in ordered]
    toc = []
    for n, doc in enumerate(docs, 1):
        focus = f": {html_inline(doc.lead.text)}" if doc.lead is not None else ""
        toc.append(f'<li><a href="#s{n}">{html_inline(doc.title)}</a>{focus}</li>')
    body = [
        f"<main>\n<h1>{html_inline(title)}</h1>",
        f'<p class="meta">{len(docs)} session(s).</p>',
        '<nav aria-label="Sessions in this digest"><ol class="toc">' + "".join(toc) + "</ol></nav>",
        *(session_body(doc, level=2, title_id=f"s{n}") for n, doc in enumerate(docs, 1)),
        "</main>",
    ]
    return page(one_line(title), "\n".join(body))
