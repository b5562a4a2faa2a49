"""A cluster worker's side of the store: fetch state read from Redis, results sent there.

`RemoteIngest` answers the calls the crawl engine makes of its store
(crawler.ingest.IngestService) without a store: fetch state (ETag, Last-Modified, body
hash, revisit times, learned boilerplate) comes from Redis, where the coordinator keeps
it; every write (a page and its extraction, an error, a document, a run's end) becomes a
message on the results stream, which the coordinator alone applies to the SQLite store
(newswatch.cluster.coordinator). Redis calls run on one thread of their own; while Redis
is down they wait and retry (newswatch.cluster.link), so nothing is lost: a run cannot
end before its results are sent.

`JobFeed` takes source runs from the jobs stream for the engine: as many as it has free
places, its own runs kept alive (their idle time reset) while they go on, and the runs of
a worker that went silent for `reclaim_after` taken over (XAUTOCLAIM).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis
from twisted.internet.defer import Deferred, succeed

from crawler.ingest import Opening
from crawler.pool import ExtractionPool
from crawler.reactor import deferred_from_future, the_reactor
from extract.record import Extraction
from extract.topics import topic_key
from newswatch.cluster import messages as msg
from newswatch.cluster.link import WORKERS_GROUP, Link
from newswatch.config import ClusterSettings, Config
from store import IngestResult, PageState, RawPage
from store.model import site_of

logger = logging.getLogger("newswatch.worker")

T = TypeVar("T")

KEEPALIVE_SECONDS = 15.0  # how often a worker resets the idle time of the runs it holds
READ_BLOCK_MS = 2000  # a read of the jobs stream waits this long for a job


class RemoteIngest:
    """IngestService's interface over Redis, for a worker that has no store."""

    def __init__(self, config: Config, workers: int = 2) -> None:
        assert config.cluster is not None
        # the pool first: its workers are forked before this process runs any thread
        self.pool = ExtractionPool(workers, self._boilerplate, topic_key(config.topic_queries()))
        self.link = Link(config.cluster, "worker")
        self._redis = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newswatch-redis")
        self._used: dict[str, str] = {}  # site -> digest of the boilerplate read it with
        self.closed = False

    @classmethod
    def from_config(cls, config: Config, workers: int = 2) -> RemoteIngest:
        return cls(config, workers)

    def call(self, fn: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run `fn(*args)` on the Redis thread."""
        return deferred_from_future(self._redis.submit(fn, *args))

    def _send(self, message: dict[str, Any]) -> None:
        self.link.add(self.link.keys.results, msg.dumps(message))

    def send(self, message: dict[str, Any]) -> Deferred[None]:
        return self.call(self._send, message)

    # -- fetch state ----------------------------------------------------------------------

    def _states(self, urls: list[str]) -> dict[str, PageState]:
        def read() -> list[Any]:
            pipe = self.link.client.pipeline(transaction=False)
            for url in urls:
                pipe.hgetall(self.link.keys.page(url))
            return pipe.execute()

        rows = self.link.retrying(read, "reading fetch state")
        return {url: msg.state_in(url, row) for url, row in zip(urls, rows, strict=True) if row}

    def pages(self, urls: list[str]) -> Deferred[dict[str, PageState]]:
        return self.call(self._states, list(urls))

    def page_state(self, url: str) -> Deferred[PageState | None]:
        return self.call(lambda: self._states([url]).get(url))

    def _due(self, source: str, limit: int) -> list[PageState]:
        now = datetime.now(UTC).timestamp()
        urls: list[str] = self.link.retrying(lambda: self.link.client.zrangebyscore(
            self.link.keys.due(source), "-inf", now, start=0, num=limit),  # type: ignore[arg-type, return-value]
            "reading due pages")
        states = self._states(list(urls))
        return [states[url] for url in urls if url in states]

    def due_pages(self, source: str, limit: int) -> Deferred[list[PageState]]:
        return self.call(self._due, source, limit)

    def open_run(self, source: str, create: bool, due_limit: int,
                 documents: list[str]) -> Deferred[Opening]:
        if create:
            raise RuntimeError("a cluster run comes with its runs row: the coordinator's")
        return self.call(lambda: Opening(None, self._due(source, due_limit),
                                         self._states(documents)))

    def _boilerplate(self, site: str) -> frozenset[str]:
        """On the extraction feeder thread: the site's boilerplate as the coordinator
        learned it (none yet: the coordinator re-reads the page itself)."""
        raw = self.link.retrying(lambda: self.link.client.hget(self.link.keys.boilerplate,
                                                               site), "reading boilerplate")
        learned = frozenset(msg.loads(raw)["paragraphs"]) if raw else frozenset()
        self._used[site] = msg.boilerplate_key(learned)
        return learned

    # -- extraction -----------------------------------------------------------------------

    def warm_up(self) -> None:
        self.pool.warm_up()

    def extract(self, page: RawPage) -> Deferred[Extraction]:
        return self.pool.extract(page)

    # -- writes: messages to the coordinator ------------------------------------------------

    def ingest(self, page: RawPage, extraction: Extraction) -> Deferred[IngestResult | None]:
        """Sent for the coordinator to decide; None: the outcome is counted there."""
        message = {"t": "page", "run": page.run_id,
                   "page": msg.page_out(page, body=True),
                   "x": msg.extraction_out(extraction),
                   "bp": self._used.get(site_of(page.final_url))}
        return self.send(message).addCallback(lambda _: None)

    def ingest_unchanged(self, page: RawPage) -> Deferred[IngestResult | None]:
        message = {"t": "page", "run": page.run_id,
                   "page": msg.page_out(page, body=False), "x": None}
        return self.send(message).addCallback(lambda _: None)

    def record_error(self, url: str, source: str, status: int | None,
                     reason: str) -> Deferred[None]:
        return self.send({"t": "error", "url": url, "source": source, "status": status,
                          "reason": reason})

    def remember_document(self, page: RawPage) -> Deferred[None]:
        return self.send({"t": "doc", "page": msg.page_out(page, body=True)})

    def reuse_document(self, page: RawPage) -> Deferred[tuple[bytes, str | None] | None]:
        # cluster runs re-check only due and signalled pages: a 304 document is not re-read
        return succeed(None)

    def start_run(self, source: str) -> Deferred[int]:
        raise RuntimeError("a cluster run comes with its runs row: the coordinator's")

    def finish_run(self, run_id: int, counts: dict[str, int], status: str | None,
                   **details: Any) -> Deferred[str]:
        message = self._finish_message(run_id, counts, status, details)
        return self.send(message).addCallback(lambda _: status or "sent")

    def finish_run_now(self, run_id: int, counts: dict[str, int], status: str | None,
                       **details: Any) -> str:
        self._redis.submit(self._send, self._finish_message(run_id, counts, status, details)
                           ).result(timeout=10)
        return status or "sent"

    @staticmethod
    def _finish_message(run_id: int, counts: dict[str, int], status: str | None,
                        details: dict[str, Any]) -> dict[str, Any]:
        return {"t": "finish", "run": run_id, "counts": counts, "status": status,
                "duration": details.get("duration"), "next_run_at": details.get("next_run_at"),
                "documents": details.get("documents") or {},
                "touched": [msg.page_out(p, body=False) for p in details.get("touched") or ()],
                "unchanged": [msg.page_out(p, body=False)
                              for p in details.get("unchanged") or ()]}

    def schedule(self, due: dict[str, str | None]) -> Deferred[None]:
        return succeed(None)  # the coordinator keeps the timetable

    def close(self) -> None:
        """Send what is queued, stop the workers. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self._redis.shutdown(wait=True)
        self.pool.close()
        self.link.close()


class JobFeed:
    """Source runs from the jobs stream, handed to the engine on the reactor thread."""

    def __init__(self, settings: ClusterSettings, consumer: str, places: int,
                 start: Callable[[str, dict[str, Any]], None]) -> None:
        self.link = Link(settings, "worker")
        self.consumer = consumer
        self.places = places
        self.start = start  # (job id, job) -> None, called on the reactor thread
        self.held: set[str] = set()  # job ids running here
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newswatch-jobs", daemon=True)

    def begin(self) -> None:
        self.link.ensure_group(self.link.keys.jobs, WORKERS_GROUP)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.link.closing.set()

    def done(self, job_id: str) -> None:
        """A run ended and its results are sent: the job is acknowledged (and deleted)."""
        with self._lock:
            self.held.discard(job_id)
        try:
            self.link.ack(self.link.keys.jobs, WORKERS_GROUP, [job_id])
        except redis.ConnectionError:
            logger.warning("job %s not acknowledged (stopping with Redis unreachable): it"
                           " will run again elsewhere", job_id)

    def _free(self) -> int:
        with self._lock:
            return self.places - len(self.held)

    def _run(self) -> None:
        last_keepalive = 0.0
        while not self._stop.is_set():
            try:
                now = _monotonic()
                if now - last_keepalive >= KEEPALIVE_SECONDS:
                    last_keepalive = now
                    self._keep_alive()
                    self._take(self._reclaim())
                if self._free() <= 0:
                    self._stop.wait(0.2)
                    continue
                self._take(self._read())
            except redis.ConnectionError:
                if self._stop.is_set():
                    return
            except Exception:
                logger.exception("job feed: unexpected error; going on")
                self._stop.wait(1.0)

    def _read(self) -> list[tuple[str, dict[str, str]]]:
        keys = self.link.keys
        reply: Any = self.link.retrying(lambda: self.link.client.xreadgroup(
            WORKERS_GROUP, self.consumer, {keys.jobs: ">"}, count=self._free(),
            block=READ_BLOCK_MS), "reading jobs")
        return [entry for _, entries in (reply or []) for entry in entries]

    def _reclaim(self) -> list[tuple[str, dict[str, str]]]:
        """Runs of workers silent for `reclaim_after`: taken over."""
        free = self._free()
        if free <= 0:
            return []
        idle_ms = int(self.link.settings.reclaim_after * 1000)
        reply: Any = self.link.retrying(lambda: self.link.client.xautoclaim(
            self.link.keys.jobs, WORKERS_GROUP, self.consumer, idle_ms, "0-0", count=free),
            "reclaiming jobs")
        entries = [e for e in reply[1] if e and e[1]] if reply else []
        for job_id, _ in entries:
            logger.warning("taking over run job %s from a worker silent for %.0fs", job_id,
                           self.link.settings.reclaim_after)
        return entries

    def _keep_alive(self) -> None:
        with self._lock:
            held: list[Any] = list(self.held)
        if held:
            self.link.retrying(lambda: self.link.client.xclaim(
                self.link.keys.jobs, WORKERS_GROUP, self.consumer, 0, held, justid=True),
                "keeping runs alive")

    def _take(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        reactor = the_reactor()
        for job_id, fields in entries:
            try:
                job = msg.loads(fields["m"])
            except (KeyError, ValueError):
                logger.error("unreadable job %s dropped: %.200r", job_id, fields)
                self.link.ack(self.link.keys.jobs, WORKERS_GROUP, [job_id])
                continue
            with self._lock:
                if job_id in self.held:
                    continue
                self.held.add(job_id)
            reactor.callFromThread(self.start, job_id, job)


def _monotonic() -> float:
    import time

    return time.monotonic()
