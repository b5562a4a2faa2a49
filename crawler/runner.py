"""Run several sources in one process: one crawler per source, concurrently, one reactor.

    from crawler.runner import crawl_sources
    summary = crawl_sources(config, ["m31", "westjournal"], progress=True)
    summary["m31"]["new"]   # -> 4

All crawlers share one `IngestService` (one store writer thread, one extraction worker
pool). The Twisted reactor cannot be restarted, so call this once per process
(`newswatch crawl` does; the daemon runs it in a subprocess per run).

SIGINT/SIGTERM stop gracefully: no new requests, in-flight pages finish and are
ingested, each run is recorded as `partial`. If that takes longer than
NEWSWATCH_SHUTDOWN_GRACE seconds, or on a second signal, the runs are recorded as
`partial` at once and the process stops without waiting for the network.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler.configure import project_settings
from crawler.ingest import IngestService
from crawler.pipelines import IngestPipeline
from crawler.reactor import the_reactor
from crawler.spiders.news import NewsSpider
from newswatch.config import Config

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress line updates


@dataclass
class SourceRun:
    """The outcome of one source's run."""

    name: str
    status: str = "failed"  # ok | partial | failed (as recorded in the store's runs row)
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # why the crawler could not even start

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, **self.counts}
        if self.error:
            data["error"] = self.error
        return data


def crawl_sources(config: Config, names: Iterable[str] | None = None,
                  progress: bool = False) -> dict[str, dict[str, int]]:
    """Ingest the named sources (default: all) once; {source: {outcome: count}}.

    Besides the outcome counts (see crawler.outcomes) each source has `failed`: 1 when
    its run failed. Raises ConfigError for an unknown source name.
    """
    return {run.name: {**run.counts, "failed": int(run.failed)}
            for run in run_sources(config, names, progress)}


def run_sources(config: Config, names: Iterable[str] | None = None,
                progress: bool = False, stream: TextIO | None = None) -> list[SourceRun]:
    """Like crawl_sources, with each run's recorded status and startup error."""
    wanted = list(names) if names else list(config.sources)
    for name in wanted:
        config.source(name)  # ConfigError before anything starts
    if not wanted:
        return []
    settings = project_settings()
    if not is_reactor_installed():
        install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    ingest = IngestService.from_config(config, workers=settings.getint(
        "NEWSWATCH_EXTRACT_WORKERS"))
    ingest.warm_up()  # the workers start while Scrapy sets up
    try:
        session = _Session(CrawlerRunner(settings), ingest, config,
                           settings.getfloat("NEWSWATCH_SHUTDOWN_GRACE"))
        return session.run(wanted, (stream or sys.stderr) if progress else None)
    finally:
        ingest.close()


class _Session:
    """One reactor run over several crawlers, with signal handling and progress."""

    def __init__(self, runner: CrawlerRunner, ingest: IngestService, config: Config,
                 grace: float) -> None:
        self.runner = runner
        self.ingest = ingest
        self.config = config
        self.grace = grace
        self.crawlers: dict[str, Crawler] = {}
        self.errors: dict[str, str] = {}
        self.stopping = False
        self.forced = False

    def run(self, names: list[str], progress: TextIO | None) -> list[SourceRun]:
        reactor = the_reactor()
        for name in names:
            crawler = self.runner.create_crawler(NewsSpider)
            self.crawlers[name] = crawler
            d = self.runner.crawl(crawler, source=name, config=self.config, ingest=self.ingest)
            d.addErrback(self._crawl_failed, name)
        done = self.runner.join()
        done.addBoth(lambda _: self._stop_reactor())
        ticker = LoopingCall(self._show_progress, progress) if progress else None
        if ticker is not None:
            ticker.start(PROGRESS_INTERVAL, now=False)
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not done.called:
                reactor.run(installSignalHandlers=False)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if ticker is not None and ticker.running:
                ticker.stop()
            if progress is not None:
                progress.write("\r\x1b[K")
                progress.flush()
        return [self._result(name) for name in names]

    def _crawl_failed(self, failure: Failure, name: str) -> None:
        self.errors[name] = failure.getErrorMessage()
        logger.error("%s: the crawl could not run: %s", name, failure.getErrorMessage(),
                     exc_info=failure.value)

    def _result(self, name: str) -> SourceRun:
        crawler = self.crawlers[name]
        run = SourceRun(name, error=self.errors.get(name))
        pipeline = _pipeline(crawler)
        if pipeline is not None:
            run.counts = pipeline.counts()
            if pipeline.status:
                run.status = pipeline.status
        elif _has_stats(crawler):
            run.counts = oc.counts_from_stats(crawler.stats.get_stats())
        return run

    # -- stopping -----------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Only hand over to the reactor here: a signal handler may interrupt anything.
        the_reactor().callFromThread(self._shutdown, signum)

    def _shutdown(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stopping:
            logger.warning("received %s again: stopping now", name)
            self._force()
            return
        self.stopping = True
        logger.warning("received %s: finishing pages in flight (again to stop now)", name)
        for crawler in self.crawlers.values():
            if crawler.crawling:
                deferred_from_coro(crawler.stop_async())
        the_reactor().callLater(self.grace, self._force)

    def _force(self) -> None:
        if self.forced:
            return
        self.forced = True
        for crawler in self.crawlers.values():
            pipeline = _pipeline(crawler)
            if pipeline is not None:
                pipeline.finish_now()
        self._stop_reactor()

    def _stop_reactor(self) -> None:
        reactor = the_reactor()
        if reactor.running:
            reactor.stop()

    # -- progress -----------------------------------------------------------------------

    def _show_progress(self, stream: TextIO) -> None:
        parts = []
        for name, crawler in self.crawlers.items():
            if not _has_stats(crawler):
                continue
            stats = crawler.stats
            fetched = stats.get_value(oc.PREFIX + oc.FETCHED, 0)
            extracted = stats.get_value(oc.PREFIX + oc.EXTRACTED, 0)
            parts.append(f"{name}: {fetched} fetched, {extracted} extracted")
        stream.write("\r\x1b[K" + " | ".join(parts))
        stream.flush()


def _has_stats(crawler: Crawler) -> bool:
    return crawler._stats is not None


def _pipeline(crawler: Crawler) -> IngestPipeline | None:
    if crawler._engine is None:
        return None
    return crawler.get_item_pipeline(IngestPipeline)
