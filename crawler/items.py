"""The one item the spider yields: a raw fetched page, handed to the ingest pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from store import RawPage
from store.revisit import DEFAULT_AGES


@dataclass
class PageItem:
    """A fetched article candidate, as the server sent it (a 304 has an empty body).

    `url` is the URL we asked for (the key of the store's `pages` table and of
    conditional GET); `final_url` is where redirects ended.
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-case names, repeated headers joined with ", "
    body: bytes = field(repr=False)
    source: str
    fetched_at: str  # ISO 8601 UTC
    # the store's body hash for `url` when the request was made (crawler.middlewares.
    # conditional); looked_up False: not asked yet, the pipeline asks the store
    looked_up: bool = False
    stored_hash: str | None = None
    run_key: int | None = None  # the source run it was fetched for (crawler.runbook)
    listed_mark: str | None = None  # its entry in the feed or listing (crawler.recheck)
    revisit: tuple[float, ...] = DEFAULT_AGES  # its source's revisit schedule
    run_id: int | None = None  # the store's runs row of that run

    def raw_page(self) -> RawPage:
        return RawPage(url=self.url, final_url=self.final_url, status=self.status,
                       headers=self.headers, body=self.body, source=self.source,
                       fetched_at=self.fetched_at, listed_mark=self.listed_mark,
                       revisit=self.revisit, run_id=self.run_id)
