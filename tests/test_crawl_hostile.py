"""Hostile and unhelpful servers: Retry-After, XXE feeds, broken feeds, private addresses,
oversized pages, no validators.

A tiny stdlib server on 127.0.0.1 (port 0) serves exactly the documents each case
needs and records when each request arrived. One `newswatch crawl` runs every case as
its own source (then a second one re-ingests one of them); each test checks its case.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, run_newswatch
from routeserver import RouteServer

from newswatch.fixtures import FixtureSites

BASES = {"m31": "http://127.0.0.1:1", "westjournal": "http://127.0.0.1:2",
         "analysis": "http://127.0.0.1:3",
         "koreanews": "http://127.0.0.1:4", "rusnews": "http://127.0.0.1:5"}
ARTICLES = ["/analysis/why-central-banks-cut-slowly.html",  # one distinct story per page
            "/analysis/container-freight-rates-and-prices.html",
            "/analysis/firm-friendship-pyongyang-moscow-relations.html",
            "/analysis/what-kim-jong-un-gains-from-sending-troops-to-russia.html"]
SECRET = "TOP-SECRET-VALUE"


class Site(RouteServer):
    """The hostile cases' documents; every request logged with its arrival time."""

    def article(self, path: str, source_path: str, *first: tuple[int, dict[str, str]]) -> None:
        """An article page (no ETag, no Last-Modified), after `first` error answers."""
        body = FixtureSites().render("analysis", source_path, 0, BASES).body
        self.routes[path] = [(s, h, b"busy") for s, h in first] + [(200, {}, body)]

    def xml(self, path: str, text: str) -> None:
        self.routes[path] = [(200, {"Content-Type": "application/xml"}, text.encode())]

    def requested(self, path: str) -> list[float]:
        return [t for p, t in self.requests if p == path]


def rss(*links: str, doctype: str = "", title: str = "t") -> str:
    items = "".join(f"<item><title>{title}</title><link>{link}</link></item>" for link in links)
    return f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel>{items}</channel></rss>'


def serve_cases(site: Site, secret: Path) -> dict[str, dict[str, Any]]:
    """Every case's documents on `site`; returns the config's sources."""
    # Retry-After on 429 and 503 (then the page)
    site.article("/a/", ARTICLES[0], (429, {"Retry-After": "2"}))
    site.article("/b/", ARTICLES[1], (503, {"Retry-After": "1"}))
    # XXE: a local file, an external entity and an external DTD; then an entity bomb
    doctype = (f'<!DOCTYPE rss SYSTEM "{site.url("/evil.dtd")}" ['
               f'<!ENTITY xxe SYSTEM "file://{secret}">'
               f'<!ENTITY ext SYSTEM "{site.url("/ext-entity")}">]>')
    site.xml("/xxe.xml", rss("&xxe;", site.url("/&ext;"), site.url("/c/"), doctype=doctype,
                             title="&xxe;"))
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    site.xml("/bomb.xml", rss(site.url("/c/"), title="&l9;",
                              doctype=f'<!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>'))
    site.article("/c/", ARTICLES[2])
    # a truncated feed (its first item survives) and a "feed" that is a web page
    site.xml("/broken.xml", rss(site.url("/d/"))[:-len("</channel></rss>")] + "<item><link>")
    site.routes["/notxml"] = [(200, {}, b"<html><body>Just a web page</body></html>")]
    site.article("/d/", ARTICLES[3])
    # links and a redirect to private addresses, and a file: link
    site.xml("/private.xml", rss("http://10.0.0.7/x/", "http://[::1]:9/y/",
                                 "file:///etc/passwd", site.url("/redirect/")))
    site.routes["/redirect/"] = [(302, {"Location": "http://169.254.169.254/latest/"}, b"")]
    # a page over max_page_bytes
    site.routes["/big/"] = [(200, {}, b"<html><body>" + b"x" * 5000 + b"</body></html>")]
    return {
        "polite": {"urls": [site.url("/a/"), site.url("/b/")], "retries": 1},
        "xxe": {"feed": [site.url("/xxe.xml"), site.url("/bomb.xml")]},
        "broken": {"feed": [site.url("/broken.xml"), site.url("/notxml")]},
        "private": {"feed": [site.url("/private.xml")]},
        "big": {"urls": [site.url("/big/")], "max_page_bytes": 2048},
    }


@dataclass
class Crawl:
    site: Site
    db: Path
    summary: dict[str, dict[str, Any]]
    seconds: float
    again: dict[str, Any]  # the `polite` source, crawled a second time


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("hostile")
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    with Site().running() as site:
        config = tmp / "newswatch.toml"
        config.write_text(config_text(serve_cases(site, secret)))
        started = time.monotonic()
        proc = run_newswatch(config, "crawl", "--json", timeout=60)
        seconds = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr[-3000:]
        again = run_newswatch(config, "crawl", "--json", "polite")
        assert again.returncode == 0, again.stderr[-3000:]
        yield Crawl(site, tmp / "data" / "newswatch.db", json.loads(proc.stdout), seconds,
                    json.loads(again.stdout)["polite"])


def test_retry_after_is_honoured(crawl: Crawl) -> None:
    counts = crawl.summary["polite"]
    assert (counts["new"], counts["errors"], counts["retry-after"]) == (2, 0, 2)
    a_first, a_retry = crawl.site.requested("/a/")[:2]
    b_first, b_retry = crawl.site.requested("/b/")[:2]
    # the backoff alone would wait ~1 s: these waits come from the servers' Retry-After
    assert a_retry - a_first >= 1.9
    assert b_retry - b_first >= 0.9


def test_unchanged_body_without_validators_is_not_extracted_again(crawl: Crawl) -> None:
    # No ETag or Last-Modified, so no 304 is possible; the body hash still matches.
    again = crawl.again
    assert (again["unchanged"], again["not-modified"], again.get("extracted", 0)) == (2, 0, 0)


def test_xxe_feed_reads_no_file_fetches_no_dtd_and_does_not_hang(crawl: Crawl) -> None:
    counts = crawl.summary["xxe"]
    assert crawl.seconds < 30
    assert counts["new"] == 1  # the harmless item still counts
    assert counts["errors/malformed-feed"] == 1  # the bomb: refused, not expanded
    paths = crawl.site.log
    assert "/evil.dtd" not in paths and "/ext-entity" not in paths
    assert not [p for p in paths if SECRET in p or "%" in p]
    con = sqlite3.connect(crawl.db)
    stored = " ".join(u for (u,) in con.execute("SELECT url FROM pages"))
    con.close()
    assert SECRET not in stored


def test_malformed_feeds_are_counted_and_recovered_items_still_fetched(crawl: Crawl) -> None:
    counts = crawl.summary["broken"]
    assert counts["errors/malformed-feed"] == 1 and counts["recovered-xml"] == 1
    assert counts["new"] == 1 and counts["status"] == "partial"


def test_links_and_redirects_to_private_addresses_are_refused(crawl: Crawl) -> None:
    counts = crawl.summary["private"]
    # configured on 127.0.0.1: that address is allowed, the other private ones are not
    assert counts["errors/refused"] == 3  # 10.0.0.7, ::1, and the redirect's target
    assert "/redirect/" in crawl.site.log


def test_oversized_page_is_dropped(crawl: Crawl) -> None:
    counts = crawl.summary["big"]
    assert counts["errors/too-large"] == 1 and counts["status"] == "failed"
