"""Run several sources in one process: one engine, one spider, every run inside it.

    from crawler.runner import crawl_sources
    summary = crawl_sources(config, ["m31", "westjournal"], progress=True)
    summary["m31"]["new"]   # -> 4

One `news` spider crawls every named source (at most `[daemon] runs_in_flight` at once),
so one downloader, one store writer thread and one extraction worker pool serve them all,
and two sources on one site share its politeness. The Twisted reactor cannot be
restarted, so call this once per process (`newswatch crawl` does).

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
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler.configure import project_settings
from crawler.ingest import IngestService
from crawler.reactor import the_reactor
from crawler.spiders.news import NewsSpider
from newswatch.config import Config

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress line updates
PROGRESS_RUNS = 4  # runs shown by name on the progress line
PROGRESS_WIDTH = 200  # characters of it at most


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
                progress: bool = False, stream: TextIO | None = None,
                recheck_all: bool = True) -> list[SourceRun]:
    """Like crawl_sources, with each run's recorded status and startup error.
    `recheck_all` False: known articles only when due or signalled (crawler.recheck)."""
    wanted = list(dict.fromkeys(names)) if names else list(config.sources)
    for name in wanted:
        config.source(name)  # ConfigError before anything starts
    if not wanted:
        return []
    settings = engine_settings()
    ingest = IngestService.from_config(config, workers=settings.getint(
        "NEWSWATCH_EXTRACT_WORKERS"))
    ingest.warm_up()  # the workers start while Scrapy sets up
    try:
        session = Session.of(settings, ingest, config)
        return session.run(wanted, (stream or sys.stderr) if progress else None,
                           recheck_all=recheck_all)
    finally:
        ingest.close()


def engine_settings() -> Settings:
    """The project settings, with the reactor they name installed (once per process:
    before anything imports the default one)."""
    settings = project_settings()
    if not is_reactor_installed():
        install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    return settings


class Session:
    """One reactor run of the engine, with signal handling and progress."""

    def __init__(self, runner: CrawlerRunner, ingest: IngestService, config: Config,
                 grace: float) -> None:
        self.runner = runner
        self.ingest = ingest
        self.config = config
        self.grace = grace
        self.crawler: Crawler | None = None
        self.error: str | None = None
        self.stopping = False
        self.forced = False

    @classmethod
    def of(cls, settings: Settings, ingest: Any, config: Config) -> Session:
        """A session over `ingest` (an IngestService, or a cluster worker's
        crawler.remote.RemoteIngest: the same calls)."""
        return cls(CrawlerRunner(settings), ingest, config,
                   settings.getfloat("NEWSWATCH_SHUTDOWN_GRACE"))

    def start(self, **spider_args: Any) -> Deferred[None]:
        """Start the engine's crawler (on the reactor); fires when its spider closed."""
        self.crawler = self.runner.create_crawler(NewsSpider)
        d: Deferred[None] = self.runner.crawl(self.crawler, config=self.config,
                                              ingest=self.ingest, **spider_args)
        d.addErrback(self._crawl_failed)
        return d

    @property
    def spider(self) -> NewsSpider | None:
        spider = self.crawler.spider if self.crawler is not None else None
        return spider if isinstance(spider, NewsSpider) else None

    def run(self, names: list[str], progress: TextIO | None,
            recheck_all: bool = True) -> list[SourceRun]:
        self.start(sources=names, recheck_all=recheck_all)
        self.loop(progress)
        return self._results(names)

    def loop(self, progress: TextIO | None = None) -> None:
        """Run the reactor until the crawler is done, SIGINT/SIGTERM stopping it cleanly."""
        reactor = the_reactor()
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

    def _crawl_failed(self, failure: Failure) -> None:
        self.error = failure.getErrorMessage()
        logger.error("the crawl could not run: %s", self.error, exc_info=failure.value)

    def _results(self, names: list[str]) -> list[SourceRun]:
        spider = self.spider
        finished = {run.name: run for run in spider.runbook.finished} if spider else {}
        results = []
        for name in names:
            run = finished.get(name)
            if run is None:
                results.append(SourceRun(name, error=self.error or "the run did not start"))
            else:
                results.append(SourceRun(name, run.status or "failed", run.summary(),
                                         run.error))
        return results

    # -- stopping -----------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: Any) -> None:
        # Only hand over to the reactor here: a signal handler may interrupt anything.
        the_reactor().callFromThread(self.shutdown, signal.Signals(signum).name)

    def shutdown(self, why: str) -> None:
        """Graceful stop (a second call: stop now)."""
        if self.stopping:
            logger.warning("received %s again: stopping now", why)
            self.force()
            return
        self.stopping = True
        logger.warning("received %s: finishing pages in flight (again to stop now)", why)
        spider = self.spider
        if spider is not None:
            spider.runbook.drop_waiting()
        if self.crawler is not None and self.crawler.crawling:
            deferred_from_coro(self.crawler.stop_async())
        the_reactor().callLater(self.grace, self.force)

    def force(self) -> None:
        if self.forced:
            return
        self.forced = True
        spider = self.spider
        if spider is not None:
            spider.runbook.close_all_now("partial")
        self._stop_reactor()

    def _stop_reactor(self) -> None:
        reactor = the_reactor()
        if reactor.running:
            reactor.stop()

    # -- progress -----------------------------------------------------------------------

    def _show_progress(self, stream: TextIO) -> None:
        spider = self.spider
        if spider is None:
            return
        book = spider.runbook
        parts = [f"{len(book.finished)} done, {len(book.active)} running,"
                 f" {len(book.waiting)} waiting"]
        for run in list(book.active.values())[:PROGRESS_RUNS]:
            parts.append(f"{run.name}: {run.counts[oc.FETCHED]} fetched,"
                         f" {run.counts[oc.EXTRACTED]} extracted")
        stream.write("\r\x1b[K" + " | ".join(parts)[:PROGRESS_WIDTH])
        stream.flush()
