"""The `news` spider: one engine that discovers and fetches the pages of many source runs.

    scrapy crawl news -a source=m31          # config: $NEWSWATCH_CONFIG, else ./newswatch.toml
    scrapy crawl news -a source=m31 -a config=other.toml

Each source run (crawler.runbook) starts with its feeds and sitemaps (`feed`, `sitemap`),
listing pages (`start` + `follow`, paginated up to `max_pages`; without `follow`, every
link on the source's own hosts is a candidate), fixed pages (`urls`) and the known pages
whose revisit is due. Article candidates are yielded as raw `PageItem`s; extraction and
storage happen in `crawler.pipelines.IngestPipeline`.

One spider serves every run of a process: `scrapy crawl` and `newswatch crawl` start it
with their sources and it closes when their runs are over; the daemon's engine keeps it
open and hands it runs as they fall due (`keep_alive`), so one downloader, with per-site
slots, serves every source. Callbacks get their run through `cb_kwargs`; a source's own
settings ride on each request (crawler.configure.source_meta).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler import recheck
from crawler.configure import engine_settings, source_headers, source_meta, source_settings
from crawler.discovery import DiscoveryError, Link, host_of, parse_document
from crawler.downloader import SiteDownloader
from crawler.ingest import IngestService
from crawler.items import PageItem
from crawler.listing import parse_listing
from crawler.middlewares.conditional import DOC_META, KNOWN_BODY_META, KNOWN_STATE_META, PAGE_META
from crawler.quickcheck import QuickCheck
from crawler.runbook import RunBook, SourceRun
from extract.canonical import canonicalize_url
from newswatch.config import Config, Source, load_config
from newswatch.exceptions import ConfigError
from store.model import PageState, now_iso, site_of

logger = logging.getLogger(__name__)

MARK_META = "newswatch_mark"  # request.meta key: the listing entry's mark (crawler.recheck)


class NewsSpider(scrapy.Spider):
    """Ingest sources of newswatch.toml (spider argument `source`, optional `config`)."""

    name = "news"

    def __init__(self, config: Config, ingest: IngestService, sources: Iterable[Source] = (),
                 keep_alive: bool = False, recheck_all: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.ingest = ingest
        self.initial = list(sources)
        self.keep_alive = keep_alive
        self.recheck_all = recheck_all
        self.runbook = RunBook(ingest, self.begin, limit=config.daemon.runs_in_flight,
                               timeout=config.daemon.run_timeout, keep_finished=not keep_alive)
        self.quick: QuickCheck | None = None
        self._quick_tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, source: str | None = None,
                     sources: Iterable[str] = (), config: Config | str | None = None,
                     ingest: IngestService | None = None, keep_alive: bool = False,
                     recheck_all: bool = True, **kwargs: Any) -> NewsSpider:
        """Load the config, turn it into settings, share or open the ingest service.

        `config` is a loaded Config or a path (`-a config=PATH`); without it the usual
        lookup applies. `source` (`-a source=NAME`) or `sources` name the runs to make,
        after which the spider closes; `keep_alive` keeps it open for runs handed to it
        later (`runbook.submit`). Raises ConfigError for a bad config or name.
        """
        cfg = config if isinstance(config, Config) else load_config(config)
        names = [source] if source else list(sources)
        if not names and not keep_alive:
            raise ConfigError("no source given (use -a source=NAME)", path=str(cfg.path),
                              key="source")
        chosen = [cfg.source(name) for name in names]
        settings = (source_settings(cfg, chosen[0]) if len(chosen) == 1 and not keep_alive
                    else engine_settings(cfg))
        crawler.settings.setdict(settings, priority="spider")
        owned = ingest is None
        if ingest is None:
            ingest = IngestService.from_config(
                cfg, workers=crawler.settings.getint("NEWSWATCH_EXTRACT_WORKERS"))
        crawler.settings.set("NEWSWATCH_INGEST", ingest, priority="spider")
        crawler.settings.set("NEWSWATCH_INGEST_OWNED", owned, priority="spider")
        spider = cls(cfg, ingest, chosen, keep_alive, recheck_all, *args, **kwargs)
        spider._set_crawler(crawler)
        spider.quick = QuickCheck(crawler)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # -- runs ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        """Nothing to yield: each run's requests enter the engine when the run starts."""
        self.ingest.warm_up()
        self.runbook.start_timer()
        if not self.keep_alive:
            self.runbook.on_empty = self._all_done
        for source in self.initial:
            self.runbook.submit(source, recheck_all=self.recheck_all)
        for _ in ():
            yield _

    def submit(self, source: Source, next_run_at: str | None = None) -> SourceRun:
        """A run of `source` for the daemon: only new, changed and due pages."""
        return self.runbook.submit(source, recheck_all=self.recheck_all, next_run_at=next_run_at)

    async def begin(self, run: SourceRun) -> None:
        """A run's first requests: its documents, its fixed pages, its due revisits."""
        source = run.source
        documents = list(source.feed + source.sitemap + source.start)
        opening = await maybe_deferred_to_future(self.ingest.open_run(
            source.name, run.run_id is None, self.settings.getint("NEWSWATCH_DUE_PAGES_MAX"),
            documents))
        if opening.run_id is not None:
            run.run_id = opening.run_id
        if self.runbook.stopping:
            return  # stopping while it opened: recorded, nothing fetched
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if isinstance(downloader, SiteDownloader):
            for site in {site_of(u) for u in source.configured_urls}:
                downloader.register(site, source.delay, source.concurrency)
        run.seen_documents.update(source.configured_urls)
        for url in source.feed + source.sitemap:
            self.schedule(self.quick_or_full(run, self.document_request(
                run, url, self.parse_document, state=opening.documents.get(url), depth=0)))
        for url in source.start:
            self.schedule(self.quick_or_full(run, self.document_request(
                run, url, self.parse_listing, state=opening.documents.get(url), page=0)))
        fixed = self.claim(run, source.urls)
        states: dict[str, PageState] | None = None
        if fixed and self.quick_ready:
            states = await maybe_deferred_to_future(self.ingest.pages(fixed))
        if self.runbook.stopping:
            return
        for url in fixed:
            self.schedule(self.quick_or_full(run, self.page_request(
                run, url, states.get(url) if states else None, looked_up=states is not None)))
        for state in opening.due:
            for url in self.claim(run, [state.url]):
                self.count(run, oc.REVISITED)
                self.schedule(self.quick_or_full(run, self.page_request(run, url, state)))

    def schedule(self, request: Request | None) -> None:
        if request is not None and self.crawler.engine is not None:
            self.crawler.engine.crawl(request)

    def _all_done(self) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None and not self.runbook.stopping:
            deferred_from_coro(engine.close_spider_async(reason="finished"))

    def on_idle(self) -> None:
        if self.keep_alive or self.runbook.busy:
            raise DontCloseSpider

    def on_request_dropped(self, request: Request) -> None:
        run = request.cb_kwargs.get("run")
        if isinstance(run, SourceRun):
            self.runbook.release(run)

    async def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        # after the scraper drained every item: whatever is still open was cut short
        self.runbook.stop_timer()
        tasks = list(self._quick_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.quick is not None:
            self.quick.close()
        await self.runbook.close_all("partial")
        if self.settings.getbool("NEWSWATCH_INGEST_OWNED"):
            self.ingest.close()

    # -- requests -----------------------------------------------------------------------

    def _request(self, run: SourceRun, url: str, callback: Any, meta: dict[str, Any],
                 cb_kwargs: dict[str, Any]) -> Request | None:
        """A request for `run`, holding it until its callback or errback is over."""
        if run.closed:
            return None
        self.runbook.hold(run)
        # dont_filter: the spider dedupes pages itself (claim), and Scrapy's filter would
        # silently swallow the way back of a redirect loop instead of letting it be counted
        return Request(url, callback=callback, errback=self.on_error,
                       headers=source_headers(run.source),
                       meta={**source_meta(run.source), **meta},
                       cb_kwargs={"run": run, **cb_kwargs}, dont_filter=True)

    def document_request(self, run: SourceRun, url: str, callback: Any, fresh: bool = False,
                         state: PageState | None = None, **cb_kwargs: Any) -> Request | None:
        """A feed, sitemap or listing: asked for conditionally unless `fresh` (`state`:
        its stored state, when looked up already)."""
        meta: dict[str, Any] = {}
        if not fresh:
            meta[DOC_META] = url
            if state is not None:
                meta[KNOWN_STATE_META] = state
        return self._request(run, url, callback, meta, cb_kwargs)

    def page_request(self, run: SourceRun, url: str, state: PageState | None = None,
                     mark: str | None = None, looked_up: bool = False) -> Request | None:
        """An article candidate; `state`: its stored state, when already looked up."""
        meta: dict[str, Any] = {PAGE_META: url}
        if state is not None or looked_up:
            meta[KNOWN_STATE_META] = state
        if mark is not None:
            meta[MARK_META] = mark
        return self._request(run, url, self.parse_page, meta, {})

    @property
    def quick_ready(self) -> bool:
        """Whether known pages can be re-checked quickly (crawler.quickcheck)."""
        return self.quick is not None and self.quick.ready()

    def quick_or_full(self, run: SourceRun, request: Request | None) -> Request | None:
        """`request` for Scrapy, or None when it went out as a quick re-check first
        (crawler.quickcheck); the request keeps holding its run either way."""
        quick = self.quick
        if request is None or quick is None or not quick.ready() or not quick.eligible(request):
            return request
        if DOC_META in request.meta and run.recheck_all:
            return request  # a run that reads every document reads a 304's kept copy
        task = asyncio.ensure_future(self._quick(run, request))
        self._quick_tasks.add(task)
        task.add_done_callback(self._quick_tasks.discard)
        return None

    async def _quick(self, run: SourceRun, request: Request) -> None:
        """A 304 goes to the pipeline as parse_page's item would; any other outcome sends
        the request the full way, a refusal (address, robots.txt) to its errback. The
        engine counts it in progress meanwhile: a graceful stop waits for it."""
        assert self.quick is not None
        with self.quick.in_progress():
            await self._quick_check(run, request)

    async def _quick_check(self, run: SourceRun, request: Request) -> None:
        assert self.quick is not None and self.quick.pipeline is not None
        try:
            headers = await self.quick.check(request)
        except IgnoreRequest as exc:
            failure = Failure(exc)
            failure.request = request  # type: ignore[attr-defined]
            self.on_error(failure)
            return
        except asyncio.CancelledError:
            self.runbook.release(run)
            raise
        except Exception:
            logger.exception("%s: quick re-check of %s failed", run.name, request.url)
            headers = None
        if headers is None:
            self.schedule(request)
            return
        if DOC_META in request.meta:  # as _read_document and document() take a 304
            try:
                self.count(run, oc.FETCHED)
                self.count(run, oc.DOCUMENTS_NOT_MODIFIED)
                run.unchanged_documents.append(self.raw_item(
                    run, request.meta[DOC_META], request.url, 304, headers, b"").raw_page())
            finally:
                self.runbook.release(run)
            return
        try:
            item = self.page_item(run, request.meta, self.raw_item(
                run, request.meta[PAGE_META], request.url, 304, headers, b""))
        finally:
            self.runbook.release(run)
        await self.quick.pipeline.process_item(item)

    def claim(self, run: SourceRun, urls: Iterable[str]) -> list[str]:
        """The canonical forms of `urls` not yet handled in this run, now marked handled
        (feeds, sitemaps and listings of one source overlap; each page counts once)."""
        fresh = [u for u in dict.fromkeys(canonicalize_url(u) for u in urls)
                 if u not in run.seen]
        run.seen.update(fresh)
        return fresh

    async def article_requests(self, run: SourceRun,
                               links: Iterable[Link]) -> AsyncIterator[Request]:
        """Requests for the claimed links worth fetching (crawler.recheck decides)."""
        entries = {canonicalize_url(link.url): link for link in links}
        claimed = self.claim(run, entries)
        if not claimed:
            return
        # An entry's state judges it, and the conditional GET (a quick re-check or the
        # middleware) reuses it. A run that asks again for every entry anyway needs only
        # the dated ones' states, unless quick re-checks will use them all.
        wanted = [u for u in claimed if not run.recheck_all or entries[u].lastmod is not None
                  or self.quick_ready]
        states = await maybe_deferred_to_future(self.ingest.pages(wanted)) if wanted else {}
        now, looked = now_iso(), set(wanted)
        for url in claimed:
            link, state = entries[url], states.get(url)
            why = recheck.why_fetch(state, link.lastmod, link.mark, now, run.recheck_all)
            if why in recheck.SKIPS:
                self.count(run, why)
                self.count(run, oc.UNCHANGED)
                continue
            self.count(run, oc.DISCOVERED)
            if why in (recheck.ENTRY_CHANGED, recheck.DUE):
                self.count(run, oc.REVISITED)
            request = self.quick_or_full(
                run, self.page_request(run, url, state, link.mark, looked_up=url in looked))
            if request is not None:
                yield request

    # -- callbacks ----------------------------------------------------------------------

    async def document(self, response: Response, run: SourceRun) -> Response | None:
        """The document as received or, after a 304, as kept when it last changed (None:
        nothing to read: not kept, or not needed)."""
        page = self.fetched(response, run, DOC_META).raw_page()
        if response.status == 304:
            self.count(run, oc.DOCUMENTS_NOT_MODIFIED)
            if not run.recheck_all:  # nothing new in it: due pages come from the store
                run.unchanged_documents.append(page)  # refreshed with the run's record
                return None
            kept = await maybe_deferred_to_future(self.ingest.reuse_document(page))
            if kept is None:
                return None
            body, content_type = kept
            headers = response.headers.copy()
            if content_type:
                headers[b"Content-Type"] = content_type
            cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
            return response.replace(cls=cls, status=200, headers=headers, body=body)
        if response.status == 200 and DOC_META in response.meta:
            run.documents[page.url] = (page.headers.get("etag"),
                                       page.headers.get("last-modified"))
            self._log_failure(self.ingest.remember_document(page), page.url)
        return response

    @staticmethod
    def _log_failure(d: Any, url: str) -> None:
        d.addErrback(lambda f: logger.error("could not keep %s: %s", url, f.getErrorMessage()))

    async def _releasing(self, run: SourceRun,
                         requests: AsyncIterator[Request]) -> AsyncIterator[Request]:
        """A callback's requests; its run is released once they are all out (or failed)."""
        try:
            async for request in requests:
                yield request
        finally:
            self.runbook.release(run)

    def _asked_again(self, run: SourceRun, response: Response, callback: Any,
                     **cb_kwargs: Any) -> list[Request]:
        """A 304 for a document whose copy is not kept, in a run that reads every
        document: asked for again, in full."""
        if response.status != 304 or not run.recheck_all:
            return []
        request = self.document_request(run, response.url, callback, fresh=True, **cb_kwargs)
        return [request] if request is not None else []

    def parse_document(self, response: Response, run: SourceRun,
                       depth: int) -> AsyncIterator[Request]:
        """A feed, a sitemap or a sitemap index."""
        return self._releasing(run, self._read_document(response, run, depth))

    async def _read_document(self, response: Response, run: SourceRun,
                             depth: int) -> AsyncIterator[Request]:
        self.count(run, oc.FETCHED)
        kept = await self.document(response, run)
        if kept is None:
            for request in self._asked_again(run, response, self.parse_document, depth=depth):
                yield request
            return
        try:
            found = parse_document(kept.body, kept.url)
        except DiscoveryError as exc:
            self.record_error(run, "malformed-feed", kept.url, kept.status, str(exc))
            return
        if found.recovered:
            logger.warning("%s: malformed XML in %s, read what could be recovered",
                           run.name, kept.url)
            self.count(run, "recovered-xml")
        if found.kind == "index":
            for request in self._child_sitemaps(run, found.links, depth):
                yield request
            return
        async for request in self.article_requests(run, found.links):
            yield request

    def _child_sitemaps(self, run: SourceRun, links: list[Link],
                        depth: int) -> Iterator[Request]:
        max_depth = self.settings.getint("NEWSWATCH_SITEMAP_MAX_DEPTH")
        for link in links:
            if (depth < max_depth and host_of(link.url) in run.hosts
                    and link.url not in run.seen_documents):
                run.seen_documents.add(link.url)
                request = self.document_request(run, link.url, self.parse_document,
                                                depth=depth + 1)
                if request is not None:
                    yield request

    def parse_listing(self, response: Response, run: SourceRun,
                      page: int) -> AsyncIterator[Request]:
        """A listing page: article links matching `follow`, then the next page."""
        return self._releasing(run, self._read_listing(response, run, page))

    async def _read_listing(self, response: Response, run: SourceRun,
                            page: int) -> AsyncIterator[Request]:
        self.count(run, oc.FETCHED)
        kept = await self.document(response, run)
        if kept is None:
            for request in self._asked_again(run, response, self.parse_listing, page=page):
                yield request
            return
        if not isinstance(kept, TextResponse):
            self.record_error(run, "not-html", kept.url, kept.status,
                              "listing page is not HTML")
            return
        listing = parse_listing(kept.text, kept.url, run.follow, run.hosts)
        links = [Link(url, None, listing.marks.get(url)) for url in listing.links]
        async for request in self.article_requests(run, links):
            yield request
        next_page = listing.next_page
        if (next_page and page < run.source.max_pages
                and next_page not in run.seen_documents):
            run.seen_documents.add(next_page)
            following = self.document_request(run, next_page, self.parse_listing,
                                              page=page + 1)
            if following is not None:
                yield following

    def parse_page(self, response: Response, run: SourceRun) -> PageItem:
        """An article candidate (or a 304 for one): hand the raw page to the pipeline,
        which releases the run once the page is stored."""
        try:
            return self.page_item(run, response.meta, self.fetched(response, run, PAGE_META))
        finally:
            self.runbook.release(run)

    def page_item(self, run: SourceRun, meta: dict[str, Any], item: PageItem) -> PageItem:
        """The item of a fetched article candidate, holding its run for the pipeline."""
        self.count(run, oc.FETCHED)
        if KNOWN_BODY_META in meta:
            item.looked_up, item.stored_hash = True, meta[KNOWN_BODY_META]
        item.listed_mark = meta.get(MARK_META)
        self.runbook.hold(run)
        return item

    def fetched(self, response: Response, run: SourceRun, meta_key: str) -> PageItem:
        """The raw response, stored under the URL the request was made for."""
        return self.raw_item(run, response.meta.get(meta_key, response.url), response.url,
                             response.status, headers_of(response), response.body)

    def raw_item(self, run: SourceRun, url: str, final_url: str, status: int,
                 headers: dict[str, str], body: bytes) -> PageItem:
        return PageItem(url=url, final_url=final_url, status=status, headers=headers,
                        body=body, source=run.name, fetched_at=now_iso(),
                        run_key=run.key, revisit=run.source.revisit, run_id=run.run_id)

    def on_error(self, failure: Failure) -> None:
        """Count a failed request and go on with the rest of the source."""
        request: Request = failure.request  # type: ignore[attr-defined]
        run: SourceRun = request.cb_kwargs["run"]
        try:
            self._count_error(failure, request, run)
        finally:
            self.runbook.release(run)

    def _count_error(self, failure: Failure, request: Request, run: SourceRun) -> None:
        kind, status = oc.error_kind(failure)
        if kind == "robots":
            self.count(run, oc.SKIPPED_ROBOTS)
            return
        self.count(run, oc.FETCHED)  # a request that ended, if only in an error
        reason = str(failure.value) or self.describe(kind, request)
        if isinstance(failure.value, HttpError) and kind == "bad-redirect":
            location = failure.value.response.headers.get("Location") or b""
            reason = (f"redirect to {location.decode('latin-1')[:200]!r} not followed"
                      " (only http and https)")
        self.record_error(run, kind, request.meta.get(PAGE_META, request.url), status, reason)

    def describe(self, kind: str, request: Request) -> str:
        """A reason for an error whose exception says nothing (e.g. a cancelled download)."""
        if kind == "too-large":
            limit = request.meta.get("download_maxsize",
                                     self.settings.getint("DOWNLOAD_MAXSIZE"))
            return f"response body larger than the download max size ({limit} bytes)"
        return kind

    # -- counting -----------------------------------------------------------------------

    def count(self, run: SourceRun, outcome: str, n: int = 1) -> None:
        run.counts[outcome] += n
        self.crawler.stats.inc_value(oc.PREFIX + outcome, n)

    def record_error(self, run: SourceRun, kind: str, url: str, status: int | None,
                     reason: str) -> None:
        self.count(run, oc.ERRORS)
        self.count(run, f"{oc.ERRORS}/{kind}")
        logger.warning("%s: %s %s (%s)", run.name, kind, url, reason)
        d = self.ingest.record_error(url, run.name, status, f"{kind}: {reason}")
        d.addErrback(lambda f: logger.error("could not record error for %s: %s", url,
                                            f.getErrorMessage()))


def headers_of(response: Response) -> dict[str, str]:
    """Response headers with lower-case names, repeated headers joined with ", "."""
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()}
