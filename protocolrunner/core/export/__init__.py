"""Sessions for people who never open the app: Markdown, JSON, HTML, PDF and a static website.

``formats`` picks a format by name for the command line and the screens. ``markdown`` writes
Markdown and JSON, with people's text escaped by ``escape``; ``document`` lays a session out once
for ``html``, ``pdf`` and the website (``site``).
"""
