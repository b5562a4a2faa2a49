"""The peers: fetch + extract with trafilatura, news-please and newspaper4k, each its own way.

    python -m bench.peers fetch trafilatura urls.json out.json [--budget 180] [--threads 16]
    python -m bench.peers limit pages.json out.json        # plain trafilatura.extract, one core
    python -m bench.peers floor urls.json out.json         # Scrapy alone, no extraction

`fetch` runs one tool over the URLs (in a subprocess of the bench, so its memory and CPU are
its own) with the tool's documented parallel download helper and extraction call:

- trafilatura: `trafilatura.downloads.buffered_downloads(urls, threads)` then
  `trafilatura.extract(html, url=url, include_comments=False)` (faster and more accurate
  than the defaults on aeb-dev: no comment section wanted in a news monitor);
- news-please: `NewsPlease.from_urls(urls, request_args={"timeout": 30}, fetch_images=False)`
  (one thread per URL for downloads, then a process pool over every core for extraction;
  without a `timeout` in request_args every result comes back empty, a news-please bug);
- newspaper4k: `newspaper.mthreading.fetch_news(articles, threads)` over
  `Article(url, fetch_images=False, memoize_articles=False)` objects.

URLs go in batches of 200 until the time budget is spent, so a slow tool is measured on the
first part of the (site-interleaved) URL list instead of running for an hour; pages/s is
pages done / wall seconds. Extraction functions for pages already in memory (`EXTRACTORS`)
are the same calls, used for the quality scores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

BATCH = 200
TOOLS = ("trafilatura", "news-please", "newspaper4k")
PACKAGES = {"trafilatura": "trafilatura", "news-please": "news-please",
            "newspaper4k": "newspaper4k"}
SETTINGS = {
    "trafilatura": "buffered_downloads(urls, threads) + extract(html, url=url, "
                   "include_comments=False) (SSRF_PROTECTION off: the site is on 127.0.0.1)",
    "news-please": "NewsPlease.from_urls(batch, request_args={'timeout': 30}, "
                   "fetch_images=False); process pool extraction",
    "newspaper4k": "fetch_news([Article(url, fetch_images=False, memoize_articles=False)], "
                   "threads)",
}


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)


# -- extraction of a page already in memory (quality scores) --------------------------------

def trafilatura_text(html: bytes, url: str) -> str:
    import trafilatura
    return trafilatura.extract(html, url=url, include_comments=False) or ""


def newsplease_text(html: bytes, url: str) -> str:
    from newsplease import NewsPlease
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    article = NewsPlease.from_html(text, url=url, fetch_images=False)
    return (getattr(article, "maintext", None) or "") if article else ""


def newspaper_text(html: bytes, url: str) -> str:
    from newspaper import Article
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    article = Article(url, fetch_images=False, memoize_articles=False)
    article.download(input_html=text)
    article.parse()
    return article.text or ""


def newswatch_text(html: bytes, url: str) -> str:
    from extract import extract_page
    result = extract_page(html, url)
    return result.article.text if result.article else ""


def _never_raises(fn: Callable[[bytes, str], str]) -> Callable[[bytes, str], str]:
    """A peer that raises on a page (e.g. newspaper4k on Japanese text without its optional
    tinysegmenter) scores that page as empty; the errors are counted in ERRORS."""
    def run(html: bytes, url: str) -> str:
        try:
            return fn(html, url)
        except Exception as exc:  # noqa: BLE001 (third-party code, any failure)
            ERRORS.setdefault(fn.__name__, []).append(f"{url}: {type(exc).__name__}: {exc}"[:200])
            return ""
    run.__name__ = fn.__name__
    return run


ERRORS: dict[str, list[str]] = {}
EXTRACTORS: dict[str, Callable[[bytes, str], str]] = {
    "newswatch": newswatch_text, "trafilatura": _never_raises(trafilatura_text),
    "news-please": _never_raises(newsplease_text), "newspaper4k": _never_raises(newspaper_text)}


def tool_version(tool: str) -> str:
    return version("newswatch" if tool == "newswatch" else PACKAGES[tool])


# -- fetch + extract over the network ---------------------------------------------------

def _trafilatura(urls: list[str], threads: int) -> Iterable[tuple[str, str]]:
    import trafilatura
    from trafilatura.downloads import buffered_downloads
    from trafilatura.settings import Extractor, use_config
    config = use_config()
    # the bench site is on 127.0.0.1, which trafilatura's SSRF guard refuses by default
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    for url, html in buffered_downloads(urls, threads, options=Extractor(config=config)):
        text = trafilatura.extract(html, url=url, include_comments=False) if html else None
        yield url, text or ""


def _newsplease(urls: list[str], threads: int) -> Iterable[tuple[str, str]]:
    from newsplease import NewsPlease
    results = NewsPlease.from_urls(urls, request_args={"timeout": 30}, fetch_images=False)
    for url in urls:
        article = results.get(url)
        yield url, (getattr(article, "maintext", None) or "") if article else ""


def _newspaper(urls: list[str], threads: int) -> Iterable[tuple[str, str]]:
    from newspaper import Article
    from newspaper.mthreading import fetch_news
    articles = [Article(u, fetch_images=False, memoize_articles=False) for u in urls]
    for article in fetch_news(articles, threads=threads):
        yield article.url, getattr(article, "text", "") or ""


FETCHERS = {"trafilatura": _trafilatura, "news-please": _newsplease,
            "newspaper4k": _newspaper}


def fetch(tool: str, urls: list[str], budget: float, threads: int) -> dict[str, Any]:
    _quiet()
    texts: dict[str, str] = {}
    start = time.perf_counter()
    for i in range(0, len(urls), BATCH):
        for url, text in FETCHERS[tool](urls[i:i + BATCH], threads):
            texts[url] = text
        if time.perf_counter() - start > budget:
            break
    wall = time.perf_counter() - start
    return {"tool": tool, "version": tool_version(tool), "settings": SETTINGS[tool],
            "threads": threads, "urls": len(urls), "pages": len(texts),
            "extracted": sum(1 for t in texts.values() if t.strip()), "wall_s": wall,
            "pages_per_s": len(texts) / wall, "complete": len(texts) == len(urls),
            "texts": texts}


def limit(pages: list[tuple[str, str]], repeat: int = 1) -> dict[str, Any]:
    """Plain trafilatura.extract on one core: CPU seconds per page over `pages`."""
    import trafilatura
    _quiet()
    for url, html in pages[:5]:  # warm-up: imports, caches
        trafilatura.extract(html, url=url)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for url, html in pages:
            trafilatura.extract(html, url=url)
        best = min(best, time.process_time() - start)
    cores = os.cpu_count() or 1
    per_core = len(pages) / best
    # for the breakdown of newswatch's ingest: its own extractor on the same pages
    from extract import extract_page
    start = time.process_time()
    for url, html in pages:
        extract_page(html, url)
    newswatch_s = time.process_time() - start
    return {"pages": len(pages), "cpu_s": best, "pages_per_s_one_core": per_core,
            "cores": cores, "pages_per_s_limit": per_core * cores,
            "trafilatura": tool_version("trafilatura"),
            "trafilatura_extract_ms_per_page": 1000 * best / len(pages),
            "newswatch_extract_page_ms_per_page": 1000 * newswatch_s / len(pages)}


def scrapy_floor(urls: list[str], concurrency: int = 16) -> dict[str, Any]:
    """Scrapy alone: fetch the URLs with a spider that only counts the responses (default
    middlewares, asyncio reactor, no extraction, no store): the CPU any Scrapy-based ingest
    spends per page before doing anything with it. CPU from the crawl's start (imports
    excluded), of this process only."""
    import resource

    import scrapy
    from scrapy.crawler import CrawlerProcess

    _quiet()
    sizes: list[int] = []

    class Fetch(scrapy.Spider):
        name = "fetch"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any, **kwargs: Any) -> list[Any]:
            sizes.append(len(response.body))
            return []

    process = CrawlerProcess({
        "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "CONCURRENT_REQUESTS": 2 * concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
    process.crawl(Fetch)
    usage0, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    process.start()
    usage1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - start
    cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    return {"pages": len(sizes), "wall_s": wall, "cpu_s": cpu,
            "cpu_ms_per_page": 1000 * cpu / max(1, len(sizes)),
            "pages_per_s": len(sizes) / wall, "scrapy": version("scrapy")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="fetch + extract the URLs in a JSON list with one tool")
    f.add_argument("tool", choices=TOOLS)
    f.add_argument("urls", type=Path)
    f.add_argument("out", type=Path)
    f.add_argument("--budget", type=float, default=180.0, help="seconds; stop after a batch")
    f.add_argument("--threads", type=int, default=16)
    lim = sub.add_parser("limit", help="trafilatura.extract pages/s on one core")
    lim.add_argument("pages", type=Path, help="JSON list of [url, html]")
    lim.add_argument("out", type=Path)
    flo = sub.add_parser("floor", help="Scrapy alone: fetch the URLs, extract nothing")
    flo.add_argument("urls", type=Path)
    flo.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "fetch":
        urls = json.loads(args.urls.read_text("utf-8"))
        result = fetch(args.tool, urls, args.budget, args.threads)
    elif args.cmd == "floor":
        result = scrapy_floor(json.loads(args.urls.read_text("utf-8")))
    else:
        pages = [tuple(p) for p in json.loads(args.pages.read_text("utf-8"))]
        result = limit(pages)
    args.out.write_text(json.dumps(result, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
