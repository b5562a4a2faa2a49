"""Whether a known article named by a feed, sitemap or listing is asked for again.

A pure rule over plain data (the page's stored state, what the document says of it, the
time), shared by the one-off crawl and the daemon:
- an unknown page, or one we hold no good copy of, is always fetched;
- a sitemap or Atom `lastmod` that is not newer than our copy skips it, a newer one
  fetches it;
- a one-off crawl (`recheck_all`) asks again for every other listed page (conditional
  GET keeps that cheap);
- the daemon asks again only when the document's entry for the page changed (its
  `mark`: the feed item, the sitemap entry, the listing headline) or the page's revisit
  time has come (store.revisit); everything else waits.
"""

from __future__ import annotations

from datetime import datetime

from crawler.discovery import changed_since
from store.model import PageState

NEW = "new"
LASTMOD = "lastmod"
RECHECK = "recheck"
ENTRY_CHANGED = "entry-changed"
DUE = "due"
NOT_CHANGED = "skipped/lastmod"  # skip: lastmod says unchanged since our copy
NOT_DUE = "skipped/not-due"  # skip: entry unchanged, revisit not due
SKIPS = (NOT_CHANGED, NOT_DUE)


def why_fetch(state: PageState | None, lastmod: datetime | None, mark: str | None,
              now: str, recheck_all: bool) -> str:
    """Why the page is fetched (NEW, LASTMOD, RECHECK, ENTRY_CHANGED, DUE), or which skip
    applies (NOT_CHANGED, NOT_DUE). `now`: the store's ISO 8601 UTC timestamp."""
    if state is None or not state.good_copy:
        return NEW
    if lastmod is not None:
        if changed_since(lastmod, state.last_modified, state.fetched_at):
            return LASTMOD
        return NOT_CHANGED
    if recheck_all:
        return RECHECK
    if mark is not None and mark != state.listed_mark:
        return ENTRY_CHANGED
    if state.next_check_at is not None and state.next_check_at <= now:
        return DUE
    return NOT_DUE
