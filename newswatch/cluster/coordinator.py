"""The coordinator: the one process that writes the store when workers crawl elsewhere.

`newswatch run` with `[cluster]` keeps the daemon's timetable (scheduler.py) but, instead
of crawling, puts each due run on the jobs stream (with its `runs` row made here) and
applies what workers send back on the results stream, in batches: the same ingest
decisions, events and run records as a one-machine run, through the same `Store` calls.
After each batch commits, its entries are acknowledged and the fetch state of the pages
it touched (validators, body hash, next revisit, learned boilerplate) is published to
Redis for the workers.

Applying is idempotent: a result delivered twice (a worker that died after sending, a
coordinator that died before acknowledging) finds the page's body hash already stored and
is recorded as unchanged, never as a second `new`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis

from crawler.outcomes import DUPLICATES, OFF_TOPIC, RESULT_KINDS, UNCHANGED
from newswatch.cluster import messages as msg
from newswatch.cluster.link import COORDINATOR_GROUP, WORKERS_GROUP, Link
from newswatch.config import Config
from store import Store
from store.model import PageState, RawPage, site_of

logger = logging.getLogger("newswatch.cluster")

BATCH = 500  # results applied per store transaction at most
READ_BLOCK_MS = 1000
SYNC_CHUNK = 1000  # pages published to Redis per round trip
TALLIED = ("new", "updated", DUPLICATES, "not-an-article", OFF_TOPIC)


class Coordinator:
    """Dispatches runs to workers and applies their results to the store."""

    def __init__(self, config: Config, inbox: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        assert config.cluster is not None
        self.config = config
        self.inbox = inbox  # the daemon's: ("message", None, {"done": source, ...})
        self.store = Store.open(config.db, events_log=config.events_log,
                                topics=config.topic_queries())
        self.link = Link(config.cluster, "coordinator")
        self.keys = self.link.keys
        self.tallies: dict[int, Counter[str]] = {}  # run id -> what applying it decided
        self.applied = 0  # results applied since start
        self._published: dict[str, str] = {}  # site -> boilerplate digest in Redis
        self._keys: dict[str, str] = {}  # site -> digest of the store's boilerplate
        self._jobs: queue.SimpleQueue[tuple[str, str | None] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._apply_loop, name="newswatch-apply",
                                          daemon=True),
                         threading.Thread(target=self._dispatch_loop,
                                          name="newswatch-dispatch", daemon=True)]

    # -- starting and stopping ---------------------------------------------------------

    def start(self) -> None:
        self.link.ensure_group(self.keys.jobs, WORKERS_GROUP)
        self.link.ensure_group(self.keys.results, COORDINATOR_GROUP)
        self.publish_all()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, then close (runs still with workers go on there and
        are applied by the next coordinator)."""
        self._stop.set()
        self._jobs.put(None)
        self.link.closing.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=timeout)
        self.store.close()

    # -- dispatching ------------------------------------------------------------------------

    def dispatch(self, source: str, next_run_at: str | None) -> None:
        """Queue a run of `source` for the workers (its runs row is made now)."""
        self._jobs.put((source, next_run_at))

    def _dispatch_loop(self) -> None:
        while (item := self._jobs.get()) is not None:
            source, next_run_at = item
            try:
                run_id = self.store.start_run(source)
                self.tallies[run_id] = Counter()
                job = msg.dumps({"run": run_id, "source": source, "next_run_at": next_run_at})
                self.link.add(self.keys.jobs, job)
            except redis.ConnectionError:
                return  # stopping with Redis unreachable: the run is closed at next start
            except Exception:
                logger.exception("could not dispatch a run of %s", source)
                self.inbox.put(("message", None, {"done": source, "status": "failed",
                                                  "error": "not dispatched"}))

    # -- applying ---------------------------------------------------------------------------

    def _apply_loop(self) -> None:
        pending = True  # first what a previous coordinator read and never acknowledged
        while not self._stop.is_set():
            try:
                entries = self._read("0" if pending else ">")
                if pending and not entries:
                    pending = False
                    continue
                if entries:
                    self.apply(entries)
            except redis.ConnectionError:
                if self._stop.is_set():
                    return
            except Exception:
                logger.exception("coordinator: unexpected error applying results; going on")
                self._stop.wait(1.0)

    def _read(self, position: str) -> list[tuple[str, dict[str, str]]]:
        reply: Any = self.link.retrying(lambda: self.link.client.xreadgroup(
            COORDINATOR_GROUP, "coordinator", {self.keys.results: position}, count=BATCH,
            block=None if position == "0" else READ_BLOCK_MS), "reading results")
        return [e for _, entries in (reply or []) for e in entries if e[1]]

    def apply(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Apply a batch of results in one transaction, then acknowledge it."""
        touched: set[str] = set()
        finished: list[dict[str, Any]] = []
        with self.store.batch():
            for entry_id, fields in entries:
                try:
                    message = msg.loads(fields["m"])
                    self._apply_one(message, touched, finished)
                except Exception:
                    logger.exception("result %s could not be applied: dropped", entry_id)
        self.applied += len(entries)
        self.link.ack(self.keys.results, COORDINATOR_GROUP, [e[0] for e in entries])
        self.publish(touched)
        for done in finished:
            self.inbox.put(("message", None, done))

    def _apply_one(self, message: dict[str, Any], touched: set[str],
                   finished: list[dict[str, Any]]) -> None:
        kind = message.get("t")
        if kind == "page":
            page = msg.page_in(message["page"])
            touched.add(page.url)
            self._page(page, message)
        elif kind == "error":
            self.store.record_error(message["url"], message["source"], message.get("status"),
                                    message["reason"])
            touched.add(message["url"])
        elif kind == "doc":
            self.store.remember_document(msg.page_in(message["page"]))
        elif kind == "finish":
            touched.update(p["url"] for p in message.get("unchanged") or ())
            done = self._finish(message)
            if done is not None:
                finished.append(done)
        else:
            raise ValueError(f"unknown result type {kind!r}")

    def _page(self, page: RawPage, message: dict[str, Any]) -> None:
        tally = self.tallies.setdefault(page.run_id or 0, Counter())
        held = self.store.page(page.url)
        if message.get("x") is None or (held is not None and held.body_hash == page.body_hash):
            # a 304, a body the store holds, or this very result applied before
            result = self.store.ingest_unchanged(page)
        else:
            extraction = msg.extraction_in(message["x"])
            if message.get("bp") != self._boilerplate_key(site_of(page.final_url)):
                # read with other boilerplate than the store's: read it again here, so both
                # sides of an update check use the same extractor
                extraction = self.store.extractor(page.body, page.final_url, page.content_type)
            result = self.store.ingest(page, extraction)
        outcome = RESULT_KINDS.get(result.kind, result.kind)
        tally[outcome] += 1
        if outcome in ("new", "updated") and self.config.topics and not result.topics:
            tally[OFF_TOPIC] += 1

    def _boilerplate_key(self, site: str) -> str:
        """The digest of the boilerplate the store reads `site` with (learned once per
        open store, so once per coordinator)."""
        key = self._keys.get(site)
        if key is None:
            key = self._keys[site] = msg.boilerplate_key(self.store.boilerplate(site))
        return key

    def _finish(self, message: dict[str, Any]) -> dict[str, Any] | None:
        run_id = int(message["run"])
        row = self.store.conn.execute("SELECT source FROM runs WHERE id = ?",
                                      (run_id,)).fetchone()
        if row is None:
            logger.warning("the end of run %d arrived, but the store has no such run (another"
                           " store?): ignored", run_id)
            return None
        tally = self.tallies.pop(run_id, Counter())
        counts = {k: int(v) for k, v in (message.get("counts") or {}).items()}
        for key in TALLIED:
            counts[key] = tally[key]
        counts[UNCHANGED] = counts.get(UNCHANGED, 0) + tally[UNCHANGED]
        documents = {url: (pair[0], pair[1])
                     for url, pair in (message.get("documents") or {}).items()}
        source = row["source"]
        status = self.store.finish_run(run_id, counts, message.get("status"),
                                       duration=message.get("duration"),
                                       next_run_at=message.get("next_run_at"),
                                       documents=documents,
                                       touched=[msg.page_in(p) for p in
                                                message.get("touched") or ()],
                                       unchanged=[msg.page_in(p) for p in
                                                  message.get("unchanged") or ()])
        return {"done": source, "status": status, "counts": counts,
                "seconds": message.get("duration") or 0.0}

    # -- the fetch state workers read ---------------------------------------------------------

    def publish(self, urls: Iterable[str]) -> None:
        """Put the store's fetch state of these pages (and their sites' boilerplate) in
        Redis."""
        wanted = list(urls)
        for i in range(0, len(wanted), SYNC_CHUNK):
            states = self.store.pages(wanted[i:i + SYNC_CHUNK])
            self._publish_states(states.values())

    def publish_all(self) -> None:
        """At start-up: every page the store holds a copy of (workers need no store)."""
        started, count, last = time.monotonic(), 0, ""
        while True:
            rows = self.store.conn.execute(
                "SELECT url FROM pages WHERE body_hash IS NOT NULL AND url > ? ORDER BY url"
                " LIMIT ?", (last, SYNC_CHUNK)).fetchall()
            if not rows:
                break
            last = rows[-1]["url"]
            states = self.store.pages([r["url"] for r in rows])
            self._publish_states(states.values())
            count += len(rows)
        self.link.retrying(lambda: self.link.client.set(self.keys.synced, count),
                           "publishing fetch state")
        logger.info("fetch state of %d pages published to Redis in %.1fs", count,
                    time.monotonic() - started)

    def _publish_states(self, states: Iterable[PageState]) -> None:
        states = list(states)
        sites = {site_of(s.url) for s in states if s.article_id is not None}
        learned = {site: self.store.boilerplate(site) for site in sites
                   if site not in self._published}

        def write() -> None:
            pipe = self.link.client.pipeline(transaction=False)
            for state in states:
                key = self.keys.page(state.url)
                pipe.delete(key)
                pipe.hset(key, mapping=msg.state_out(state))  # type: ignore[arg-type]
                if state.source:
                    due = self.keys.due(state.source)
                    if state.next_check_at:
                        pipe.zadd(due, {state.url: _epoch(state.next_check_at)})
                    else:
                        pipe.zrem(due, state.url)
            for site, paragraphs in learned.items():
                pipe.hset(self.keys.boilerplate, site,
                          msg.dumps({"paragraphs": sorted(paragraphs)}))
            pipe.execute()

        self.link.retrying(write, "publishing fetch state")
        for site, paragraphs in learned.items():
            self._published[site] = msg.boilerplate_key(paragraphs)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
