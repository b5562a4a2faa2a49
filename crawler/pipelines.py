"""The ingest pipeline: raw page -> (skip | extract) -> store, every outcome counted.

Thin by design: the decisions live in `store/` (what is new, updated, a duplicate) and
the extraction in `extract/`. Here a page is only routed:
- a 304, or a body whose hash equals the stored one, skips extraction
  (`store.ingest_unchanged`);
- anything else is extracted in the worker pool and handed to `store.ingest`.
Each outcome is counted on the page's source run (crawler.runbook), which the page
holds until it is stored; runs open and close in the run book, not here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future

from crawler import outcomes as oc
from crawler.items import PageItem
from store import IngestResult

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.ingest import IngestService
    from crawler.runbook import RunBook, SourceRun
    from newswatch.config import Config
    from store import RawPage

logger = logging.getLogger(__name__)


class IngestPipeline:
    """Item pipeline: routes each PageItem through extraction into the store."""

    def __init__(self, crawler: Crawler, ingest: IngestService) -> None:
        self.crawler = crawler
        self.ingest = ingest
        config: Config = crawler.settings["NEWSWATCH_CONFIG"]
        self.has_topics = bool(config.topics)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        ingest = crawler.settings.get("NEWSWATCH_INGEST")
        if ingest is None:
            raise NotConfigured("no ingest service: run the `news` spider")
        return cls(crawler, ingest)

    @property
    def runbook(self) -> RunBook:
        book: RunBook = self.crawler.spider.runbook  # type: ignore[union-attr]
        return book

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        run = self.runbook.get(item.run_key) if item.run_key is not None else None
        try:
            await self._process(item, run)
        finally:
            if run is not None:
                self.runbook.release(run)
        return item

    async def _process(self, item: PageItem, run: SourceRun | None) -> None:
        page = item.raw_page()
        try:
            result = await self._ingest(page, item, run)
        except _StageError as exc:
            self._error(page, run, exc.stage, exc.__cause__)
        else:
            if result is not None:  # None: decided elsewhere (a cluster's coordinator)
                self._count_result(result, run)

    async def _ingest(self, page: RawPage, item: PageItem,
                      run: SourceRun | None) -> IngestResult | None:
        try:
            if page.status == 304:
                self.count(run, oc.NOT_MODIFIED)
                return await self._unchanged(page, run)
            if item.looked_up:  # looked up for the conditional GET already
                known = item.stored_hash
            else:
                state = await maybe_deferred_to_future(self.ingest.page_state(page.url))
                known = state.body_hash if state is not None else None
            if known == page.body_hash:
                return await self._unchanged(page, run)
        except Exception as exc:
            raise _StageError("store") from exc
        try:
            extraction = await maybe_deferred_to_future(self.ingest.extract(page))
        except Exception as exc:
            raise _StageError("extract") from exc
        self.count(run, oc.EXTRACTED)
        try:
            return await maybe_deferred_to_future(self.ingest.ingest(page, extraction))
        except Exception as exc:
            raise _StageError("store") from exc

    async def _unchanged(self, page: RawPage, run: SourceRun | None) -> IngestResult | None:
        """Nothing to decide: recorded with the run's end (one write for all its unchanged
        pages), or at once when the run is over already."""
        if run is not None and not run.closed:
            run.unchanged_pages.append(page)
            return IngestResult("unchanged", None)
        return await maybe_deferred_to_future(self.ingest.ingest_unchanged(page))

    def _count_result(self, result: IngestResult, run: SourceRun | None) -> None:
        outcome = oc.RESULT_KINDS.get(result.kind, result.kind)
        self.count(run, outcome)
        if outcome == oc.DUPLICATES:
            self.count(run, f"{oc.DUPLICATES}/{result.kind}")
        if outcome in (oc.NEW, oc.UPDATED) and self.has_topics and not result.topics:
            self.count(run, oc.OFF_TOPIC)

    def _error(self, page: RawPage, run: SourceRun | None, stage: str,
               exc: BaseException | None) -> None:
        self.count(run, oc.ERRORS)
        self.count(run, f"{oc.ERRORS}/{stage}")
        logger.error("%s: %s failed for %s: %r", page.source, stage, page.url, exc,
                     exc_info=exc)
        d = self.ingest.record_error(page.url, page.source, page.status, f"{stage}: {exc!r}")
        d.addErrback(lambda f: logger.error("could not record error: %s", f.getErrorMessage()))

    def count(self, run: SourceRun | None, outcome: str) -> None:
        if run is not None:  # None: the run was cut (run_timeout) before this page came
            run.counts[outcome] += 1
        self.crawler.stats.inc_value(oc.PREFIX + outcome)


class _StageError(Exception):
    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage
