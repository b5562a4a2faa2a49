"""The bridge between the Twisted reactor and the CPU- and disk-bound work of an ingest.

One `IngestService` per process, shared by every run of its engine:
- extraction runs in a process pool (crawler.pool), so a 30 ms trafilatura call never
  stalls the downloader;
- every store call (reads included) runs on one writer thread that commits in groups
  (crawler.writer), so SQLite sees a single writer and the reactor never blocks on a lock;
- results come back to the reactor thread as Deferreds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from twisted.internet.defer import Deferred

from crawler.pool import ExtractionPool
from crawler.reactor import deferred_from_future
from crawler.writer import BatchWriter
from extract.record import Extraction
from extract.topics import topic_key
from newswatch.config import Config
from store import IngestResult, PageState, RawPage, Store

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Opening(NamedTuple):
    """What a run starts from (IngestService.open_run)."""

    run_id: int | None  # its runs row, when made here
    due: list[PageState]  # known pages whose revisit is due
    documents: dict[str, PageState]  # the stored state of its feeds, sitemaps, listings


class IngestService:
    """The store (behind one writer thread) and the extraction worker pool."""

    def __init__(self, db: Path, events_log: Path | None, topics: dict[str, str],
                 workers: int = 2) -> None:
        # the pool first: its workers are forked before this process runs any thread
        self.pool = ExtractionPool(workers, self._learned_boilerplate, topic_key(topics))
        self.store = Store.open(db, events_log=events_log, topics=topics)
        self._writer = BatchWriter(self.store)
        self.closed = False

    @classmethod
    def from_config(cls, config: Config, workers: int = 2) -> IngestService:
        return cls(config.db, config.events_log, config.topic_queries(), workers=workers)

    def _learned_boilerplate(self, site: str) -> frozenset[str]:
        # through the writer thread, which owns the connection
        return self._writer.submit(self.store.boilerplate, site).result()

    # -- extraction -------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start the workers now, so their start-up overlaps the first downloads."""
        self.pool.warm_up()

    def extract(self, page: RawPage) -> Deferred[Extraction]:
        return self.pool.extract(page)

    # -- store ------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run `fn(*args)` on the writer thread."""
        return deferred_from_future(self._writer.submit(fn, *args))

    def call_now(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run `fn(*args)` on the writer thread and wait: only for a forced shutdown."""
        return self._writer.submit(fn, *args).result(timeout=timeout)

    # What the crawler asks of its store. The cluster worker (crawler.remote) answers the
    # same calls from Redis and sends its writes to the coordinator instead.

    def start_run(self, source: str) -> Deferred[int]:
        return self.call(self.store.start_run, source)

    def open_run(self, source: str, create: bool, due_limit: int,
                 documents: list[str]) -> Deferred[Opening]:
        """What a run needs to start, in one trip to the writer thread: its runs row (if
        `create`), its due revisits and the state of its documents."""
        return self.call(self._open_run, source, create, due_limit, documents)

    def _open_run(self, source: str, create: bool, due_limit: int,
                  documents: list[str]) -> Opening:
        # on the writer thread, inside its batch: one commit for the three
        run_id = self.store.start_run(source) if create else None
        return Opening(run_id, self.store.due_pages(source, due_limit),
                       self.store.pages(documents))

    def finish_run(self, run_id: int, counts: dict[str, int], status: str | None,
                   **details: Any) -> Deferred[str]:
        return self.call(self._finish_run, run_id, counts, status, details)

    def finish_run_now(self, run_id: int, counts: dict[str, int], status: str | None,
                       **details: Any) -> str:
        """The same, waiting for it: only for a forced shutdown."""
        return self.call_now(self._finish_run, run_id, counts, status, details)

    def _finish_run(self, run_id: int, counts: dict[str, int], status: str | None,
                    details: dict[str, Any]) -> str:
        return self.store.finish_run(run_id, counts, status, **details)

    def due_pages(self, source: str, limit: int) -> Deferred[list[PageState]]:
        return self.call(self.store.due_pages, source, limit)

    def pages(self, urls: list[str]) -> Deferred[dict[str, PageState]]:
        return self.call(self.store.pages, urls)

    def remember_document(self, page: RawPage) -> Deferred[None]:
        return self.call(self.store.remember_document, page)

    def reuse_document(self, page: RawPage) -> Deferred[tuple[bytes, str | None] | None]:
        return self.call(self.store.reuse_document, page)

    def schedule(self, due: dict[str, str | None]) -> Deferred[None]:
        return self.call(self.store.schedule, due)

    def page_state(self, url: str) -> Deferred[PageState | None]:
        return self.call(self.store.page, url)

    def ingest(self, page: RawPage, extraction: Extraction) -> Deferred[IngestResult]:
        return self.call(self.store.ingest, page, extraction)

    def ingest_unchanged(self, page: RawPage) -> Deferred[IngestResult]:
        return self.call(self.store.ingest_unchanged, page)

    def record_error(self, url: str, source: str, status: int | None,
                     reason: str) -> Deferred[None]:
        return self.call(self.store.record_error, url, source, status, reason)

    def close(self) -> None:
        """Finish queued writes, stop the workers, close the store. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self._writer.shutdown()
        self.pool.close()
        self.store.close()


