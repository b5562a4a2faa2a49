"""Retries with a delay: exponential backoff, or the server's own Retry-After.

Scrapy's RetryMiddleware retries at once. This subclass waits before handing the retry
back: `NEWSWATCH_RETRY_BACKOFF * 2**n` seconds after the n-th failure (capped by
`NEWSWATCH_RETRY_BACKOFF_MAX`), or, for a 429 or 503 carrying `Retry-After` (seconds or
an HTTP date), that long, capped by `NEWSWATCH_RETRY_AFTER_MAX`. The wait only holds
the one request; other downloads go on. A shutdown cuts the wait short and gives up
on the retry, so stopping stays prompt.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from crawler.counting import count_request
from crawler.reactor import the_reactor

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SLEEP_STEP = 0.2  # seconds between checks for a shutdown while waiting


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks us to wait; None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy (RETRY_TIMES, RETRY_HTTP_CODES) plus a wait before each retry."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSWATCH_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("NEWSWATCH_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("NEWSWATCH_RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        mw = cls(crawler.settings)
        mw.crawler = crawler
        return mw

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        attempt = int(request.meta.get("retry_times", 0))
        result = super().process_response(request, response)
        if isinstance(result, Request) and not await self._wait(
                self.delay_for(attempt, response, request)):
            return response
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        attempt = int(request.meta.get("retry_times", 0))
        result = super().process_exception(request, exception)
        if isinstance(result, Request) and not await self._wait(self.delay_for(attempt)):
            return None
        return result

    def delay_for(self, attempt: int, response: Response | None = None,
                  request: Request | None = None) -> float:
        """Seconds to wait before retry number `attempt + 1`, after `response` if any."""
        if response is not None and response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                count_request(self.crawler, request, "retry-after")
                return min(asked, self.retry_after_max)
        delay = min(self.backoff * (2 ** attempt), self.backoff_max)
        return delay * random.uniform(0.8, 1.2)  # jitter: retries from many pages spread out

    async def _wait(self, delay: float) -> bool:
        """Sleep `delay` seconds; False if the crawl is stopping (then do not retry)."""
        reactor = the_reactor()
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            if not self.crawler.crawling:
                return False
            await maybe_deferred_to_future(deferLater(reactor, min(left, SLEEP_STEP)))
        return self.crawler.crawling
