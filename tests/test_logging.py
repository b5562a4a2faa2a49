"""What a crawl prints: at the default level, no library chatter a user cannot act on
(trafilatura's "discarding data: None" for every short page, Scrapy's size warnings);
our own warnings, the events and the summary stay. With -v the library lines are back.
(An unreachable robots.txt, which Scrapy reports with a traceback, is quieted the same
way: test_cli_options checks the levels; a down site costs seconds of retries here.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, run_newswatch
from pages import article, rss
from routeserver import RouteServer

LIBRARIES = ("trafilatura", "htmldate", "courlan", "justext", "readability", "charset_normalizer",
             "urllib3", "scrapy", "twisted")
LIBRARY_LINE = re.compile(rf"^\S+ \S+ (WARNING|ERROR|CRITICAL)\s+({'|'.join(LIBRARIES)})\b",
                          re.M)
# a page trafilatura declines with "discarding data: None" (navigation only, no text)
NAV_ONLY = ('<html><head><title>Moved</title></head>'
            '<body><nav><a href="/"><img src="/logo.png" alt=""></a></nav></body></html>')


@pytest.fixture
def chatty_site() -> Iterator[RouteServer]:
    """A feed of a navigation-only page, an article larger than the warn size (half the
    configured max_page_bytes), a 404 and a good article."""
    srv = RouteServer()
    with srv.running():
        srv.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        titles = {"/2024/10/moved/": "Moved", "/2024/10/long/": "A long one",
                  "/2024/10/gone/": "Gone", "/2024/10/fine/": "A fine article"}
        srv.add("/feed.xml", rss(srv, titles), "application/rss+xml")
        srv.add("/2024/10/moved/", NAV_ONLY)
        srv.add("/2024/10/long/", article("A long one", 2) + "<!--" + "x" * 3000 + "-->")
        srv.add("/2024/10/fine/", article("A fine article", 3))
        yield srv


def crawl(write_config: Callable[..., Path], srv: RouteServer, name: str,
          *flags: str) -> subprocess.CompletedProcess[str]:
    sources = {"site": {"feed": [srv.url("/feed.xml")], "max_page_bytes": 8000}}
    config = write_config(sources, name=f"{name}.toml", db=f"{name}/nw.db",
                          events_log=f"{name}/events.jsonl")
    return run_newswatch(config, "crawl", *flags)


def test_default_level_prints_no_library_chatter(write_config: Callable[..., Path],
                                                 chatty_site: RouteServer) -> None:
    quiet = crawl(write_config, chatty_site, "quiet")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert LIBRARY_LINE.findall(quiet.stderr) == [], quiet.stderr
    assert "Traceback" not in quiet.stderr and "discarding data" not in quiet.stderr
    # what stays: the summary, our own warnings (what, where), the events
    assert re.search(r"^site\s+partial\s+5\s+2\b", quiet.stdout, re.M), quiet.stdout
    assert "WARNING crawler.spiders.news: site: http-404 " in quiet.stderr
    assert "/2024/10/gone/" in quiet.stderr
    assert "NEW      site  A fine article" in quiet.stderr

    loud = crawl(write_config, chatty_site, "loud", "-v")  # -v after the command, too
    assert loud.returncode == 0, loud.stderr[-3000:]
    shown = {match[2] for match in LIBRARY_LINE.finditer(loud.stderr)}
    assert {"trafilatura", "scrapy"} <= shown, loud.stderr[-3000:]
    assert "trafilatura.core: discarding data: None" in loud.stderr
    assert "larger than download warn size" in loud.stderr


def test_a_worker_without_the_parents_logging_is_quiet_too() -> None:
    """An extraction worker forked from a clean forkserver has no log set-up of its own."""
    code = ("import logging\n"
            "from crawler.workers import init_worker\n"
            "init_worker()\n"
            "logging.getLogger('trafilatura.core').warning('discarding data: None')\n"
            "logging.getLogger('extract.core').warning('extraction failed: ours')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "discarding data" not in proc.stderr
    assert "WARNING extract.core: extraction failed: ours" in proc.stderr
