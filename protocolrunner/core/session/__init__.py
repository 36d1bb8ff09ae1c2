"""A meeting in progress: one protocol run against one clock.

The engine (``engine``): steps, turns, who speaks, pause, extend, skip, notes. Time comes from
``clock`` only. Who plays which role (``roles``), fitting steps to the time a group has
(``fit``), how a session ended (``outcome``), how its times and voices read (``wording``) and the
journal that resumes an interrupted meeting (``journal``).
"""
