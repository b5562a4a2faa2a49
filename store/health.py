"""Run status and source health: pure rules over plain numbers.

A run *failed* when nothing could be fetched (network errors), when every page
was an error, or when pages were read but none was an article where the last
good run found some (a redesign, a block page).  Errors on some pages only make
it *partial*, which still counts as working.

A source is *failing* after a failed run (until a run works again), *silent*
when its runs work but it has brought no new article for SILENT_AFTER, *ok*
otherwise.  `source_failed` is raised once, when a source starts failing;
`source_recovered` when a failing source works again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

SILENT_AFTER = timedelta(days=7)
COUNT_KEYS = ("fetched", "new", "updated", "unchanged", "duplicates", "errors")


@dataclass(frozen=True)
class RunTally:
    """What the store itself saw during a run, next to the crawler's counts."""

    articles: int = 0  # pages that were (or still are) articles
    not_articles: int = 0  # pages extracted and found not to be articles
    unchanged: int = 0  # pages not re-read: 304 or same body


def run_status(counts: dict[str, int], tally: RunTally,
               previous_articles: int | None) -> tuple[str, str | None]:
    """(status, reason) of a finished run. `previous_articles`: the last good run's count."""
    fetched = counts.get("fetched", 0)
    errors = counts.get("errors", 0)
    if errors and not fetched:
        return "failed", f"nothing fetched, {errors} errors"
    if errors and errors >= fetched:
        return "failed", f"every page an error ({errors})"
    if (not tally.articles and tally.not_articles and not tally.unchanged
            and previous_articles):
        return "failed", (f"no articles among {tally.not_articles} pages"
                          f" (last good run: {previous_articles})")
    if errors:
        return "partial", f"{errors} errors"
    return "ok", None


@dataclass(frozen=True)
class Health:
    failures: int
    health: str
    event: str | None  # source_failed / source_recovered / None


def next_health(status: str, failures: int, quiet_for: timedelta | None) -> Health:
    """Health after a run. `quiet_for`: time since the source last brought a new article
    (or since its first run, if it never did)."""
    if status == "failed":
        return Health(failures + 1, "failing", "source_failed" if failures == 0 else None)
    event = "source_recovered" if failures > 0 else None
    silent = quiet_for is not None and quiet_for >= SILENT_AFTER
    return Health(0, "silent" if silent else "ok", event)
