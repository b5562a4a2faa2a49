"""Source runs inside one long-lived crawl engine: started, accounted for, finished.

One engine (one spider, one downloader, one store writer, one extraction pool) serves
every run, so a run cannot end when "the spider closes": it ends when the last piece of
work it started is done. Every request made for a run, every item it yields and its own
opening *hold* the run; each is *released* when its callback, errback or pipeline step
is over (`try/finally`). The release that brings a run to zero finishes it: its `runs`
row is closed with its counts, and `run.done` fires.

Bounded: at most `limit` runs crawl at once (the rest wait, first come first served), and
a run still going after `timeout` seconds (a site that hangs, a runaway listing) is cut:
recorded `partial`, its slot freed; what its requests bring back later is still stored.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from crawler import outcomes as oc
from crawler.discovery import host_of
from newswatch.config import Source

if TYPE_CHECKING:
    from crawler.ingest import IngestService

logger = logging.getLogger(__name__)

TIMEOUT_CHECK = 5.0  # seconds between looks for runs past their timeout


@lru_cache(maxsize=4096)
def follow_patterns(source: Source) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in source.follow) or (re.compile(""),)


@lru_cache(maxsize=4096)
def source_hosts(source: Source) -> frozenset[str]:
    return frozenset(host_of(u) for u in source.configured_urls)


@dataclass(eq=False)
class SourceRun:
    """One run of one source: what it has seen, what it counted, what is in flight."""

    key: int  # unique within the engine
    source: Source
    # True: every article a feed or listing names is asked for again (conditionally), as
    # a one-off `newswatch crawl` does; False: only new ones, due ones (revisit schedule)
    # and those whose entry changed, as the daemon does
    recheck_all: bool = True
    next_run_at: str | None = None  # when the scheduler runs the source next (recorded)
    run_id: int | None = None  # the store's runs row
    started: float = field(default_factory=time.monotonic)
    counts: Counter[str] = field(default_factory=Counter)
    pending: int = 0
    seen: set[str] = field(default_factory=set)  # article URLs requested or skipped
    seen_documents: set[str] = field(default_factory=set)  # feeds, sitemaps, listings
    # documents read in full: {url: (etag, last_modified)}, kept if the run ends ok
    documents: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # documents that answered 304: refreshed when the run is recorded (one write, not one
    # per document: most polls of a quiet source are exactly this)
    unchanged_documents: list[Any] = field(default_factory=list)
    unchanged_pages: list[Any] = field(default_factory=list)  # ... and article pages
    closed: bool = False  # finishing or finished: no new work is started for it
    recorded: bool = False  # its runs row is closed
    status: str | None = None  # ok | partial | failed once recorded
    error: str | None = None  # why it could not even start
    done: Deferred[SourceRun] = field(default_factory=Deferred, repr=False)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def hosts(self) -> frozenset[str]:
        return source_hosts(self.source)

    @property
    def follow(self) -> tuple[re.Pattern[str], ...]:
        return follow_patterns(self.source)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> dict[str, int]:
        """{outcome: count}, with every summary column present."""
        return oc.counts_from_stats({oc.PREFIX + k: v for k, v in self.counts.items()})

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status or "failed", **self.summary()}
        if self.error:
            data["error"] = self.error
        return data


class RunBook:
    """The runs of one engine: a bounded queue, accounting, finishing and time-outs."""

    def __init__(self, ingest: IngestService, begin: Callable[[SourceRun], Awaitable[None]],
                 *, limit: int, timeout: float, keep_finished: bool) -> None:
        self.ingest = ingest
        self.begin = begin  # issues a run's first requests (the spider)
        self.limit = limit
        self.timeout = timeout
        self.active: dict[int, SourceRun] = {}
        self.waiting: deque[SourceRun] = deque()
        self.finished: list[SourceRun] = []  # kept for a one-off crawl's summary only
        self.keep_finished = keep_finished
        self.stopping = False
        self.on_empty: Callable[[], None] | None = None  # no run active or waiting
        self._keys = itertools.count(1)
        self._closing: list[Deferred[Any]] = []
        self._opening: list[Deferred[Any]] = []
        self._ticker: LoopingCall | None = None

    def start_timer(self) -> None:
        if self._ticker is None:
            self._ticker = LoopingCall(self._cut_overdue)
            self._ticker.start(TIMEOUT_CHECK, now=False)

    def stop_timer(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()

    # -- starting ------------------------------------------------------------------------

    def submit(self, source: Source, *, recheck_all: bool = True,
               next_run_at: str | None = None, run_id: int | None = None) -> SourceRun:
        """Queue a run of `source` (`run_id`: its runs row, when made elsewhere); it
        starts as soon as fewer than `limit` run."""
        run = SourceRun(next(self._keys), source, recheck_all, next_run_at, run_id)
        if self.stopping:
            run.error = "not started: the engine is stopping"
            run.done.callback(run)
            return run
        self.waiting.append(run)
        self._start_more()
        return run

    def get(self, key: int) -> SourceRun | None:
        return self.active.get(key)

    @property
    def busy(self) -> bool:
        return bool(self.active or self.waiting)

    def _start_more(self) -> None:
        while self.waiting and len(self.active) < self.limit and not self.stopping:
            run = self.waiting.popleft()
            run.started = time.monotonic()
            self.active[run.key] = run
            d = deferred_from_coro(self._open(run))
            self._opening.append(d)
            d.addBoth(self._opened, d)

    def _opened(self, result: Any, d: Deferred[Any]) -> Any:
        self._opening.remove(d)
        return result

    async def _open(self, run: SourceRun) -> None:
        self.hold(run)  # the opening itself: the run cannot end before its first requests
        try:
            await self.begin(run)  # makes its runs row, unless it came with one
        except Exception as exc:
            run.error = f"the run could not start: {exc}"
            logger.error("%s: %s", run.name, run.error, exc_info=exc)
        finally:
            self.release(run)

    # -- accounting ----------------------------------------------------------------------

    @staticmethod
    def hold(run: SourceRun) -> None:
        run.pending += 1

    def release(self, run: SourceRun) -> None:
        run.pending -= 1
        if run.pending <= 0:
            self.finish(run)

    # -- finishing -----------------------------------------------------------------------

    def finish(self, run: SourceRun, status: str | None = None) -> Deferred[Any]:
        """Close the run's row (status None: computed from its counts) and fire done."""
        if run.closed:
            return run.done
        run.closed = True
        if run.run_id is None:  # it never got a runs row: nothing to record
            self._done(run)
            return run.done
        d = deferred_from_coro(self._record(run, status))
        self._closing.append(d)
        d.addBoth(lambda _: self._closing.remove(d))
        return d

    async def _record(self, run: SourceRun, status: str | None) -> None:
        if run.run_id is not None and not run.recorded:
            try:
                recorded = await maybe_deferred_to_future(self.ingest.finish_run(
                    run.run_id, run.summary(), status, **self._details(run)))
                run.recorded, run.status = True, recorded
            except Exception as exc:
                logger.error("%s: could not record the end of the run: %r", run.name, exc)
        self._done(run)

    @staticmethod
    def _details(run: SourceRun) -> dict[str, Any]:
        return {"duration": run.seconds, "next_run_at": run.next_run_at,
                "documents": run.documents, "touched": run.unchanged_documents,
                "unchanged": run.unchanged_pages}

    def _done(self, run: SourceRun) -> None:
        if self.active.pop(run.key, None) is None:
            return
        if run.status is None and run.error is None:
            run.status = "failed"
        if self.keep_finished:
            self.finished.append(run)
        run.done.callback(run)
        self._start_more()
        if not self.busy and self.on_empty is not None:
            self.on_empty()

    def _cut_overdue(self) -> None:
        for run in list(self.active.values()):
            if not run.closed and run.seconds > self.timeout:
                logger.warning("%s: run cut after %.0fs (run_timeout): recorded as partial;"
                               " pages still in flight are stored when they arrive",
                               run.name, run.seconds)
                run.counts[oc.TIMED_OUT] += 1
                self.finish(run, "partial")

    # -- stopping ------------------------------------------------------------------------

    def drop_waiting(self) -> list[SourceRun]:
        """Stop starting runs; the runs that were waiting, never started."""
        self.stopping = True
        dropped = list(self.waiting)
        self.waiting.clear()
        for run in dropped:
            run.error = "not started: the engine is stopping"
            run.done.callback(run)
        return dropped

    async def close_all(self, status: str) -> None:
        """Finish every active run with `status` and wait until all are recorded."""
        self.drop_waiting()
        while self._opening:  # a run being opened gets its runs row first, then its end
            await maybe_deferred_to_future(self._opening[0])
        for run in list(self.active.values()):
            self.finish(run, status)
        while self._closing:
            await maybe_deferred_to_future(self._closing[0])

    def close_all_now(self, status: str = "partial") -> None:
        """Forced stop: record every active run at once, without the reactor."""
        self.drop_waiting()
        for run in list(self.active.values()):
            run.closed = True
            if run.run_id is not None and not run.recorded:
                try:
                    run.status = self.ingest.finish_run_now(run.run_id, run.summary(), status,
                                                            **self._details(run))
                    run.recorded = True
                except Exception as exc:
                    logger.error("%s: could not record the end of the run: %r", run.name, exc)
            self._done(run)
