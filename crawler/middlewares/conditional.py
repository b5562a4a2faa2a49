"""Conditional GET for article pages and discovery documents (feeds, sitemaps, listings),
from the fetch state in the store's `pages` table.

Scrapy's HttpCache is deliberately not used: the store already keeps each page's
ETag, Last-Modified and body hash, and a 304 must reach the pipeline (it is allowed
through `HTTPERROR_ALLOWED_CODES`) so it can be counted and the page touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.counting import count_request

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.ingest import IngestService

PAGE_META = "newswatch_page"  # request.meta key: the page URL the response is stored under
DOC_META = "newswatch_document"  # request.meta key: the URL a discovery document is kept under
# request.meta key: the body hash the store had for the page when the request was made
# (None: no body kept); the pipeline compares the response with it without asking again
KNOWN_BODY_META = "newswatch_known_body"
# request.meta key: the page's stored state (PageState or None), when the spider looked it
# up already (it does for a whole feed at once): no look-up per request then
KNOWN_STATE_META = "newswatch_known_state"
CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalGetMiddleware:
    """Downloader middleware: add If-None-Match / If-Modified-Since to known pages."""

    def __init__(self, crawler: Crawler, ingest: IngestService) -> None:
        self.crawler = crawler
        self.ingest = ingest

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        ingest = crawler.settings.get("NEWSWATCH_INGEST")
        if ingest is None or not crawler.settings.getbool("NEWSWATCH_CONDITIONAL_GET"):
            raise NotConfigured
        return cls(crawler, ingest)

    async def process_request(self, request: Request) -> None:
        page_url = request.meta.get(PAGE_META) or request.meta.get(DOC_META)
        if not page_url:
            return None
        # A redirect copies the headers of the request it came from; the validators
        # must always be those of the page the response will be stored under.
        for name in CONDITIONAL_HEADERS:
            request.headers.pop(name, None)
        if KNOWN_STATE_META in request.meta:
            state = request.meta[KNOWN_STATE_META]
        else:
            state = await maybe_deferred_to_future(self.ingest.page_state(page_url))
        if request.meta.get(PAGE_META):
            request.meta[KNOWN_BODY_META] = state.body_hash if state is not None else None
        if state is None or not state.body_hash:
            return None
        if state.etag:
            request.headers[b"If-None-Match"] = state.etag
        if state.last_modified:
            request.headers[b"If-Modified-Since"] = state.last_modified
        if state.etag or state.last_modified:
            count_request(self.crawler, request, "conditional")
        return None
