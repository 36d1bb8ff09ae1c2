"""The one private Textual name the tests use, kept here so a Textual upgrade breaks one place.

Textual 8.2.8 (pinned) has no public way to get the key name a terminal reports for a typed
character (``,`` arrives as ``comma``, ``/`` as ``slash``): ``Pilot.press`` builds its key
events with this function, and ``ui_flow.type_text`` must build the same events to type long
notes without Pilot's wait for idle after every single key.
"""

from textual.keys import _character_to_key as character_to_key

__all__ = ["character_to_key"]
