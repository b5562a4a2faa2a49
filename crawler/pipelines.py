"""The ingest pipeline: raw page -> (skip | extract) -> store, every outcome counted.

Thin by design: the decisions live in `store/` (what is new, updated, a duplicate) and
the extraction in `extract/`. Here a page is only routed:
- a 304, or a body whose hash equals the stored one, skips extraction
  (`store.ingest_unchanged`);
- anything else is extracted in the worker pool and handed to `store.ingest`.
Each source run is one `runs` row: started when the spider opens, finished (after every
item is drained) when it closes, with status `partial` when the crawl was interrupted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future

from crawler import outcomes as oc
from crawler.items import PageItem

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.ingest import IngestService
    from newswatch.config import Config, Source
    from store import IngestResult, RawPage

logger = logging.getLogger(__name__)


class IngestPipeline:
    """Item pipeline: routes each PageItem through extraction into the store."""

    def __init__(self, crawler: Crawler, ingest: IngestService, owned: bool) -> None:
        self.crawler = crawler
        self.ingest = ingest
        self.owned = owned
        config: Config = crawler.settings["NEWSWATCH_CONFIG"]
        source: Source = crawler.settings["NEWSWATCH_SOURCE"]
        self.source = source.name
        self.has_topics = bool(config.topics)
        self.run_id: int | None = None
        self.status: str | None = None  # the run's recorded status, once finished

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        ingest = crawler.settings.get("NEWSWATCH_INGEST")
        if ingest is None:
            raise NotConfigured("no ingest service: run the `news` spider")
        pipeline = cls(crawler, ingest, crawler.settings.getbool("NEWSWATCH_INGEST_OWNED"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self) -> None:
        self.run_id = await maybe_deferred_to_future(
            self.ingest.call(self.ingest.store.start_run, self.source))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        page = item.raw_page()
        try:
            result = await self._ingest(page, item)
        except _StageError as exc:
            self._error(page, exc.stage, exc.__cause__)
        else:
            self._count_result(result)
        return item

    async def _ingest(self, page: RawPage, item: PageItem) -> IngestResult:
        try:
            if page.status == 304:
                self.count(oc.NOT_MODIFIED)
                return await maybe_deferred_to_future(self.ingest.ingest_unchanged(page))
            if item.looked_up:  # looked up for the conditional GET already
                known = item.stored_hash
            else:
                state = await maybe_deferred_to_future(self.ingest.page_state(page.url))
                known = state.body_hash if state is not None else None
            if known == page.body_hash:
                return await maybe_deferred_to_future(self.ingest.ingest_unchanged(page))
        except Exception as exc:
            raise _StageError("store") from exc
        try:
            extraction = await maybe_deferred_to_future(self.ingest.extract(page))
        except Exception as exc:
            raise _StageError("extract") from exc
        self.count(oc.EXTRACTED)
        try:
            return await maybe_deferred_to_future(self.ingest.ingest(page, extraction))
        except Exception as exc:
            raise _StageError("store") from exc

    def _count_result(self, result: IngestResult) -> None:
        outcome = oc.RESULT_KINDS.get(result.kind, result.kind)
        self.count(outcome)
        if outcome == oc.DUPLICATES:
            self.count(f"{oc.DUPLICATES}/{result.kind}")
        if outcome in (oc.NEW, oc.UPDATED) and self.has_topics and not result.topics:
            self.count(oc.OFF_TOPIC)

    def _error(self, page: RawPage, stage: str, exc: BaseException | None) -> None:
        self.count(oc.ERRORS)
        self.count(f"{oc.ERRORS}/{stage}")
        logger.error("%s: %s failed for %s: %r", self.source, stage, page.url, exc,
                     exc_info=exc)
        d = self.ingest.record_error(page.url, self.source, page.status, f"{stage}: {exc!r}")
        d.addErrback(lambda f: logger.error("could not record error: %s", f.getErrorMessage()))

    def count(self, outcome: str) -> None:
        self.crawler.stats.inc_value(oc.PREFIX + outcome)

    # -- end of run -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return oc.counts_from_stats(self.crawler.stats.get_stats())

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        # Runs after the scraper drained every item, so the counts are final.
        status = None if reason == "finished" else "partial"
        if self.run_id is not None and self.status is None:
            try:
                self.status = await maybe_deferred_to_future(
                    self.ingest.call(self._finish, self.run_id, self.counts(), status))
            except Exception:
                logger.exception("%s: could not record the end of the run", self.source)
        if self.owned:
            self.ingest.close()

    def finish_now(self) -> None:
        """Record the run as partial without waiting for the reactor (forced shutdown)."""
        if self.run_id is None or self.status is not None:
            return
        try:
            self.status = self.ingest.call_now(self._finish, self.run_id, self.counts(),
                                               "partial")
        except Exception:
            logger.exception("%s: could not record the end of the run", self.source)

    def _finish(self, run_id: int, counts: dict[str, int], status: str | None) -> str:
        """On the writer thread: finish the run; returns the status it was recorded with."""
        return self.ingest.store.finish_run(run_id, counts, status)


class _StageError(Exception):
    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage
