"""The `news` spider: discovers and fetches the pages of one configured source.

    scrapy crawl news -a source=m31          # config: $NEWSWATCH_CONFIG, else ./newswatch.toml
    scrapy crawl news -a source=m31 -a config=other.toml

It only discovers and fetches: feeds and sitemaps (`feed`, `sitemap`), listing pages
(`start` + `follow`, paginated up to `max_pages`; without `follow`, every link on the
source's own hosts is a candidate) and fixed pages (`urls`). Each article candidate is
yielded as a raw `PageItem`; extraction and storage happen in
`crawler.pipelines.IngestPipeline`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler.configure import source_settings
from crawler.discovery import (
    DiscoveryError,
    Link,
    changed_since,
    host_of,
    parse_document,
)
from crawler.ingest import IngestService
from crawler.items import PageItem
from crawler.listing import parse_listing
from crawler.middlewares.conditional import DOC_META, KNOWN_BODY_META, PAGE_META
from extract.canonical import canonicalize_url
from newswatch.config import Config, Source, load_config
from newswatch.exceptions import ConfigError
from store.model import iso, utcnow

logger = logging.getLogger(__name__)


class NewsSpider(scrapy.Spider):
    """Ingest one source of newswatch.toml (spider argument `source`, optional `config`)."""

    name = "news"

    def __init__(self, source: Source, config: Config, ingest: IngestService,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.config = config
        self.ingest = ingest
        self.hosts = {host_of(u) for u in source.configured_urls}
        self.follow = [re.compile(p) for p in source.follow]
        self.seen: set[str] = set()  # article URLs already requested or skipped in this run
        self.seen_documents: set[str] = set(source.configured_urls)  # feeds, sitemaps, listings

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, source: str | None = None,
                     config: Config | str | None = None, ingest: IngestService | None = None,
                     **kwargs: Any) -> NewsSpider:
        """Load the config, turn the source into settings, share or open the ingest service.

        `config` is a loaded Config (from `crawl_sources`) or a path (`-a config=PATH`);
        without it the usual lookup applies. Raises ConfigError for a bad config or name.
        """
        cfg = config if isinstance(config, Config) else load_config(config)
        if not source:
            raise ConfigError("no source given (use -a source=NAME)", path=str(cfg.path),
                              key="source")
        src = cfg.source(source)
        crawler.settings.setdict(source_settings(cfg, src), priority="spider")
        owned = ingest is None
        if ingest is None:
            ingest = IngestService.from_config(
                cfg, workers=crawler.settings.getint("NEWSWATCH_EXTRACT_WORKERS"))
        crawler.settings.set("NEWSWATCH_INGEST", ingest, priority="spider")
        crawler.settings.set("NEWSWATCH_INGEST_OWNED", owned, priority="spider")
        spider = cls(src, cfg, ingest, *args, **kwargs)
        spider._set_crawler(crawler)
        return spider

    # -- requests -----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        self.ingest.warm_up()
        for url in self.source.feed + self.source.sitemap:
            yield self.document_request(url, self.parse_document, depth=0)
        for url in self.source.start:
            yield self.document_request(url, self.parse_listing, page=0)
        for url in self.source.urls:
            self.seen.add(url)
            yield self.page_request(url)

    def document_request(self, url: str, callback: Any, fresh: bool = False,
                         **cb_kwargs: Any) -> Request:
        """A feed, sitemap or listing: asked for conditionally unless `fresh`."""
        return Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs,
                       meta={} if fresh else {DOC_META: url}, dont_filter=True)

    async def document(self, response: Response) -> Response | None:
        """The document as received or, after a 304, as kept when it last changed (None:
        nothing is kept; the caller asks for it again in full)."""
        page = self.fetched(response, DOC_META).raw_page()
        if response.status == 304:
            self.count(oc.DOCUMENTS_NOT_MODIFIED)
            kept = await maybe_deferred_to_future(
                self.ingest.call(self.ingest.store.reuse_document, page))
            if kept is None:
                return None
            body, content_type = kept
            headers = response.headers.copy()
            if content_type:
                headers[b"Content-Type"] = content_type
            cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
            return response.replace(cls=cls, status=200, headers=headers, body=body)
        if response.status == 200 and DOC_META in response.meta:
            d = self.ingest.call(self.ingest.store.remember_document, page)
            d.addErrback(lambda f: logger.error("could not keep %s: %s", page.url,
                                                f.getErrorMessage()))
        return response

    def page_request(self, url: str) -> Request:
        # dont_filter: the spider dedupes pages itself (claim), and Scrapy's filter would
        # silently swallow the way back of a redirect loop instead of letting it be counted
        return Request(url, callback=self.parse_page, errback=self.on_error,
                       meta={PAGE_META: url}, dont_filter=True)

    def claim(self, urls: Iterable[str]) -> list[str]:
        """The canonical forms of `urls` not yet handled in this run, now marked handled
        (feeds, sitemaps and listings of one source overlap; each page counts once)."""
        fresh = [u for u in dict.fromkeys(canonicalize_url(u) for u in urls)
                 if u not in self.seen]
        self.seen.update(fresh)
        return fresh

    def article_requests(self, urls: Iterable[str]) -> Iterator[Request]:
        """Requests for claimed article URLs."""
        for url in urls:
            self.count(oc.DISCOVERED)
            yield self.page_request(url)

    # -- callbacks ----------------------------------------------------------------------

    async def parse_document(self, response: Response, depth: int) -> AsyncIterator[Request]:
        """A feed, a sitemap or a sitemap index."""
        self.count(oc.FETCHED)
        kept = await self.document(response)
        if kept is None:
            yield self.document_request(response.url, self.parse_document, fresh=True,
                                        depth=depth)
            return
        response = kept
        try:
            found = parse_document(response.body, response.url)
        except DiscoveryError as exc:
            self.record_error("malformed-feed", response.url, response.status, str(exc))
            return
        if found.recovered:
            logger.warning("%s: malformed XML in %s, read what could be recovered",
                           self.source.name, response.url)
            self.count("recovered-xml")
        if found.kind == "index":
            max_depth = self.settings.getint("NEWSWATCH_SITEMAP_MAX_DEPTH")
            for link in found.links:
                if (depth < max_depth and host_of(link.url) in self.hosts
                        and link.url not in self.seen_documents):
                    self.seen_documents.add(link.url)
                    yield self.document_request(link.url, self.parse_document,
                                                depth=depth + 1)
            return
        for request in self.article_requests(await self._changed(found.links)):
            yield request

    async def _changed(self, links: list[Link]) -> list[str]:
        """Canonical URLs of the (claimed) links whose lastmod does not show them
        unchanged since our last fetch (pages are stored under their canonical URL)."""
        lastmods = {canonicalize_url(link.url): link.lastmod for link in links}
        canonical = [(url, lastmods[url]) for url in self.claim(lastmods)]
        dated = [url for url, lastmod in canonical if lastmod is not None]
        states = await maybe_deferred_to_future(self.ingest.page_states(dated)) if dated else {}
        keep = []
        for url, lastmod in canonical:
            state = states.get(url)
            # only a good copy counts: an error also updates a page's fetched_at
            if (state is None or not state.body_hash or (state.status or 0) >= 400
                    or changed_since(lastmod, state.last_modified, state.fetched_at)):
                keep.append(url)
            else:
                self.count(oc.SKIPPED_LASTMOD)
                self.count(oc.UNCHANGED)
        return keep

    async def parse_listing(self, response: Response, page: int) -> AsyncIterator[Request]:
        """A listing page: article links matching `follow`, then the next page."""
        self.count(oc.FETCHED)
        kept = await self.document(response)
        if kept is None:
            yield self.document_request(response.url, self.parse_listing, fresh=True,
                                        page=page)
            return
        response = kept
        if not isinstance(response, TextResponse):
            self.record_error("not-html", response.url, response.status,
                              "listing page is not HTML")
            return
        listing = parse_listing(response.text, response.url,
                                self.follow or [re.compile("")], self.hosts)
        for request in self.article_requests(self.claim(listing.links)):
            yield request
        next_page = listing.next_page
        if next_page and page < self.source.max_pages and next_page not in self.seen_documents:
            self.seen_documents.add(next_page)
            yield self.document_request(next_page, self.parse_listing, page=page + 1)

    def parse_page(self, response: Response) -> Iterator[PageItem]:
        """An article candidate (or a 304 for one): hand the raw page to the pipeline."""
        self.count(oc.FETCHED)
        item = self.fetched(response, PAGE_META)
        if KNOWN_BODY_META in response.meta:
            item.looked_up, item.stored_hash = True, response.meta[KNOWN_BODY_META]
        yield item

    def fetched(self, response: Response, meta_key: str) -> PageItem:
        """The raw response, stored under the URL the request was made for."""
        return PageItem(url=response.meta.get(meta_key, response.url), final_url=response.url,
                        status=response.status, headers=headers_of(response),
                        body=response.body, source=self.source.name, fetched_at=iso(utcnow()))

    def on_error(self, failure: Failure) -> None:
        """Count a failed request and go on with the rest of the source."""
        request: Request = failure.request  # type: ignore[attr-defined]
        kind, status = oc.error_kind(failure)
        if kind == "robots":
            self.count(oc.SKIPPED_ROBOTS)
            return
        self.count(oc.FETCHED)  # a request that ended, if only in an error
        reason = str(failure.value) or self.describe(kind)
        if isinstance(failure.value, HttpError) and kind == "bad-redirect":
            location = failure.value.response.headers.get("Location") or b""
            reason = (f"redirect to {location.decode('latin-1')[:200]!r} not followed"
                      " (only http and https)")
        self.record_error(kind, request.meta.get(PAGE_META, request.url), status, reason)

    def describe(self, kind: str) -> str:
        """A reason for an error whose exception says nothing (e.g. a cancelled download)."""
        if kind == "too-large":
            return (f"response body larger than the download max size"
                    f" ({self.settings.getint('DOWNLOAD_MAXSIZE')} bytes)")
        return kind

    # -- counting -----------------------------------------------------------------------

    def count(self, outcome: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(oc.PREFIX + outcome, n)

    def record_error(self, kind: str, url: str, status: int | None, reason: str) -> None:
        self.count(oc.ERRORS)
        self.count(f"{oc.ERRORS}/{kind}")
        logger.warning("%s: %s %s (%s)", self.source.name, kind, url, reason)
        d = self.ingest.record_error(url, self.source.name, status, f"{kind}: {reason}")
        d.addErrback(lambda f: logger.error("could not record error for %s: %s", url,
                                            f.getErrorMessage()))


def headers_of(response: Response) -> dict[str, str]:
    """Response headers with lower-case names, repeated headers joined with ", "."""
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()}
