"""The extraction worker pool, bridged onto the Twisted reactor.

Extraction runs in a `ProcessPoolExecutor` (both cores), so a 30 ms trafilatura call
never stalls the downloader. A page is extracted with its site's learned boilerplate
(asked once per site from `boilerplate`, a blocking call run off the reactor) and its
topics are matched in the worker too (`topics`: the query set).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from twisted.internet.defer import Deferred

from crawler import workers
from crawler.reactor import deferred_from_future
from extract.record import Extraction
from extract.topics import TopicQueries
from store import RawPage
from store.model import site_of

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ExtractionPool:
    """Worker processes extracting pages; results come back as Deferreds."""

    def __init__(self, workers: int, boilerplate: Callable[[str], frozenset[str]],
                 topics: TopicQueries) -> None:
        self.workers = workers
        self.boilerplate = boilerplate  # site -> learned paragraphs (blocking)
        self.topics = topics
        self._lock = threading.Lock()
        # Start the workers first: while this process has one thread and no open store
        # they can be plain forks, which share the extractor already imported here.
        self._pool: ProcessPoolExecutor | None = _forked_pool(workers)
        # every worker of a forked pool is running once it took its first task, so a
        # submit to it never waits: the reactor may hand pages to this one directly
        self._forked = self._pool
        # Submitting to a process pool can block while it starts a worker (the forkserver
        # finishing its imports), so the reactor hands pages over through this thread.
        self._feeder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newswatch-feed")
        self._warm = self._pool is not None
        self._learned: dict[str, frozenset[str]] = {}  # site -> learned paragraphs

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # By now this process runs threads (and maybe the reactor), which a plain
                # fork would copy in an undefined state: fork from a clean forkserver.
                self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                                 initializer=workers.init_worker,
                                                 mp_context=workers.forkserver_context())
            return self._pool

    def warm_up(self) -> None:
        """Start the workers now, so their start-up overlaps the first downloads."""
        if not self._warm:
            self._warm = True
            for _ in range(self.workers):
                self._feeder.submit(self._submit, workers.ready)

    def extract(self, page: RawPage) -> Deferred[Extraction]:
        """Extract `page` in a worker process; fires on the reactor thread.

        The worker also matches the topics and packs the body (`page.packed`), so the
        store writer does neither."""
        direct = self._submit_directly(page)
        if direct is not None:
            d: Deferred[Any] = deferred_from_future(direct)
        else:
            handed_over = self._feeder.submit(self._submit_extraction, page)
            d = deferred_from_future(handed_over)
            d.addCallback(deferred_from_future)  # then wait for the worker's result
        d.addCallback(_unpack, page)
        d.addErrback(self._on_extract_failure)
        return d

    def _submit_extraction(self, page: RawPage) -> Future[tuple[Extraction, bytes | None]]:
        """On the feeder thread: the site's learned boilerplate, then off to a worker."""
        site = site_of(page.final_url)
        if site not in self._learned:
            self._learned[site] = self.boilerplate(site)  # once per site
        return self._submit(workers.extract_raw, *self._extract_args(page, self._learned[site]))

    def _submit_directly(self, page: RawPage) -> Future[tuple[Extraction, bytes | None]] | None:
        """On the reactor thread: submit to the forked pool when nothing can block (its
        workers run, the site's boilerplate is known); None when the page must go through
        the feeder (first page of a site; a forkserver pool, whose submit may wait for a
        worker to start; a broken pool to replace)."""
        pool, learned = self._pool, self._learned.get(site_of(page.final_url))
        if pool is None or pool is not self._forked or learned is None:
            return None
        try:
            return pool.submit(workers.extract_raw, *self._extract_args(page, learned))
        except BrokenProcessPool:
            return None

    def _extract_args(self, page: RawPage, boilerplate: frozenset[str]) -> tuple[Any, ...]:
        return (page.body, page.final_url, page.headers.get("content-type"), boilerplate,
                self.topics)

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """On the feeder thread: submit to the pool, replacing it if a worker died."""
        try:
            return self._get_pool().submit(fn, *args)
        except BrokenProcessPool:
            self._replace_broken_pool()
            return self._get_pool().submit(fn, *args)

    def _on_extract_failure(self, failure: Any) -> Any:
        # A worker killed by a pathological page breaks the whole pool: replace it so the
        # rest of the run goes on, and let this page count as an error.
        if failure.check(BrokenProcessPool):
            self._replace_broken_pool()
        return failure

    def _replace_broken_pool(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        logger.warning("extraction worker pool broke; starting a new one")

    def close(self) -> None:
        """Stop the workers (every page is through by now)."""
        self._feeder.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _stop_pool(pool)


def _unpack(result: tuple[Extraction, bytes | None], page: RawPage) -> Extraction:
    extraction, page.packed = result
    return extraction


def _forked_pool(size: int) -> ProcessPoolExecutor | None:
    """A pool of workers forked right now, if this process is single-threaded; else None."""
    if not workers.fork_is_safe():
        return None
    # Objects that exist now (the imported extractor, mostly) are shared with the forks;
    # left to the collector, its passes would write to them and copy their pages into
    # every long-lived worker (PSS crept up by ~20 MB over 5,000 daemon runs).
    gc.freeze()
    pool = ProcessPoolExecutor(max_workers=size, initializer=workers.init_worker,
                               mp_context=multiprocessing.get_context("fork"))
    pool.submit(workers.ready)  # a fork pool starts all its workers on the first task
    return pool


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers without waiting for them to finish warming up.

    Only called once every page is through, so no worker holds real work; a worker still
    importing trafilatura would otherwise hold the exit for seconds.
    """
    processes = list((pool._processes or {}).values())  # no public API for this
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)
