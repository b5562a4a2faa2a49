"""The daemon's crawl engine: one long-lived process that runs the source runs it is given.

    python -m crawler.worker --config newswatch.toml      # started by the daemon (scheduler.py)

One Scrapy engine (the `news` spider kept open), one downloader with per-site slots, one
store writer thread and one extraction worker pool serve every run, so an unchanged poll
costs a conditional request and a few store writes, not a process start.

It talks to the daemon in JSON lines. On stdin:

    {"run": "m31", "next_run_at": "2026-12-01T15:30:00Z"}   run m31 now (or when a slot frees)
    {"schedule": {"m31": "2026-12-01T15:30:00Z", ...}}     record sources' next run times
    {"drain": true}                                        finish the runs in hand, exit 0

End of stdin is a drain too. On stdout:

    {"ready": true, "pid": 1234}
    {"done": "m31", "status": "ok", "counts": {...}, "seconds": 0.4, "runs": 17,
     "memory_mb": 212.5, "error": null}

A drain lets the runs in hand end for up to DRAIN_SECONDS, then cuts the rest the
graceful way (pages in flight are stored; the runs are recorded `partial`); runs it never
started come back as done with an error starting "not started". SIGINT/SIGTERM: the same
graceful stop at once; a second signal stops without waiting.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from scrapy import signals
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from crawler import workers
from crawler.ingest import IngestService
from crawler.memory import tree_mb
from crawler.reactor import the_reactor
from crawler.runbook import SourceRun
from crawler.runner import Session, engine_settings
from newswatch.config import Config, load_config
from newswatch.exceptions import NewswatchError

logger = logging.getLogger("newswatch.worker")

DRAIN_SECONDS = 30.0  # a drain waits this long for the runs in hand before cutting them
MEMORY_EVERY = 10.0  # seconds between two measures of the process tree's memory
NOT_STARTED = "not started"


class EngineBase:
    """What the daemon's engine and a cluster worker's share: the engine's life, a
    sample of its memory now and then, and a graceful drain (to be recycled)."""

    def __init__(self, session: Session, config: Config) -> None:
        self.session = session
        self.config = config
        self.runs_done = 0
        self.memory_mb = 0.0
        self.draining = False
        self._memory = LoopingCall(self._measure)

    def serve(self) -> int:
        """Run until drained or stopped; 0 after a clean end."""
        self.session.start(keep_alive=True, recheck_all=False)
        crawler = self.session.crawler
        assert crawler is not None
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        self.session.loop()
        self.stopped()
        if self._memory.running:
            self._memory.stop()
        return 1 if self.session.forced else 0

    def _opened(self) -> None:
        self._memory.start(MEMORY_EVERY, now=True)
        self.begin()

    def begin(self) -> None:
        """The spider is open: start taking runs."""

    def stopped(self) -> None:
        """The reactor has stopped."""

    def _measure(self) -> None:
        self.memory_mb = tree_mb()

    def drain(self) -> None:
        """Take no more runs; end once the runs in hand are over (cut after a while)."""
        if self.draining:
            return
        self.draining = True
        spider = self.session.spider
        if spider is None:
            self.session.shutdown("drain")
            return
        for run in spider.runbook.drop_waiting():
            run.error = f"{NOT_STARTED}: the engine is draining"
        logger.info("draining: %d runs in hand", len(spider.runbook.active))
        spider.runbook.on_empty = self._drained
        if not spider.runbook.active:
            self._drained()
            return
        the_reactor().callLater(DRAIN_SECONDS, self._drain_timeout)

    def _drained(self) -> None:
        crawler = self.session.crawler
        if crawler is not None and crawler.crawling and not self.session.stopping:
            self.session.stopping = True
            deferred_from_coro(crawler.engine.close_spider_async(reason="finished"))

    def _drain_timeout(self) -> None:
        if not self.session.stopping:
            logger.warning("runs still going %.0fs into a drain: cutting them (recorded "
                           "partial; pages in flight are stored)", DRAIN_SECONDS)
            self.session.shutdown("drain timeout")


class Engine(EngineBase):
    """The daemon's side of one engine process: commands in, run results out."""

    def __init__(self, session: Session, config: Config, commands: IO[str],
                 out: IO[str]) -> None:
        super().__init__(session, config)
        self.commands = commands
        self.out = out

    def begin(self) -> None:
        self._send({"ready": True, "pid": os.getpid()})
        threading.Thread(target=self._read, name="newswatch-commands", daemon=True).start()

    def _read(self) -> None:
        """On its own thread: hand each command line to the reactor; EOF is a drain."""
        reactor = the_reactor()
        for line in self.commands:
            if line.strip():
                reactor.callFromThread(self.command, line)
        reactor.callFromThread(self.drain)

    # -- commands -----------------------------------------------------------------------

    def command(self, line: str) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            logger.error("unreadable command from the daemon: %.200r", line)
            return
        if "run" in message:
            self.run(str(message["run"]), message.get("next_run_at"))
        elif "schedule" in message:
            spider = self.session.spider
            if spider is not None:
                spider.ingest.schedule(dict(message["schedule"]))
        elif message.get("drain"):
            self.drain()

    def run(self, name: str, next_run_at: str | None) -> None:
        spider = self.session.spider
        source = self.config.sources.get(name)
        if spider is None or source is None or self.draining:
            why = "unknown source" if source is None else "the engine is stopping"
            self._send({"done": name, "status": None, "error": f"{NOT_STARTED}: {why}"})
            return
        run = spider.submit(source, next_run_at)
        run.done.addCallback(self._report)

    def _report(self, run: SourceRun) -> SourceRun:
        if run.run_id is not None:
            self.runs_done += 1
        self._send({"done": run.name, "status": run.status, "counts": run.summary(),
                    "seconds": round(run.seconds, 3), "runs": self.runs_done,
                    "memory_mb": round(self.memory_mb, 1), "error": run.error})
        return run

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.out.write(json.dumps(message) + "\n")
            self.out.flush()
        except (OSError, ValueError):  # the daemon is gone: its end of the pipe closed
            self.drain()


def serve_engine(ingest: Any, make: Callable[[Session], EngineBase], config: Config,
                 settings: Settings) -> int:
    """Run an engine over `ingest` until it ends; the ingest is closed after."""
    started = time.monotonic()
    ingest.warm_up()
    try:
        engine = make(Session.of(settings, ingest, config))
        code = engine.serve()
        logger.info("engine stopped after %.0fs and %d runs", time.monotonic() - started,
                    engine.runs_done)
        return code
    finally:
        ingest.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.worker", description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--cluster", action="store_true",
                        help="take runs from the [cluster] Redis server (newswatch worker)")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    from newswatch.cli import setup_logging

    setup_logging(args.verbose)
    try:
        config = load_config(args.config)
    except NewswatchError as exc:
        print(f"newswatch: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.cluster:
        from crawler.cluster_worker import serve_cluster

        return serve_cluster(config)
    # ours alone: stdout carries the protocol, so nothing else may print to it
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    workers.die_with_parent(signal.SIGTERM)  # the daemon died: stop the graceful way
    settings = engine_settings()
    ingest = IngestService.from_config(config, workers=settings.getint(
        "NEWSWATCH_EXTRACT_WORKERS"))
    return serve_engine(ingest, lambda session: Engine(session, config, sys.stdin, out),
                        config, settings)

if __name__ == "__main__":
    raise SystemExit(main())
