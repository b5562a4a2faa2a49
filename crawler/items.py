"""The one item the spider yields: a raw fetched page, handed to the ingest pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from store import RawPage


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

    def raw_page(self) -> RawPage:
        return RawPage(url=self.url, final_url=self.final_url, status=self.status,
                       headers=self.headers, body=self.body, source=self.source,
                       fetched_at=self.fetched_at)
