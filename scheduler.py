"""The newswatch daemon: every source re-ingested on its own cadence until SIGINT/SIGTERM.

Design (measured, see bench/soak.py): APScheduler 3's BackgroundScheduler fires one job
per source; each run is one `newswatch crawl SOURCE` subprocess.  A subprocess per run
keeps the daemon's memory flat over months (Scrapy, Twisted and the extractor never
accumulate state here), sidesteps the Twisted reactor's no-restart rule, and makes a run
stoppable: SIGTERM asks Scrapy for its graceful shutdown, which drains the pipeline and
records the run; SIGKILL is safe because every page is ingested in one SQLite transaction.

Usage: `newswatch run` or `python scheduler.py [--config PATH]`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from newswatch.config import Config, Source

log = logging.getLogger("newswatch.scheduler")

JITTER_FRACTION = 0.1  # of a source's cadence, so sources sharing a host drift apart
JITTER_MAX_SECONDS = 60.0
START_SPREAD_SECONDS = 2.0  # first runs are spread over this window at start-up
STOP_GRACE_SECONDS = 20.0  # how long a graceful stop waits for runs in hand


def crawl_argv(config_path: Path, sources: Sequence[str] = ()) -> list[str]:
    """The command line of one run: `newswatch crawl` over `sources` (all if none)."""
    return [sys.executable, "-m", "newswatch", "--config", str(config_path), "crawl",
            *sources, "--quiet", "--json"]


def crawl_command(config: Config, source: str) -> list[str]:
    """The command line of one run of one source."""
    return crawl_argv(config.path, [source])


def jitter_for(source: Source) -> float:
    return min(source.every_seconds * JITTER_FRACTION, JITTER_MAX_SECONDS)


@dataclass
class RunRecord:
    source: str
    started: float
    returncode: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def summarize(counts: dict[str, Any]) -> str:
    keys = ("fetched", "new", "updated", "unchanged", "duplicates", "errors")
    return ", ".join(f"{k} {counts.get(k, 0)}" for k in keys)


def parse_summary(stdout: str, source: str) -> dict[str, Any]:
    """The counts a `crawl --json` run printed for `source` ({} if none could be read).

    `crawl --json` prints one line, `{source: {status, fetched, new, ...}}`.
    """
    for line in reversed(stdout.splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        found = data.get(source) if isinstance(data, dict) else None
        return found if isinstance(found, dict) else {}
    return {}


class Daemon:
    """Schedules one crawl subprocess per source and stops them cleanly."""

    def __init__(self, config: Config, *,
                 command: Callable[[Config, str], Sequence[str]] = crawl_command) -> None:
        self.config = config
        self.command = command
        self.stopping = threading.Event()
        self.runs_done = 0
        self.failed_runs = 0
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._running: set[str] = set()
        self._overrun: set[str] = set()
        workers = max(1, len(config.sources))
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # APScheduler warns on every skipped due run; we say it once per long run instead.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.scheduler.add_listener(self._on_skip, EVENT_JOB_MAX_INSTANCES)

    def _on_skip(self, event: JobSubmissionEvent) -> None:
        with self._lock:
            if event.job_id in self._overrun:
                return
            self._overrun.add(event.job_id)
        log.info("run of %s is taking longer than its cadence; due runs are skipped until it "
                 "ends", event.job_id)

    # -- scheduling -------------------------------------------------------------------
    def start(self) -> None:
        now = datetime.now(UTC)
        for name, source in sorted(self.config.sources.items()):
            first = now + timedelta(seconds=random.uniform(0, START_SPREAD_SECONDS))
            self.scheduler.add_job(
                self.run_source, IntervalTrigger(seconds=source.every_seconds,
                                                 jitter=jitter_for(source), timezone=UTC),
                args=[name], id=name, name=f"ingest {name}", next_run_time=first)
            log.info("scheduled %s every %s", name, source.every)
        self.scheduler.start()

    def run_source(self, name: str) -> RunRecord | None:
        """One run of one source, in a subprocess; never two at once for the same source."""
        with self._lock:
            if self.stopping.is_set() or name in self._running:
                return None
            self._running.add(name)
        record = RunRecord(source=name, started=time.monotonic())
        log.info("run of %s started", name)
        try:
            self._spawn_and_wait(name, record)
        except OSError as exc:
            log.error("run of %s could not start: %s", name, exc)
            record.returncode = -1
        finally:
            with self._lock:
                self._running.discard(name)
                self._overrun.discard(name)
                self._children.pop(name, None)
                self.runs_done += 1
                if record.returncode != 0 and not self.stopping.is_set():
                    self.failed_runs += 1
        if record.returncode == 0:
            outcome = "ended"
        elif self.stopping.is_set():
            outcome = "stopped"
        else:
            outcome = f"failed (exit {record.returncode})"
        log.info("run of %s %s in %.1fs: %s", name, outcome, record.seconds,
                 summarize(record.counts))
        return record

    def _spawn_and_wait(self, name: str, record: RunRecord) -> None:
        # A new session: a Ctrl-C on the terminal reaches only the daemon, which then
        # sends each run exactly one SIGTERM (a second would force Scrapy to abort).
        # Output goes to a file, not a pipe: a pipe inherited by a run's own worker
        # processes would keep us waiting after the run itself has ended.
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
            child = subprocess.Popen(list(self.command(self.config, name)), stdout=out,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
            with self._lock:
                self._children[name] = child
                if self.stopping.is_set():
                    child.terminate()
            record.returncode = child.wait()
            kill_group(child.pid)  # whatever the run left behind in its session
            out.seek(0)
            record.counts = parse_summary(out.read(), name)

    # -- stopping ---------------------------------------------------------------------
    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Graceful stop: no new runs, SIGTERM to runs in hand, wait for them to commit."""
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        with self._lock:
            children = list(self._children.values())
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + grace
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("a run did not stop within %.0fs; killing it", grace)
                kill_group(child.pid)
                child.wait()

    def kill(self) -> None:
        """Immediate stop: SQLite's per-page transactions keep the store intact."""
        self.stopping.set()
        with self._lock:
            children = list(self._children.values())
        for child in children:
            kill_group(child.pid)


def kill_group(pid: int) -> None:
    """SIGKILL the session a run was started in (the run and any process it forked)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def serve_forever(config: Config) -> int:
    """Run the daemon until SIGINT/SIGTERM; 0 after a clean stop."""
    daemon = Daemon(config)
    signals_seen = 0
    wake = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen > 1:
            log.warning("second signal: stopping at once")
            daemon.kill()
            os._exit(1)
        log.info("%s received: finishing runs in hand", signal.Signals(signum).name)
        wake.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        log.info("newswatch daemon started: %d sources, store %s", len(config.sources),
                 config.db)
        daemon.start()
        while not wake.wait(1.0):
            pass
        daemon.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("newswatch daemon stopped after %.0fs: %d runs, %d failed", time.monotonic() -
             started, daemon.runs_done, daemon.failed_runs)
    return 0


def main(argv: list[str] | None = None) -> None:
    """`python scheduler.py [--config PATH] [-v]`: the same as `newswatch run`."""
    from newswatch.cli import main as cli_main

    args = list(sys.argv[1:] if argv is None else argv)
    head = [a for a in args if a not in ("run",)]
    raise SystemExit(cli_main([*head, "run"]))


if __name__ == "__main__":
    main()
