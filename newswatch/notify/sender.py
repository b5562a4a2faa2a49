"""The sender: queue, claim, send through Apprise, record; as a daemon thread or a drain.

`Sender.step()` is one pass over every URL: queue the events its channel selects
(outbox.materialize), claim what is due, and hand each URL's messages to a worker
thread, which sends them in order through a one-URL Apprise object and records each
outcome right after. A URL whose send fails is held back (backoff) and its other claims
are given back, so it never blocks the other URLs, nor floods a receiver that is down.

`NotifyService` runs steps in a thread of the daemon's scheduler process (its own
SQLite connection, a pass a second); `newswatch crawl` calls `Sender.drain()` once its
runs are stored.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from newswatch.config import Config
from newswatch.notify import outbox
from newswatch.notify.channels import Channel, Target, build_channels
from newswatch.notify.render import Message, digest_message, event_message
from newswatch.notify.secrets import SCRUBBER

log = logging.getLogger("newswatch.notify")

POLL_SECONDS = 1.0  # how often the daemon's sender looks for new events and due retries
LEASE_SECONDS = 300.0  # a claim lasts this long: far beyond SEND_TIMEOUT
SEND_TIMEOUT = 30.0  # seconds one message may take (Apprise's call deadline)
CLAIM_LIMIT = 20  # messages claimed per URL and pass
MAX_WORKERS = 8  # URLs sent to at once


def utcnow() -> datetime:
    return datetime.now(UTC)


def send(target: Target, message: Message, timeout: float = SEND_TIMEOUT) -> str | None:
    """Send one message to one URL; None when it was accepted, else why not (scrubbed
    of secrets). Apprise reports a failure in its result, not by raising: read it."""
    import apprise

    asset = apprise.AppriseAsset(app_id="newswatch", app_desc="newswatch news monitor",
                                 storage_mode="memory")
    sender = apprise.Apprise(asset=asset)
    try:
        if not sender.add(target.with_fields(message.fields)):
            return "Apprise cannot use this URL"
        body, body_format = (message.html, "html") if target.html else (message.text, "text")
        result = sender.notify(body=body, title=message.title, body_format=body_format,
                               timeout=timeout)
    except Exception as exc:  # a plugin bug must not stop the sender
        return SCRUBBER(f"{type(exc).__name__}: {exc}")
    if result:
        return None
    reasons = [entry.message for entry in result.logs()
               if entry.level in ("WARNING", "ERROR", "CRITICAL")]
    status = getattr(result.status, "name", "FAILURE").lower()
    return SCRUBBER("; ".join(dict.fromkeys(reasons)) or f"not delivered ({status})")


class Sender:
    """Delivers the events of `channels` from the store at `config.db`."""

    def __init__(self, config: Config, channels: list[Channel], *,
                 clock: Callable[[], datetime] = utcnow,
                 transport: Callable[[Target, Message], str | None] = send) -> None:
        self.config = config
        self.channels = channels
        self.clock = clock
        self.transport = transport
        self.started = clock()  # a URL first seen now starts with events from here on
        self.owner = outbox.new_owner()
        self.tally: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._conn: Any = None
        self._lock = threading.RLock()
        self._registered = False
        self._busy: set[tuple[str, str]] = set()
        self._futures: list[Future[None]] = []
        workers = max(1, min(MAX_WORKERS, sum(len(c.targets) for c in channels)))
        self._pool = ThreadPoolExecutor(max_workers=workers,
                                         thread_name_prefix="newswatch-notify")

    @property
    def targets(self) -> list[tuple[Channel, Target]]:
        return [(channel, target) for channel in self.channels for target in channel.targets]

    def _ready(self) -> bool:
        """Open the store once it has the deliveries table, register every URL."""
        if self._registered:
            return True
        if not outbox.ready(self.config.db):
            return False  # the crawl engine creates and migrates the store
        with self._lock:
            self._conn = outbox.connect(self.config.db)
            for channel, target in self.targets:
                outbox.ensure_target(self._conn, channel.name, target.url_key, target.target,
                                     self.started)
            self._registered = True
        return True

    def step(self, due_by: datetime | None = None) -> int:
        """One pass: queue new events, claim what is due (by `due_by` when given), start
        sending; returns the number of messages handed to the workers."""
        if self.stopping.is_set() or not self._ready():
            return 0
        self._futures = [f for f in self._futures if not f.done()]
        now = self.clock()
        due = now if due_by is None else min(now, due_by)
        handed = 0
        with self._lock:
            last = outbox.last_event_id(self._conn)
            for channel, target in self.targets:
                key = (channel.name, target.url_key)
                if key in self._busy:
                    continue
                if outbox.cursor(self._conn, *key) < last:
                    digest = (outbox.Digest(channel.spec.digest_seconds, channel.spec.at)
                              if channel.spec.digest_seconds else None)
                    queued = outbox.materialize(self._conn, channel.name, target.url_key,
                                                target.target, channel.selects, digest, now)
                    self.tally["queued"] += queued
                if not outbox.has_due(self._conn, *key, due):
                    continue
                jobs = outbox.claim(self._conn, *key, self.owner, now, LEASE_SECONDS,
                                    CLAIM_LIMIT)
                if jobs:
                    self._busy.add(key)
                    self._futures.append(self._pool.submit(self._deliver, channel, target,
                                                           jobs))
                    handed += len(jobs)
        return handed

    def _deliver(self, channel: Channel, target: Target, jobs: list[outbox.Job]) -> None:
        key = (channel.name, target.url_key)
        try:
            for index, job in enumerate(jobs):
                if self.stopping.is_set() or not self._send_one(channel, target, job):
                    with self._lock:
                        outbox.release(self._conn, tuple(i for j in jobs[index:]
                                                         for i in j.ids), self.owner)
                    return
        except Exception:
            log.exception("notify %s: delivery to %s stopped", channel.name, target.target)
        finally:
            with self._lock:
                self._busy.discard(key)

    def _send_one(self, channel: Channel, target: Target, job: outbox.Job) -> bool:
        """Send one message and record the outcome; False if the URL failed."""
        with self._lock:
            if not outbox.still_mine(self._conn, job.ids, self.owner, self.clock()):
                return False  # the lease ran out: another sender may have it now
        message = self._message(channel, job)
        error = self.transport(target, message)
        now = self.clock()
        with self._lock:
            if error is None:
                before = outbox.record_sent(self._conn, channel.name, target.url_key, job.ids,
                                            self.owner, now)
                self.tally["sent"] += 1
                if before == "failing":
                    log.info("notify %s: %s works again; what waited is being sent",
                             channel.name, target.target)
                log.debug("notify %s: %s accepted %s", channel.name, target.target,
                          message.title)
                return True
            failures, health, retry = outbox.record_failed(
                self._conn, channel.name, target.url_key, job.ids, self.owner, now, error)
        self.tally["failed"] += 1
        wait = (retry - now).total_seconds()
        if failures == outbox.FAILING_AFTER:
            log.warning("notify %s: %s is failing (%d attempts in a row): %s; retrying"
                        " with backoff, %d messages waiting", channel.name, target.target,
                        failures, error, self.unsent(target))
        elif failures == 1:
            log.warning("notify %s: %s did not take %s: %s; retrying in %.0fs", channel.name,
                        target.target, _what(job), error, wait)
        else:
            log.info("notify %s: %s still %s (%d attempts in a row): %s; next attempt in"
                     " %.0fs", channel.name, target.target,
                     "failing" if health == "failing" else "not taking messages", failures,
                     error, wait)
        return False

    def _message(self, channel: Channel, job: outbox.Job) -> Message:
        if job.digest is None:
            return event_message(job.events[0])
        seconds = channel.spec.digest_seconds or 0.0
        start = outbox.parse_iso(job.digest)
        return digest_message(channel.name, list(job.events), start,
                              start + timedelta(seconds=seconds))

    def unsent(self, target: Target) -> int:
        with self._lock:
            return outbox.unsent(self._conn, target.channel, target.url_key)

    def wait(self) -> None:
        """Wait for the messages handed to the workers."""
        for future in list(self._futures):
            future.result()

    def drain(self) -> Counter[str]:
        """Send everything due now, then return what happened (a one-off crawl's end):
        sent, failed, and still waiting (a digest period not over, a URL held back).
        A retry that falls due while draining waits for the next drain or pass, so how
        many attempts a drain makes does not depend on how slow a failing URL is."""
        started = self.clock()
        while self.step(started):
            self.wait()
        self.wait()
        waiting = 0
        if self._registered:
            waiting = sum(self.unsent(target) for _, target in self.targets)
        self.tally["waiting"] = waiting
        return self.tally

    def close(self) -> None:
        """Stop taking work; sends in flight finish and are recorded."""
        self.stopping.set()
        self._pool.shutdown(wait=True)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _what(job: outbox.Job) -> str:
    if job.digest is not None:
        return f"the digest of {len(job.events)} events"
    event = job.events[0]
    return f"event {event['id']} ({event['kind']})"


class NotifyService:
    """The daemon's sender: a thread of the scheduler process, a pass every second."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newswatch-notify",
                                        daemon=True)

    def start(self) -> NotifyService:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sender.step()
            except Exception as exc:  # e.g. the store locked for longer than the timeout
                log.warning("notify: pass failed, trying again: %s", SCRUBBER(str(exc)))
            self._stop.wait(POLL_SECONDS)

    def stop(self) -> None:
        """Stop after the pass in hand; sends in flight finish and are recorded."""
        self._stop.set()
        self._thread.join(timeout=LEASE_SECONDS)
        self.sender.close()


