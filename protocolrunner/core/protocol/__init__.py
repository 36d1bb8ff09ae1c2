"""Protocols: the TOML format authors write, and the library of files the app offers.

The pydantic model (``model``), turning its errors into file:line:key problems
(``validation``), likely mistakes (``lint``), the JSON Schema for editors (``schema``), new files
(``scaffold``), the library gathered from every source (``library``, with ``summaries`` so the
list needs no pydantic) and protocols rendered as text (``describe``).
"""
