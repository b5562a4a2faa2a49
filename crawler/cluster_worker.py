"""`newswatch worker`'s engine: the daemon's crawl engine, fed from Redis instead of a pipe.

    python -m crawler.worker --config newswatch.toml --cluster     # started by `newswatch worker`

The same spider, downloader (per-site politeness), run book and extraction pool as the
one-machine engine (crawler.worker), with crawler.remote in place of the store: runs come
from the jobs stream, results go to the coordinator.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerRunner
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from twisted.internet.task import LoopingCall

from crawler import workers
from crawler.configure import project_settings
from crawler.memory import tree_mb
from crawler.remote import JobFeed, RemoteIngest
from crawler.runbook import SourceRun
from crawler.runner import Session
from crawler.worker import MEMORY_EVERY, NOT_STARTED
from newswatch.config import Config

logger = logging.getLogger("newswatch.worker")


class ClusterEngine:
    """A cluster worker's engine: runs taken from Redis, results sent there.

    Replaced the way the daemon's engine is: after `recycle_after_runs` runs or past
    `recycle_above_mb`, it takes no more runs, finishes those in hand and exits 0, and
    `newswatch worker` starts a fresh one."""

    def __init__(self, session: Session, config: Config, ingest: RemoteIngest) -> None:
        assert config.cluster is not None
        self.session = session
        self.config = config
        self.ingest = ingest
        consumer = f"{socket.gethostname()}:{os.getpid()}"
        self.feed = JobFeed(config.cluster, consumer, config.daemon.runs_in_flight, self.run)
        self.runs_done = 0
        self.draining = False
        self.memory_mb = 0.0
        self._memory = LoopingCall(self._measure)

    def serve(self) -> int:
        self.session.start(keep_alive=True, recheck_all=False)
        crawler = self.session.crawler
        assert crawler is not None
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        self.session.loop()
        self.feed.stop()
        if self._memory.running:
            self._memory.stop()
        return 1 if self.session.forced else 0

    def _opened(self) -> None:
        self._memory.start(MEMORY_EVERY, now=True)
        self.feed.begin()
        logger.info("worker %s taking runs (at most %d at once)", self.feed.consumer,
                    self.feed.places)

    def run(self, job_id: str, job: dict[str, Any]) -> None:
        """On the reactor thread: one job from the stream."""
        spider = self.session.spider
        source = self.config.sources.get(str(job.get("source")))
        if spider is None or self.draining or self.session.stopping:
            return  # not acknowledged: another worker (or this one, later) takes it
        if source is None:
            logger.error("job %s names source %r, which this worker's config lacks: its run"
                         " is recorded failed", job_id, job.get("source"))
            self.ingest.finish_run(int(job["run"]), {"errors": 1}, "failed")
            self.ingest.call(self.feed.done, job_id)
            return
        run = spider.runbook.submit(source, recheck_all=False,
                                    next_run_at=job.get("next_run_at"), run_id=int(job["run"]))
        run.done.addCallback(self._ended, job_id)

    def _ended(self, run: SourceRun, job_id: str) -> SourceRun:
        if run.error and run.error.startswith(NOT_STARTED):
            return run  # left unacknowledged: it runs again once reclaimed
        self.runs_done += 1
        # after the run's own messages: the Redis thread keeps them in order
        self.ingest.call(self.feed.done, job_id)
        self._maybe_recycle()
        return run

    def _measure(self) -> None:
        self.memory_mb = tree_mb()
        self._maybe_recycle()

    def _maybe_recycle(self) -> None:
        settings = self.config.daemon
        if self.draining or self.session.stopping:
            return
        if (self.runs_done >= settings.recycle_after_runs
                or self.memory_mb >= settings.recycle_above_mb):
            logger.info("recycling this worker after %d runs (%.0f MB): it finishes the runs"
                        " in hand, then a fresh one takes over", self.runs_done,
                        self.memory_mb)
            self.draining = True
            self.feed.stop()
            spider = self.session.spider
            if spider is None or not spider.runbook.active:
                self.session.shutdown("recycle")
                return
            spider.runbook.on_empty = lambda: self.session.shutdown("recycle")


def serve_cluster(config: Config) -> int:
    """A cluster worker engine (started by `newswatch worker`)."""
    if config.cluster is None:
        print(f"newswatch: error: {config.path}: no [cluster] table: nothing to work for",
              file=sys.stderr)
        return 2
    workers.die_with_parent(signal.SIGTERM)
    settings = project_settings()
    if not is_reactor_installed():
        install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    ingest = RemoteIngest(config, workers=settings.getint("NEWSWATCH_EXTRACT_WORKERS"))
    ingest.warm_up()
    try:
        session = Session(CrawlerRunner(settings), ingest, config,  # type: ignore[arg-type]
                          settings.getfloat("NEWSWATCH_SHUTDOWN_GRACE"))
        engine = ClusterEngine(session, config, ingest)
        code = engine.serve()
        logger.info("worker engine stopped after %d runs", engine.runs_done)
        return code
    finally:
        ingest.close()


