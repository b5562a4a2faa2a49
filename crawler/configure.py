"""Config object -> Scrapy settings: the one place a source's keys become settings.

Config flows one way: newswatch.toml -> `newswatch.config.Config` -> these settings
(applied at spider priority in `NewsSpider.from_crawler`) -> each component's
`from_crawler`. Nothing reads the config file or the environment anywhere else.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import Settings

from newswatch.config import Config, Source


def project_settings() -> Settings:
    """crawler/settings.py as a Settings object, wherever the process was started from."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def source_settings(config: Config, source: Source) -> dict[str, Any]:
    """The Scrapy settings for crawling one configured source.

    E.g. `delay = 0` and `retries = 0` in a test config give DOWNLOAD_DELAY = 0,
    AUTOTHROTTLE_START_DELAY = 0 and RETRY_TIMES = 0.
    """
    return {
        "NEWSWATCH_CONFIG": config,
        "NEWSWATCH_SOURCE": source,
        "ROBOTSTXT_OBEY": source.obey_robots,
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
    }
