"""The revisit schedule: when a known article is next re-requested to catch edits.

Pure functions over plain data. An article is re-checked when it is `ages[i]` old since
first seen (default 1h, 3h, 12h, 1d, 3d, 7d), and after the last age never again, unless
its feed, sitemap or listing signals a change (crawler side). Edits cluster in an
article's first hours, so the checks thin out as it ages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from store.model import DEFAULT_REVISIT, iso

DEFAULT_AGES = DEFAULT_REVISIT


def next_check(first_seen: datetime, now: datetime,
               ages: Sequence[float] = DEFAULT_AGES) -> datetime | None:
    """The first scheduled check after `now`, or None when the schedule is used up."""
    for age in sorted(ages):
        due = first_seen + timedelta(seconds=age)
        if due > now:
            return due
    return None


def next_check_iso(first_seen: str | None, now: datetime,
                   ages: Sequence[float] = DEFAULT_AGES) -> str | None:
    """next_check over the store's ISO 8601 timestamps (first_seen None: now)."""
    start = parse_iso(first_seen) if first_seen else now
    due = next_check(start, now, ages)
    return iso(due) if due is not None else None


def parse_iso(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
