"""Plain data passed in and out of the store: raw pages, page state, ingest results."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

INGEST_KINDS = ("new", "alias", "copy", "updated", "unchanged", "not_article")
# the default revisit schedule, in seconds since first seen: 1h, 3h, 12h, 1d, 3d, 7d
DEFAULT_REVISIT: tuple[float, ...] = (3600.0, 3 * 3600.0, 12 * 3600.0, 86400.0,
                                      3 * 86400.0, 7 * 86400.0)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC to the second with a Z, the one timestamp format of the store."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_last_second: tuple[int, str] = (0, "")


def now_iso() -> str:
    """iso(utcnow()), formatted once a second: a crawl stamps every page it fetches."""
    global _last_second
    second = int(time.time())
    if _last_second[0] != second:
        _last_second = (second, iso(datetime.fromtimestamp(second, UTC)))
    return _last_second[1]


def site_of(url: str) -> str:
    """The site a URL belongs to: host and port, lower-cased, without a leading www.

    Two URLs on different sites are never the same page, whatever rel=canonical says.
    Ports count because every fixture site is 127.0.0.1 on its own port.
    """
    netloc = urlsplit(url).netloc.lower().rsplit("@", 1)[-1]
    return netloc[4:] if netloc.startswith("www.") else netloc


@dataclass
class RawPage:
    """One fetched response, as the crawler hands it to the store."""

    url: str  # the URL requested (the key of `pages`, used for conditional GET)
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    source: str
    fetched_at: str | None = None  # ISO 8601 UTC; None = now
    # the body as store.bodies.pack made it, when the crawler did that off its writer thread
    packed: bytes | None = field(default=None, repr=False)
    # how the feed, sitemap or listing that led here described the page (store.pages)
    listed_mark: str | None = None
    # the source's revisit schedule: ages in seconds since first seen (store.revisit)
    revisit: tuple[float, ...] = DEFAULT_REVISIT
    run_id: int | None = None  # the runs row it was fetched for (a cluster's results)

    @cached_property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True)
class PageState:
    """What the store remembers about a URL's last fetch."""

    url: str
    source: str | None
    fetched_at: str | None
    status: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    article_id: int | None
    next_check_at: str | None = None  # when the revisit schedule re-requests it (None: never)
    listed_mark: str | None = None  # how its feed/sitemap/listing entry read last time

    @property
    def good_copy(self) -> bool:
        """A body is kept from a successful fetch (an error also updates fetched_at)."""
        return bool(self.body_hash) and (self.status or 0) < 400


@dataclass
class IngestResult:
    """What ingesting one page did. `event` is the event row written, if any."""

    kind: str  # one of INGEST_KINDS
    article_id: int | None
    topics: list[str] = field(default_factory=list)
    event: dict[str, Any] | None = None
    version: int | None = None  # the article's version after the ingest
    reextracted: bool = False  # a silent re-extracted version was recorded
