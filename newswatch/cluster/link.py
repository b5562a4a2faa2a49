"""The Redis side of a cluster: key names, the connection, and waiting out an outage.

Two Redis Streams with consumer groups (Redis docs, "Streams introduction") carry the
work: `jobs` (source runs, coordinator -> workers, group `workers`: each run goes to one
worker; a dead worker's runs are taken over with XAUTOCLAIM) and `results` (pages,
errors and run ends, workers -> coordinator, group `coordinator`). Entries are
acknowledged (XACK) only once acted upon, then deleted, so a crash on either side
re-delivers them. Beside them, the fetch state workers need (a hash per page, a sorted
set of due revisits per source, learned boilerplate per site), kept by the coordinator.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from newswatch.cluster import masked
from newswatch.config import ClusterSettings

logger = logging.getLogger("newswatch.cluster")

T = TypeVar("T")

WORKERS_GROUP = "workers"
COORDINATOR_GROUP = "coordinator"
BACKOFF_MAX = 30.0  # seconds between two tries while Redis is unreachable
SOCKET_TIMEOUT = 30.0  # seconds: longer than any blocking read we make
OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


@dataclass(frozen=True)
class Keys:
    prefix: str

    @property
    def jobs(self) -> str:
        return f"{self.prefix}:jobs"

    @property
    def results(self) -> str:
        return f"{self.prefix}:results"

    def page(self, url: str) -> str:
        return f"{self.prefix}:page:{url}"

    def due(self, source: str) -> str:
        return f"{self.prefix}:due:{source}"

    @property
    def boilerplate(self) -> str:
        return f"{self.prefix}:boilerplate"

    @property
    def synced(self) -> str:
        return f"{self.prefix}:synced"  # set once the store's fetch state is in Redis


class Link:
    """A Redis connection that waits out outages (with backoff, saying so in the log)."""

    def __init__(self, settings: ClusterSettings, who: str) -> None:
        self.settings = settings
        self.who = who
        self.keys = Keys(settings.prefix)
        self.client = redis.Redis.from_url(settings.redis, socket_timeout=SOCKET_TIMEOUT,
                                           socket_connect_timeout=10, decode_responses=True,
                                           health_check_interval=30)
        self.closing = threading.Event()
        self._down_since: float | None = None

    def retrying(self, fn: Callable[[], T], what: str) -> T:
        """`fn()`, tried again (1, 2, 4 ... 30 s apart) while Redis is unreachable.
        Raises redis.ConnectionError only once `closing` is set."""
        wait = 1.0
        while True:
            try:
                result = fn()
            except OUTAGE_ERRORS as exc:
                if self._down_since is None:
                    self._down_since = time.monotonic()
                    logger.warning("%s: Redis at %s unreachable while %s (%s): waiting for"
                                   " it, nothing is lost", self.who,
                                   masked(self.settings.redis), what, exc)
                if self.closing.wait(wait):
                    raise redis.ConnectionError(f"stopping with Redis unreachable ({what})"
                                                ) from exc
                wait = min(BACKOFF_MAX, wait * 2)
                continue
            if self._down_since is not None:
                logger.warning("%s: Redis reachable again after %.0fs", self.who,
                               time.monotonic() - self._down_since)
                self._down_since = None
            return result

    def ensure_group(self, stream: str, group: str) -> None:
        def create() -> None:
            try:
                self.client.xgroup_create(stream, group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

        self.retrying(create, f"creating the consumer group {group}")

    def add(self, stream: str, message: str) -> str:
        result: Any = self.retrying(lambda: self.client.xadd(stream, {"m": message}),
                                    f"writing to {stream}")
        return str(result)

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        if not ids:
            return

        def ack_and_delete() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.xack(stream, group, *ids)
            pipe.xdel(stream, *ids)
            pipe.execute()

        self.retrying(ack_and_delete, f"acknowledging {stream}")

    def close(self) -> None:
        self.closing.set()
        self.client.close()
