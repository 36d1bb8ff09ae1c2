"""A facilitator's settings: keys, clicker, theme, time signals (``model``), and where they and
what the app remembers between runs are kept (``config``)."""
