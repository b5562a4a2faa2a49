"""Config object -> Scrapy settings and request meta: the one place config becomes Scrapy's.

Config flows one way: newswatch.toml -> `newswatch.config.Config` -> these settings
(applied at spider priority in `NewsSpider.from_crawler`) -> each component's
`from_crawler`. Nothing reads the config file or the environment anywhere else.

One engine crawls every source (crawler.spiders.news), so a source's own keys travel
with its requests, as the request meta keys Scrapy's components already read
(`download_timeout`, `download_maxsize`, `max_retry_times`, `dont_obey_robotstxt`) plus
its User-Agent header; per-site politeness (`delay`, `concurrency`) is held by the
downloader (crawler.downloader). The settings below are the engine-wide bounds.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from scrapy.settings import Settings

from newswatch.config import Config, Source

SOURCE_META = "newswatch_source"  # request.meta key: the Source a request was made for


def project_settings() -> Settings:
    """crawler/settings.py as a Settings object, wherever the process was started from."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def engine_settings(config: Config) -> dict[str, Any]:
    """The Scrapy settings of one engine crawling the config's sources.

    Request-level keys are set per request (`source_meta`); here only what must be one
    value for the whole engine: the global cap on requests in flight, AutoThrottle's
    start and floor (the smallest source delay: each site's own floor is applied by the
    downloader), and the largest body any source accepts.
    """
    sources = list(config.sources.values()) or [Source(name="-")]
    least_delay = min(s.delay for s in sources)
    agents = Counter(s.user_agent for s in sources)
    return {
        "NEWSWATCH_CONFIG": config,
        # what requests of no source (robots.txt) identify as: the usual one
        "USER_AGENT": max(agents, key=lambda a: (agents[a], a)),
        "CONCURRENT_REQUESTS": config.daemon.requests_in_flight,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(s.concurrency for s in sources),
        "DOWNLOAD_DELAY": least_delay,
        "AUTOTHROTTLE_START_DELAY": least_delay,
        "DOWNLOAD_MAXSIZE": max(s.max_page_bytes for s in sources),
        "DOWNLOAD_WARNSIZE": max(s.max_page_bytes for s in sources) // 2,
        "ROBOTSTXT_OBEY": any(s.obey_robots for s in sources),
        # for requests of no source (robots.txt): the most impatient source's values
        "RETRY_TIMES": min(s.retries for s in sources),
        "DOWNLOAD_TIMEOUT": min(s.download_timeout for s in sources),
    }


def source_settings(config: Config, source: Source) -> dict[str, Any]:
    """The settings of an engine crawling one source (`scrapy crawl news -a source=NAME`):
    the engine-wide ones, with the source's own keys as the defaults."""
    return {
        **engine_settings(config),
        "NEWSWATCH_SOURCE": source,
        "USER_AGENT": source.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
        "DOWNLOAD_TIMEOUT": source.download_timeout,
        "DOWNLOAD_MAXSIZE": source.max_page_bytes,
        "DOWNLOAD_WARNSIZE": source.max_page_bytes // 2,
        # AutoThrottle starts at `delay` and never goes below it (Scrapy uses
        # DOWNLOAD_DELAY as AutoThrottle's floor).
        "DOWNLOAD_DELAY": source.delay,
        "AUTOTHROTTLE_START_DELAY": source.delay,
        "RETRY_TIMES": source.retries,
        "ROBOTSTXT_OBEY": source.obey_robots,
    }


@lru_cache(maxsize=16384)
def _source_meta(source: Source) -> tuple[tuple[str, Any], ...]:
    return tuple(_meta_of(source).items())


def source_meta(source: Source) -> dict[str, Any]:
    """Request meta carrying a source's own keys to Scrapy's components (a new dict:
    components write into a request's meta)."""
    return dict(_source_meta(source))


def _meta_of(source: Source) -> dict[str, Any]:
    meta: dict[str, Any] = {
        SOURCE_META: source,
        "download_timeout": source.download_timeout,
        "download_maxsize": source.max_page_bytes,
        "download_warnsize": source.max_page_bytes // 2,
        "max_retry_times": source.retries,
    }
    if not source.obey_robots:
        meta["dont_obey_robotstxt"] = True
    return meta


def source_headers(source: Source) -> dict[str, str]:
    return {"User-Agent": source.user_agent}
