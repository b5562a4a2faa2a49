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

from crawler import workers
from crawler.remote import JobFeed, RemoteIngest
from crawler.runbook import SourceRun
from crawler.runner import Session, engine_settings
from crawler.worker import NOT_STARTED, EngineBase, serve_engine
from newswatch.config import Config

logger = logging.getLogger("newswatch.worker")


class ClusterEngine(EngineBase):
    """A cluster worker's engine: runs taken from Redis, results sent there.

    Replaced the way the daemon's engine is: after `recycle_after_runs` runs or past
    `recycle_above_mb`, it takes no more runs, finishes those in hand and exits 0, and
    `newswatch worker` starts a fresh one."""

    def __init__(self, session: Session, config: Config, ingest: RemoteIngest) -> None:
        assert config.cluster is not None
        super().__init__(session, config)
        self.ingest = ingest
        consumer = f"{socket.gethostname()}:{os.getpid()}"
        self.feed = JobFeed(config.cluster, consumer, config.daemon.runs_in_flight, self.run)

    def begin(self) -> None:
        self.feed.begin()
        logger.info("worker %s taking runs (at most %d at once)", self.feed.consumer,
                    self.feed.places)

    def stopped(self) -> None:
        self.feed.stop()

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
        super()._measure()
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
            self.feed.stop()
            self.drain()


def serve_cluster(config: Config) -> int:
    """A cluster worker engine (started by `newswatch worker`)."""
    if config.cluster is None:
        print(f"newswatch: error: {config.path}: no [cluster] table: nothing to work for",
              file=sys.stderr)
        return 2
    workers.die_with_parent(signal.SIGTERM)
    settings = engine_settings()
    ingest = RemoteIngest(config, workers=settings.getint("NEWSWATCH_EXTRACT_WORKERS"))
    return serve_engine(ingest, lambda session: ClusterEngine(session, config, ingest),
                        config, settings)
