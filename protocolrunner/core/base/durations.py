"""How a length of time reads, everywhere the app or an export shows one."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """``150`` -> ``2:30``; ``3600`` -> ``1:00:00``. Negative values get a minus sign."""
    sign = "-" if seconds < 0 else ""
    whole = int(abs(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def given_phrase(seconds: int) -> str:
    """``+1:00 given`` or ``-2:00 given``: a step's adjustment; ``""`` when there was none."""
    if not seconds:
        return ""
    return f"{'+' if seconds > 0 else '-'}{format_duration(abs(seconds))} given"


def format_minutes(seconds: float) -> str:
    """``600`` -> ``10 min``; ``150`` -> ``2 min 30 s`` (a plan in words: a clock-like ``2:30``
    is what a countdown shows, and ``2.5 min`` reads as neither)."""
    whole, rest = divmod(round(seconds), 60)
    if not rest:
        return f"{whole} min"
    return f"{whole} min {rest} s" if whole else f"{rest} s"
