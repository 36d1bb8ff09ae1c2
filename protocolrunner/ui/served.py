"""The app served to a web browser (``protocolrunner serve``, through textual-serve).

A browser keeps some keys for itself: F5 reloads the page, F12 opens its tools, ctrl+w
closes the tab and ctrl+p prints. Served, each binding on those keys gets another key first,
which the footer then shows; the original key still works where the browser lets it through.
"""

from __future__ import annotations

import os

WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""What textual-serve sets ``TEXTUAL_DRIVER`` to in each app it runs."""

PALETTE_KEY = "ctrl+k"
"""The command palette, served (ctrl+p prints the page), as web apps commonly have it."""

SERVED_KEYMAP = {
    "run.pause": "f6,f5",
    "run.resume": "f6,f5",
    "run.end": "f4,f12",
    "preview.reload": "f6,f5",
    "setup.start": "ctrl+s",
    "summary.home": "ctrl+g,ctrl+w",
}
"""Binding id -> keys when served: an alternative first for every F5, F12 and ctrl+w."""


def is_served() -> bool:
    """Whether this process is an app that textual-serve runs for a browser."""
    return os.environ.get("TEXTUAL_DRIVER", "") == WEB_DRIVER
