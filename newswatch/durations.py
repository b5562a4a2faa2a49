"""Durations such as "30m", "1h", "90s", "2d"."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DAYS = 36500  # beyond ~100 years a date or a timer overflows; no cadence needs more
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: str) -> float:
    """Seconds in a duration string; ValueError with a readable message when malformed."""
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"bad duration {value!r}: use a number with s, m, h or d, e.g. '30m'")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"bad duration {value!r}: must be more than zero")
    if seconds > MAX_DAYS * 86400:
        raise ValueError(f"bad duration {value!r}: must be at most {MAX_DAYS}d")
    return seconds
