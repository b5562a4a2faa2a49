"""Digest periods: `digest = "1h"` (`at = "07:00"`) cuts local time into periods.

Periods are laid from the day's `at` (local time; default midnight) in steps of the
digest length: "1d" at "07:00" is 07:00 to 07:00 the next day, "1h" is every whole hour,
"15m" every quarter. An event belongs to the period its time (`events.at`) falls in;
the period's message is due a little after its end (DIGEST_GRACE), so an event written
in its last moment is in it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

DIGEST_GRACE = 2.0  # seconds after a period's end before its message goes


def parse_at(at: str | None) -> tuple[int, int]:
    if not at:
        return 0, 0
    hours, minutes = at.split(":")
    return int(hours), int(minutes)


def period_of(moment: datetime, seconds: float, at: str | None) -> tuple[datetime, datetime]:
    """(start, end) in UTC of the period that holds `moment` (an aware datetime)."""
    local = moment.astimezone()  # the machine's local time zone
    hours, minutes = parse_at(at)
    anchor = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    steps = math.floor((local - anchor).total_seconds() / seconds)
    start = anchor + timedelta(seconds=steps * seconds)
    return start.astimezone(UTC), (start + timedelta(seconds=seconds)).astimezone(UTC)


def due_at(period_end: datetime) -> datetime:
    return period_end + timedelta(seconds=DIGEST_GRACE)
