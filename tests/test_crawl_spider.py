"""The `news` spider's callbacks on responses built from fixture pages (no network).

The spider is built as Scrapy builds it (Crawler -> from_crawler -> settings applied),
with a real store in tmp_path. Paths that need the running reactor (store look-ups
for sitemap lastmod, error recording) are covered by the end-to-end crawl tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_reactor_settings
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from crawler import outcomes as oc
from crawler.configure import project_settings
from crawler.items import PageItem
from crawler.middlewares.addresses import RefusedRequest
from crawler.middlewares.conditional import PAGE_META
from crawler.runbook import SourceRun
from crawler.spiders.news import NewsSpider
from newswatch.config import load_config
from newswatch.exceptions import ConfigError
from newswatch.fixtures import FixtureSites

B = "http://127.0.0.1:8000"
BASES = {"m31": B, "westjournal": "http://127.0.0.1:8001", "analysis": "http://127.0.0.1:8002",
         "koreanews": "http://127.0.0.1:8003", "rusnews": "http://127.0.0.1:8004"}
CONFIG = f"""
db = "data/nw.db"
[sources.m31]
start = ["{B}/"]
follow = ['/\\d{{4}}/\\d{{2}}/[a-z0-9-]+/$']
feed = ["{B}/feed/"]
sitemap = ["{B}/sitemap_index.xml"]
max_pages = 1
delay = 0.25
concurrency = 3
"""


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[NewsSpider]:
    path = tmp_path / "newswatch.toml"
    path.write_text(CONFIG)
    settings = project_settings()
    settings.setdict(get_reactor_settings(), priority="cmdline")
    crawler = Crawler(NewsSpider, settings)
    spider = NewsSpider.from_crawler(crawler, source="m31", config=str(path))
    crawler.spider = spider
    crawler._apply_settings()
    yield spider
    spider.ingest.close()


def fixture_response(path: str, cls: type[Response] = HtmlResponse, **meta: Any) -> Response:
    page = FixtureSites().render("m31", path, 0, BASES)
    request = Request(B + path, meta=meta)
    return cls(B + path, status=page.status, headers=page.headers, body=page.body,
               request=request)


def run_of(spider: NewsSpider) -> SourceRun:
    """A run of the spider's source, as the run book makes them (not registered: its
    end is not recorded)."""
    return SourceRun(1, spider.initial[0])


def collect(agen: Any) -> list[Any]:
    async def run() -> list[Any]:
        return [x async for x in agen]

    return asyncio.run(run())


def test_config_becomes_settings(spider: NewsSpider) -> None:
    s = spider.crawler.settings
    assert s.getfloat("DOWNLOAD_DELAY") == 0.25 == s.getfloat("AUTOTHROTTLE_START_DELAY")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getlist("HTTPERROR_ALLOWED_CODES") == [304]
    assert run_of(spider).hosts == {"127.0.0.1"}


def test_requests_carry_their_source_settings(spider: NewsSpider) -> None:
    run = run_of(spider)
    request = spider.page_request(run, f"{B}/a/")
    assert request is not None and request.cb_kwargs == {"run": run}
    assert request.meta["download_timeout"] == 20.0 and request.meta["max_retry_times"] == 2
    assert request.headers["User-Agent"].decode() == run.source.user_agent
    assert run.pending == 1  # the request holds the run until its callback is over
    run.closed = True
    assert spider.page_request(run, f"{B}/b/") is None  # a finished run starts nothing


def test_listing_yields_article_requests_then_the_next_page(spider: NewsSpider) -> None:
    run = run_of(spider)
    out = collect(spider.parse_listing(fixture_response("/"), run=run, page=0))
    articles = [r for r in out if r.callback == spider.parse_page]
    assert [r.meta[PAGE_META] for r in articles] == [r.url for r in articles]
    assert {r.url.removeprefix(B) for r in articles} == {
        "/2025/05/andromeda-satellite-galaxies-lopsided/",
        "/2025/04/desi-dark-energy-second-data-release/",
        "/2024/10/north-korea-justifies-potential-troop-deployment-to-russia/",
        "/preview/2025/06/kim-jong-un-moscow-rail-summit/"}
    (next_page,) = [r for r in out if r.callback == spider.parse_listing]
    assert (next_page.url, next_page.cb_kwargs) == (f"{B}/page/2/", {"run": run, "page": 1})
    # each article request carries its listing headline's mark (crawler.recheck)
    assert all(r.meta.get("newswatch_mark") for r in articles)
    # page 2 is the last one max_pages allows, and articles already seen are not repeated
    out2 = collect(spider.parse_listing(fixture_response("/page/2/"), run=run, page=1))
    assert [r.url.removeprefix(B) for r in out2] == ["/2024/11/russia-denies-trump-putin-call/"]
    assert run.counts["discovered"] == 5 and run.counts["fetched"] == 2
    assert spider.crawler.stats.get_value("newswatch/discovered") == 5


def test_feed_yields_article_requests(spider: NewsSpider) -> None:
    out = collect(spider.parse_document(fixture_response("/feed/", XmlResponse),
                                        run=run_of(spider), depth=0))
    assert len(out) == 4 and all(r.callback == spider.parse_page for r in out)


def test_sitemap_index_yields_child_sitemaps(spider: NewsSpider) -> None:
    run = run_of(spider)
    out = collect(spider.parse_document(fixture_response("/sitemap_index.xml", XmlResponse),
                                        run=run, depth=0))
    assert [(r.url, r.cb_kwargs) for r in out] == [
        (f"{B}/post-sitemap.xml", {"run": run, "depth": 1}),
        (f"{B}/news-sitemap.xml", {"run": run, "depth": 1})]
    too_deep = collect(spider.parse_document(
        fixture_response("/sitemap_index.xml", XmlResponse), run=run_of(spider), depth=3))
    assert too_deep == []


def test_page_becomes_a_raw_page_item(spider: NewsSpider) -> None:
    path = "/2025/05/andromeda-satellite-galaxies-lopsided/"
    run = run_of(spider)
    run.pending = 1  # held by the page's request
    item = spider.parse_page(fixture_response(path, **{PAGE_META: B + path}), run=run)
    assert run.pending == 1 and not run.closed  # now held by the item, until it is stored
    assert isinstance(item, PageItem) and item.run_key == run.key
    assert (item.url, item.final_url, item.status, item.source) == (B + path, B + path, 200,
                                                                     "m31")
    assert item.headers["content-type"].startswith("text/html")
    assert item.headers["etag"] and item.body.startswith(b"<!DOCTYPE")
    assert "body" not in repr(item)  # items are logged: never dump whole pages
    assert item.raw_page().body_hash == item.raw_page().body_hash


def test_missing_or_unknown_source_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text(CONFIG)
    for source in (None, "nope"):
        with pytest.raises(ConfigError) as exc:
            NewsSpider.from_crawler(Crawler(NewsSpider, project_settings()), source=source,
                                    config=load_config(path))
        assert str(path) in str(exc.value)


def failure(exc: Exception) -> Failure:
    try:
        raise exc
    except Exception:
        return Failure()


@pytest.mark.parametrize(("exc", "kind"), [
    (HttpError(HtmlResponse(B, status=500)), "http-500"),
    (HttpError(HtmlResponse(B, status=404)), "http-404"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots"),
    (IgnoreRequest("max redirections reached"), "redirect-loop"),
    (RefusedRequest("refused: 10.0.0.1"), "refused"),
    (tx_error.TCPTimedOutError(), "timeout"),
    (tx_error.ConnectionRefusedError(), "connection-refused"),
    (tx_error.DNSLookupError(), "dns"),
    (tx_error.ConnectionLost(), "connection-lost"),
])
def test_error_kinds(exc: Exception, kind: str) -> None:
    assert oc.error_kind(failure(exc))[0] == kind


def test_counts_from_stats_always_has_the_summary_columns() -> None:
    counts = oc.counts_from_stats({"newswatch/new": 2, "newswatch/errors/http-500": 1,
                                   "downloader/request_count": 9})
    assert counts["new"] == 2 and counts["errors/http-500"] == 1
    assert all(counts[c] == 0 for c in oc.SUMMARY_COLUMNS if c != "new")
    assert "downloader/request_count" not in counts
