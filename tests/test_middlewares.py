"""Downloader middlewares, built the Scrapy way (get_crawler + build_from_crawler).

Only the parts that need no running reactor are exercised here; the end-to-end tests
(tests/test_crawl_*.py) run them inside real crawls.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.configure import project_settings
from crawler.middlewares.addresses import AddressGuardMiddleware, RefusedRequest, is_private
from crawler.middlewares.conditional import ConditionalGetMiddleware
from crawler.middlewares.retry import BackoffRetryMiddleware, retry_after_seconds
from newswatch.config import Source


def crawler_for(*configured: str, **settings: Any) -> Crawler:
    source = Source(name="t", urls=configured)
    base = {k: v for k, v in project_settings().copy_to_dict().items()
            if k.startswith(("NEWSWATCH_", "RETRY_"))}
    return get_crawler(settings_dict={**base, "NEWSWATCH_SOURCE": source, **settings})


def guard_allows(mw: AddressGuardMiddleware, url: str) -> bool:
    try:
        asyncio.run(mw.process_request(Request(url)))
    except RefusedRequest:
        return False
    return True


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://127.0.0.1:8001/other-fixture-site/", True),  # the configured address
    ("https://93.184.216.34/public/", True),
    ("http://10.0.0.5/", False), ("http://172.16.9.9/", False), ("http://192.168.1.1/", False),
    ("http://169.254.169.254/latest/meta-data/", False), ("http://127.0.0.2/", False),
    ("http://[::1]:8000/", False), ("http://[fc00::1]/", False),
    ("http://[::ffff:10.0.0.1]/", False), ("http://[::ffff:127.0.0.1]:9/", True),
    ("file:///etc/passwd", False), ("ftp://127.0.0.1/", False), ("data:text/plain,hi", False),
])
def test_guard_with_a_source_on_loopback(url: str, allowed: bool) -> None:
    crawler = crawler_for("http://127.0.0.1:8000/feed/")
    mw = build_from_crawler(AddressGuardMiddleware, crawler)
    assert guard_allows(mw, url) is allowed
    assert crawler.stats.get_value("newswatch/refused", 0) == (0 if allowed else 1)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://10.1.2.3/",
                                 "http://[::1]/", "http://169.254.169.254/"])
def test_guard_with_a_public_source_refuses_every_private_address(url: str) -> None:
    mw = build_from_crawler(AddressGuardMiddleware, crawler_for("https://93.184.216.34/feed/"))
    assert not guard_allows(mw, url)


def test_is_private_covers_the_listed_ranges() -> None:
    import ipaddress

    for text in ("127.8.8.8", "10.255.0.1", "172.31.255.255", "192.168.0.1", "169.254.1.1",
                 "::1", "fd12::1"):
        assert is_private(ipaddress.ip_address(text)), text
    for text in ("172.32.0.1", "8.8.8.8", "2001:4860::8888"):
        assert not is_private(ipaddress.ip_address(text)), text


def test_retry_after_header_forms() -> None:
    now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(b" 120 ") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True),
                               now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True),
                               now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def retry_mw(**settings: Any) -> BackoffRetryMiddleware:
    return build_from_crawler(BackoffRetryMiddleware, crawler_for("http://127.0.0.1/",
                                                                  **settings))


def response(status: int, **headers: str) -> Response:
    return Response("http://127.0.0.1/x", status=status, headers=headers)


def test_retry_after_is_honoured_and_capped() -> None:
    mw = retry_mw(NEWSWATCH_RETRY_AFTER_MAX=60)
    assert mw.delay_for(0, response(429, **{"Retry-After": "5"})) == 5.0
    assert mw.delay_for(0, response(503, **{"Retry-After": "3600"})) == 60.0
    assert mw.crawler.stats.get_value("newswatch/retry-after") == 2


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    mw = retry_mw(NEWSWATCH_RETRY_BACKOFF=2.0, NEWSWATCH_RETRY_BACKOFF_MAX=10.0)
    for attempt, nominal in [(0, 2.0), (1, 4.0), (2, 8.0), (3, 10.0), (9, 10.0)]:
        delay = mw.delay_for(attempt, response(500))
        assert 0.8 * nominal <= delay <= 1.2 * nominal, (attempt, delay)
    # a 503 without Retry-After backs off like any other retry
    assert 1.6 <= mw.delay_for(0, response(503)) <= 2.4


def test_retry_policy_comes_from_settings() -> None:
    mw = retry_mw(RETRY_TIMES=5, RETRY_HTTP_CODES=[500])
    assert mw.max_retry_times == 5 and mw.retry_http_codes == {500}


def test_conditional_get_is_off_without_an_ingest_service() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(ConditionalGetMiddleware, crawler_for("http://127.0.0.1/"))
