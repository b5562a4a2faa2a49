"""The newswatch daemon: every source re-ingested on its own cadence until SIGINT/SIGTERM.

Design (measured: bench/daemon_scale.py, bench/soak.py). Two processes:
- this one, the *scheduler*: small (no Scrapy, no extractor), it keeps the timetable
  (APScheduler 3, one interval job per source, jitter), a line of due runs and at most
  `[daemon] runs_in_flight` of them handed out at once;
- one long-lived *engine* (crawler.worker): one Scrapy engine, downloader, store writer
  and extraction pool for every source, fed runs over a pipe (JSON lines).
The engine is replaced, gracefully, after `recycle_after_runs` runs or past
`recycle_above_mb` of memory (gunicorn's max_requests, Celery's max_memory_per_child):
a fresh one takes the next runs at once while the old one finishes those in hand, so no
fetched page is lost and no source waits for the swap. If it dies, the runs
it held go back in line and a new one starts (with backoff if it keeps dying).

First runs are spread over each source's cadence (at most an hour), or resume at the
next run time the store kept from the last daemon. A source whose run is due while the
previous one is still waiting or running is coalesced: one run, counted and reported.

Usage: `newswatch run` or `python scheduler.py [--config PATH]`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from newswatch.cluster import masked
from newswatch.config import Config, Source

if TYPE_CHECKING:
    from newswatch.cluster.coordinator import Coordinator

log = logging.getLogger("newswatch.scheduler")

JITTER_FRACTION = 0.1  # of a source's cadence, so sources sharing a host drift apart
JITTER_MAX_SECONDS = 60.0
FIRST_SPREAD_MAX = 3600.0  # seconds: first runs are spread over min(cadence, this)
STOP_GRACE_SECONDS = 20.0  # how long a graceful stop waits for the engine
REPORT_SECONDS = 300.0  # a summary of the daemon's work is logged this often
RESTART_BACKOFF_MAX = 60.0  # seconds between restarts of an engine that keeps dying
HEALTHY_AFTER = 60.0  # an engine that lived this long resets the restart backoff


def crawl_argv(config_path: Path, sources: Sequence[str] = ()) -> list[str]:
    """The command line of a one-off `newswatch crawl` over `sources` (all if none)."""
    return [sys.executable, "-m", "newswatch", "--config", str(config_path), "crawl",
            *sources, "--quiet", "--json"]


def engine_argv(config: Config) -> list[str]:
    """The command line of the daemon's engine process."""
    verbose = ["-v"] * max(0, (logging.WARNING - logging.getLogger().level) // 10)
    return [sys.executable, "-m", "crawler.worker", "--config", str(config.path), *verbose]


def jitter_for(source: Source) -> float:
    return min(source.every_seconds * JITTER_FRACTION, JITTER_MAX_SECONDS)


def summarize(counts: dict[str, Any]) -> str:
    keys = ("fetched", "new", "updated", "unchanged", "duplicates", "errors")
    return ", ".join(f"{k} {counts.get(k, 0)}" for k in keys)


def first_run(source: Source, now: datetime, kept: datetime | None) -> datetime:
    """When a source first runs: the time a previous daemon planned, if that is still
    ahead (and not beyond one cadence), else a random point in its spread window."""
    if kept is not None and now <= kept <= now + timedelta(seconds=source.every_seconds):
        return kept
    window = min(source.every_seconds, FIRST_SPREAD_MAX)
    return now + timedelta(seconds=random.uniform(0, window))


def kept_schedule(db: Path) -> dict[str, datetime]:
    """sources.next_run_at as the last daemon left it ({} if none can be read)."""
    if not db.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute("SELECT name, next_run_at FROM sources"
                               " WHERE next_run_at IS NOT NULL").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    kept = {}
    for name, stamp in rows:
        with contextlib.suppress(ValueError):
            kept[name] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return kept


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EngineProcess:
    """The engine subprocess and the thread that reads its messages."""

    def __init__(self, argv: list[str], inbox: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        # A new session: a Ctrl-C on the terminal reaches only the daemon, which then
        # sends the engine exactly one SIGTERM (a second would make it stop at once).
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     start_new_session=True, text=True, encoding="utf-8")
        self.started = time.monotonic()
        self.ready = False
        self.draining = False
        self.runs_done = 0
        self.memory_mb = 0.0
        self._inbox = inbox
        threading.Thread(target=self._read, name="newswatch-engine-out", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("engine said something unreadable: %.200r", line)
                continue
            self._inbox.put(("message", self, message))
        self._inbox.put(("exit", self, self.proc.wait()))

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError, ValueError):  # it died: its exit is on the way
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()

    def drain(self) -> None:
        if not self.draining:
            self.draining = True
            self.send({"drain": True})

    def terminate(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()

    def kill(self) -> None:
        kill_group(self.proc.pid)


@dataclass
class Tally:
    """What the daemon did since the last report."""

    runs: Counter[str] = field(default_factory=Counter)  # by status
    coalesced: Counter[str] = field(default_factory=Counter)  # by source
    since: float = field(default_factory=time.monotonic)


class Daemon:
    """Keeps the timetable, hands due runs to the engine, replaces the engine."""

    def __init__(self, config: Config, *,
                 command: Callable[[Config], Sequence[str]] = engine_argv) -> None:
        self.config = config
        self.command = command
        self.limit = config.daemon.runs_in_flight
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.waiting: deque[str] = deque()
        self.in_flight: dict[str, float] = {}  # source -> when it was handed out
        self.holder: dict[str, EngineProcess] = {}  # source -> the engine running it
        self.retiring: list[EngineProcess] = []  # recycled engines finishing their runs
        self.engine: EngineProcess | None = None
        self.cluster: Coordinator | None = None  # [cluster]: workers crawl, we apply
        self.stopping = False
        self.runs_done = 0
        self.failed_runs = 0
        self.tally = Tally()
        self._restarts = 0
        self._restart_at: float | None = None
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            # the jobs only put a name in a queue: run them in the scheduler's own thread
            # (no thread hop per due run; a thousand sources make several a second)
            executors={"default": DebugExecutor()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # APScheduler logs every job it runs; ours only put a name in a queue.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)

    # -- the timetable ----------------------------------------------------------------

    def start(self) -> None:
        now = datetime.now(UTC)
        kept = kept_schedule(self.config.db)
        overdue = sum(1 for name, at in kept.items() if at < now and name in self.config.sources)
        if overdue:
            log.info("%d sources are overdue (the daemon was not running): their runs are"
                     " spread over their cadence", overdue)
        for name, source in sorted(self.config.sources.items()):
            first = first_run(source, now, kept.get(name))
            # each run falls between `every - jitter` and `every` after the last one
            # (APScheduler adds 0..jitter to each interval): never later than promised
            jitter = jitter_for(source)
            self.scheduler.add_job(
                self.inbox.put, IntervalTrigger(seconds=source.every_seconds - jitter,
                                                jitter=jitter, timezone=UTC),
                args=[("due", name)], id=name, name=f"ingest {name}", next_run_time=first)
        self.scheduler.start()
        if self.config.cluster is not None:
            from newswatch.cluster.coordinator import Coordinator

            self.cluster = Coordinator(self.config, self.inbox)
            self.cluster.start()
            log.info("coordinating a cluster through Redis at %s: runs go to `newswatch"
                     " worker` processes", masked(self.config.cluster.redis))
        else:
            self.start_engine()

    def next_run(self, name: str) -> str | None:
        job = self.scheduler.get_job(name)
        return iso(job.next_run_time) if job is not None and job.next_run_time else None

    def due(self, name: str) -> None:
        if self.stopping:
            return
        if name in self.in_flight or name in self.waiting:
            self.tally.coalesced[name] += 1  # one run covers both
            return
        self.waiting.append(name)

    def dispatch(self) -> None:
        """Hand waiting runs to the engine, up to the limit (to the cluster: all)."""
        if self.cluster is not None:
            while self.waiting and not self.stopping:
                name = self.waiting.popleft()
                self.in_flight[name] = time.monotonic()
                self.cluster.dispatch(name, self.next_run(name))
            return
        engine = self.engine
        if engine is None or not engine.ready or engine.draining or self.stopping:
            return
        while self.waiting and len(self.in_flight) < self.limit:
            name = self.waiting.popleft()
            self.in_flight[name] = time.monotonic()
            self.holder[name] = engine
            engine.send({"run": name, "next_run_at": self.next_run(name)})

    # -- the engine -------------------------------------------------------------------

    def start_engine(self) -> None:
        self._restart_at = None
        try:
            self.engine = EngineProcess(list(self.command(self.config)), self.inbox)
        except OSError as exc:
            log.error("the crawl engine could not start: %s", exc)
            self._engine_lost()
            return
        log.info("crawl engine started (pid %d)", self.engine.pid)

    def on_message(self, engine: EngineProcess | None, message: dict[str, Any]) -> None:
        if engine is not self.engine and engine not in self.retiring:
            return  # an engine gone since (None: the cluster's coordinator, current)
        if message.get("ready") and engine is not None and engine is self.engine:
            engine.ready = True
            engine.send({"schedule": {name: self.next_run(name)
                                      for name in self.config.sources}})
        elif "done" in message:
            self.on_done(engine, message)

    def on_done(self, engine: EngineProcess | None, message: dict[str, Any]) -> None:
        name = str(message["done"])
        started = self.in_flight.pop(name, None)
        self.holder.pop(name, None)
        error = message.get("error")
        if error and str(error).startswith("not started"):
            if not self.stopping and name in self.config.sources:
                self.waiting.appendleft(name)  # handed back: it runs next
            return
        if engine is not None:
            engine.runs_done = int(message.get("runs", engine.runs_done))
            engine.memory_mb = float(message.get("memory_mb") or 0.0)
        status = message.get("status") or "failed"
        self.runs_done += 1
        self.tally.runs[status] += 1
        if status == "failed":
            self.failed_runs += 1
        counts = message.get("counts") or {}
        took = time.monotonic() - started if started is not None else message.get("seconds", 0)
        quiet = status == "ok" and not (counts.get("new") or counts.get("updated"))
        level = logging.DEBUG if quiet else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "run of %s %s in %.1fs: %s", name,
                    "ended" if status != "failed" else "failed", took, summarize(counts))
        if engine is not None:
            self._maybe_recycle(engine)

    def _maybe_recycle(self, engine: EngineProcess) -> None:
        settings = self.config.daemon
        if engine.draining or self.stopping:
            return
        why = None
        if engine.runs_done >= settings.recycle_after_runs:
            why = f"{engine.runs_done} runs"
        elif engine.memory_mb >= settings.recycle_above_mb:
            why = f"{engine.memory_mb:.0f} MB in use"
        if why is not None:
            log.info("recycling the crawl engine after %s: a fresh one takes the next runs"
                     " while it finishes those in hand", why)
            engine.drain()
            if engine is self.engine:
                self.retiring.append(engine)
                self.engine = None
                self.start_engine()

    def on_exit(self, engine: EngineProcess, code: int) -> None:
        kill_group(engine.pid)  # whatever it left behind in its session
        lost = [name for name, held in self.holder.items() if held is engine]
        for name in lost:
            del self.holder[name]
            self.in_flight.pop(name, None)
        if not self.stopping:
            self.waiting.extendleft(reversed([n for n in lost if n not in self.waiting]))
        if engine in self.retiring:  # a recycled engine is through
            self.retiring.remove(engine)
            if code != 0 and not self.stopping:
                log.warning("a recycled crawl engine ended with exit %s; %d runs go back in"
                            " line", code, len(lost))
            return
        if engine is not self.engine:
            return
        self.engine = None
        if self.stopping:
            return
        log.error("the crawl engine stopped unexpectedly (exit %s)%s", code,
                  f"; {len(lost)} runs go back in line" if lost else "")
        self._engine_lost(time.monotonic() - engine.started)

    def _engine_lost(self, lived: float = 0.0) -> None:
        self._restarts, wait = restart_delay(self._restarts, lived)
        self._restart_at = time.monotonic() + wait
        log.warning("starting a new crawl engine in %.0fs", wait)

    # -- the loop ---------------------------------------------------------------------

    def step(self, timeout: float = 1.0) -> None:
        """Handle what arrived (waiting up to `timeout` for it), then hand out runs."""
        try:
            item = self.inbox.get(timeout=timeout)
        except queue.Empty:
            item = None
        while item is not None:
            self.handle(item)
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                item = None
        if (self.engine is None and self.cluster is None and self._restart_at is not None
                and not self.stopping
                and time.monotonic() >= self._restart_at):
            self.start_engine()
        self.dispatch()
        if self.cluster is not None:
            self._release_lost_runs()
        if time.monotonic() - self.tally.since >= REPORT_SECONDS:
            self.report()

    def _release_lost_runs(self) -> None:
        """Cluster runs gone silent far beyond any timeout (their job was lost with
        Redis's data): the source may run again."""
        settings = self.config
        assert settings.cluster is not None
        limit = 2 * (settings.daemon.run_timeout + settings.cluster.reclaim_after) + 60
        now = time.monotonic()
        for name, since in list(self.in_flight.items()):
            if now - since > limit:
                log.warning("run of %s gave no sign for %.0fs: given up, the source runs"
                            " again when due", name, now - since)
                del self.in_flight[name]

    def handle(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "due":
            self.due(item[1])
        elif kind == "message":
            self.on_message(item[1], item[2])
        elif kind == "exit":
            self.on_exit(item[1], item[2])

    def report(self) -> None:
        tally, self.tally = self.tally, Tally()
        minutes = (time.monotonic() - tally.since) / 60
        runs = sum(tally.runs.values())
        parts = [f"{runs} runs in {minutes:.0f}m"
                 + (f" ({', '.join(f'{n} {s}' for s, n in sorted(tally.runs.items()))})"
                    if runs else ""),
                 f"{len(self.in_flight)} running", f"{len(self.waiting)} waiting"]
        if tally.coalesced:
            busiest = ", ".join(name for name, _ in tally.coalesced.most_common(5))
            parts.append(f"{sum(tally.coalesced.values())} due runs coalesced into runs"
                         f" still going or waiting ({busiest})")
        if self.engine is not None:
            parts.append(f"engine {self.engine.memory_mb:.0f} MB")
        log.info("daemon: %s", "; ".join(parts))

    # -- stopping ---------------------------------------------------------------------

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Graceful stop: no new runs; the engine finishes the pages in flight and commits."""
        self.stopping = True
        with contextlib.suppress(Exception):
            self.scheduler.shutdown(wait=False)
        if self.cluster is not None:
            self.cluster.stop()
        engines = [e for e in (self.engine, *self.retiring) if e is not None]
        for engine in engines:
            engine.terminate()
        deadline = time.monotonic() + grace
        for engine in engines:
            try:
                engine.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("the crawl engine did not stop within %.0fs; killing it", grace)
            engine.kill()
            engine.proc.wait()

    def kill(self) -> None:
        """Immediate stop: SQLite's transactions keep the store intact."""
        self.stopping = True
        for engine in (self.engine, *self.retiring):
            if engine is not None:
                engine.kill()


def restart_delay(restarts: int, lived: float) -> tuple[int, float]:
    """For an engine that died after `lived` seconds, having died `restarts` times in a
    row before: (its new count, seconds to wait before the next one: 1, 2, 4 ... 60)."""
    if lived >= HEALTHY_AFTER:
        restarts = 0
    return restarts + 1, min(RESTART_BACKOFF_MAX, 2.0 ** restarts)


def kill_group(pid: int) -> None:
    """SIGKILL the session the engine was started in (it and the workers it forked)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def serve_forever(config: Config) -> int:
    """Run the daemon until SIGINT/SIGTERM; 0 after a clean stop."""
    daemon = Daemon(config)
    signals_seen = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen > 1:
            log.warning("second signal: stopping at once")
            daemon.kill()
            os._exit(1)
        log.info("%s received: finishing runs in hand", signal.Signals(signum).name)
        daemon.inbox.put(("stop",))  # SimpleQueue.put may be called from a signal handler

    from newswatch.notify import start_service

    notifier = start_service(config)  # [notify.*]: a sender thread (None without any)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        log.info("newswatch daemon started: %d sources, store %s", len(config.sources),
                 config.db)
        daemon.start()
        while not signals_seen:
            daemon.step()
        daemon.stop()
    finally:
        if notifier is not None:
            notifier.stop()  # sends in flight finish and are recorded
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
