"""The UI-free core: protocol model, session engine and community record.

Nothing in this package imports Textual; ``tests/test_architecture.py`` keeps it that way.
"""