def start_service(config: Config) -> NotifyService | None:
    """The daemon's hook: deliver the configured channels' events as they happen (None
    without `[notify.*]`). A notification URL Apprise cannot use is a ConfigError."""
    channels = build_channels(config)
    if not channels:
        return None
    sender = Sender(config, channels)
    log.info("notifications: %s", ", ".join(
        f"{c.name} ({len(c.targets)} URL{'s' if len(c.targets) != 1 else ''}"
        f"{', digest every ' + c.spec.digest if c.spec.digest else ''})" for c in channels))
    return NotifyService(sender).start()


def prepare(config: Config) -> Sender | None:
    """For a one-off crawl: created before it runs (URLs checked, its start noted);
    `drain()` once it is stored."""
    channels = build_channels(config)
    return Sender(config, channels) if channels else None


def finish(sender: Sender) -> Counter[str]:
    """A one-off crawl's end: deliver what is due, log what happened, close."""
    try:
        tally = sender.drain()
    except sqlite3.Error as exc:  # e.g. the store locked too long: the daemon or the
        log.warning("notifications: not delivered now (%s); the daemon or the next crawl"
                    " will", exc)  # next crawl delivers; the crawl itself is stored
        return sender.tally
    finally:
        sender.close()
    log.log(logging.WARNING if tally["failed"] else logging.INFO,
            "notifications: %d sent, %d failed attempts, %d waiting (retried by the daemon"
            " or the next crawl, or a digest period not over)", tally["sent"], tally["failed"],
            tally["waiting"])
    return tally
