"""What every part of the core stands on: reading and writing files safely.

Atomic writes (``atomic``), TOML read with positions and one-line problems (``problems``,
``tomlpos``, ``tomlfast``), the folders protocolrunner keeps on this machine (``paths``), text
made safe for a terminal (``text``), how a length of time reads (``durations``) and reading many
files on every core (``readpool``). Nothing here imports the rest of the core.
"""
