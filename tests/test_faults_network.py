"""Network faults, per path and per host: each is counted under a clear kind, the healthy
pages of the same source are still stored, and the next run completes the work.

Extends test_crawl_faults (500, 404, drop, redirect loop, timeout, host down) and
test_crawl_hostile (429/503 Retry-After per path, oversized page, private addresses) with:
a host answering 503 + Retry-After to everything for a while, a host answering 500 to
everything, truncated gzip, a gzip bomb, 50 MB pages with and without Content-Length,
an empty 200, binary data served as text/html, redirects to another host and to
non-http schemes, and a configured host whose name does not resolve (`.invalid`,
RFC 6761: it fails locally).

One `newswatch crawl` runs every case as its own source; a second one, with the faults
cleared, re-crawls the page that came truncated.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, run_newswatch

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import load_expectations

BANKS = "/analysis/why-central-banks-cut-slowly.html"  # truncated gzip, then healthy
FREIGHT = "/analysis/container-freight-rates-and-prices.html"  # always healthy
WJ_ARTICLE = "/news/north-korea-pressing-hard-for-alliance-with-russia/"
M31_ARTICLE = "/2024/10/north-korea-justifies-potential-troop-deployment-to-russia/"
DEAD_HOST = "http://newswatch-faults.invalid"
MB = 1024 * 1024

# path on the `paths` site -> (fault mode, options, error kind; None: a 200 that is no article)
PATH_FAULTS: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "/fault/bomb": ("gzip_bomb", {"size": 64 * MB}, "too-large"),
    "/fault/huge": ("huge", {"size": 50 * MB}, "too-large"),
    "/fault/huge-unannounced": ("huge", {"size": 50 * MB, "length": False}, "too-large"),
    "/fault/empty": ("empty", {}, None),
    "/fault/binary": ("binary", {}, None),
    "/fault/to-file": ("redirect", {"target": "file:///etc/passwd"}, "bad-redirect"),
    "/fault/to-ftp": ("redirect", {"target": "ftp://127.0.0.1/pub/x.html"}, "bad-redirect"),
    "/fault/to-data": ("redirect", {"target": "data:text/html,<p>hi</p>"}, "bad-redirect"),
    "/fault/to-dead-host": ("redirect", {"target": DEAD_HOST + "/x/"}, "dns"),
}
REASONS = {  # error kind -> words the stored reason must contain
    "too-large": "maxsize",  # "download max size" / "DOWNLOAD_MAXSIZE" (when inflated)
    "bad-redirect": "not followed (only http and https)",
    "dns": "dns lookup failed",
}


@dataclass
class Crawl:
    summary: dict[str, dict[str, Any]]
    again: dict[str, Any]  # the `gzipped` source, re-crawled without faults
    db: Path
    hosts: FixtureServer  # per-host faults
    paths: FixtureServer  # per-path faults


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def page_row(db: Path, url: str) -> tuple[Any, ...]:
    rows = query(db, "SELECT status, reason, article_id FROM pages WHERE url = ?", url)
    assert rows, f"no pages row for {url}: the fault was not recorded"
    return rows[0]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("faults-network")
    with FixtureServer(state=0) as hosts, FixtureServer(state=0) as paths:
        # m31: busy for its first two requests (503, Retry-After: 1), whatever the path
        hosts.fault("m31", "*", "503", retry_after=1, times=2)
        # westjournal: every path a 500, for good
        hosts.fault("westjournal", "*", "500")
        for path, (mode, options, _) in PATH_FAULTS.items():
            paths.fault("analysis", path, mode, **options)
        paths.fault("analysis", "/fault/to-other-host", "redirect",
                    target=paths.url("m31", M31_ARTICLE))
        paths.fault("analysis", "/fault/empty-feed", "empty")
        paths.fault("analysis", BANKS, "truncated_gzip")
        sources = {
            "busyhost": {"feed": [hosts.url("m31", "/feed/")], "obey_robots": False,
                         "retries": 2},
            "brokenhost": {"feed": [hosts.url("westjournal", "/feed/")],
                           "urls": [hosts.url("westjournal", WJ_ARTICLE)]},
            "paths": {"urls": [paths.url("analysis", p)
                               for p in [*PATH_FAULTS, "/fault/to-other-host"]]},
            "gzipped": {"urls": [paths.url("analysis", BANKS), paths.url("analysis", FREIGHT)]},
            "emptyfeed": {"feed": [paths.url("analysis", "/fault/empty-feed")]},
            "deadhost": {"feed": [DEAD_HOST + "/feed/"]},
        }
        config = tmp / "newswatch.toml"
        config.write_text(config_text(sources, topics={}))
        proc = run_newswatch(config, "crawl", "--json", timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        summary = json.loads(proc.stdout)
        paths.clear_faults()
        again = run_newswatch(config, "crawl", "--json", "gzipped", timeout=120)
        assert again.returncode == 0, again.stderr[-3000:]
        yield Crawl(summary, json.loads(again.stdout)["gzipped"],
                    tmp / "data" / "newswatch.db", hosts, paths)


def test_host_busy_with_retry_after_loses_nothing(crawl: Crawl) -> None:
    counts = crawl.summary["busyhost"]
    assert counts["status"] == "ok" and counts["errors"] == 0
    assert counts["retry-after"] == 2  # the feed was asked three times, then served
    assert [r.status for r in crawl.hosts.requests
            if (r.site, r.path) == ("m31", "/feed/")] == [503, 503, 200]
    # every article the feed lists was fetched and stored (one is the same story as the
    # one `paths` reached by redirect, on another port: recorded as its copy)
    assert counts["new"] + counts["duplicates"] == counts["discovered"] == 4


def test_host_answering_500_fails_the_source_clearly(crawl: Crawl) -> None:
    counts = crawl.summary["brokenhost"]
    assert counts["status"] == "failed"
    assert (counts["errors"], counts["errors/http-500"]) == (2, 2)
    for path in ("/feed/", WJ_ARTICLE):
        status, reason, _ = page_row(crawl.db, crawl.hosts.url("westjournal", path))
        assert status == 500 and reason.startswith("http-500")
    assert query(crawl.db, "SELECT kind FROM events WHERE source = 'brokenhost'") == [
        ("source_failed",)]
    assert query(crawl.db, "SELECT health, failures FROM sources WHERE name = 'brokenhost'"
                 ) == [("failing", 1)]


def test_each_path_fault_is_counted_under_its_kind_with_a_clear_reason(crawl: Crawl) -> None:
    counts = crawl.summary["paths"]
    expected: dict[str, int] = {}
    for path, (_, _, kind) in PATH_FAULTS.items():
        status, reason, article_id = page_row(crawl.db, crawl.paths.url("analysis", path))
        assert article_id is None, path
        if kind is None:
            assert status == 200, path
            continue
        expected[kind] = expected.get(kind, 0) + 1
        assert reason.startswith(kind + ":"), (path, reason)
        if kind in REASONS:
            assert REASONS[kind] in reason.lower().replace("max size", "maxsize"), reason
    for kind, n in expected.items():
        assert counts[f"errors/{kind}"] == n, (kind, counts)
    assert counts["errors"] == sum(expected.values())
    assert counts["not-an-article"] == 2  # the empty page and the binary one
    assert counts["status"] == "partial"


def test_redirect_to_another_host_is_followed_and_stored(crawl: Crawl) -> None:
    _, reason, article_id = page_row(crawl.db, crawl.paths.url("analysis", "/fault/to-other-host"))
    assert reason is None and article_id is not None
    # the story's URLs include the redirect's target (as its canonical URL, or as a copy
    # when busyhost stored the same story from the other server first)
    urls = {u for (u,) in query(crawl.db, "SELECT url FROM article_urls WHERE article_id = ?",
                                article_id)}
    assert crawl.paths.url("m31", M31_ARTICLE) in urls


def test_non_http_redirects_are_never_requested(crawl: Crawl) -> None:
    # nothing but the redirecting pages themselves was asked for
    asked = {r.path for r in crawl.paths.requests}
    assert not [p for p in asked if "passwd" in p or "pub/x" in p]


def test_gzip_bomb_is_small_on_the_wire_and_refused_by_inflated_size() -> None:
    from fixturesite.httpd import _bomb

    assert len(_bomb(64 * MB)) < 128 * 1024  # 64 MB once inflated, under 128 KB sent
    # the crawl: counted too-large, its reason "exceeded DOWNLOAD_MAXSIZE ... during
    # decompression" (test_each_path_fault_is_counted_under_its_kind_with_a_clear_reason)


def test_truncated_gzip_is_an_error_and_the_next_run_stores_the_whole_page(crawl: Crawl
                                                                           ) -> None:
    counts = crawl.summary["gzipped"]
    assert (counts["errors/truncated"], counts["new"]) == (1, 1)  # FREIGHT is unharmed
    again = crawl.again
    assert (again["new"], again["errors"]) == (1, 0)
    url = crawl.paths.url("analysis", BANKS)
    (text,), = query(crawl.db, "SELECT a.text FROM articles a JOIN pages p"
                               " ON p.article_id = a.id WHERE p.url = ?", url)
    expectation = next(e for e in load_expectations() if e.path == BANKS)
    for paragraph in expectation.paragraphs:
        assert paragraph in text


def test_unresolvable_configured_host_fails_with_a_dns_error(crawl: Crawl) -> None:
    counts = crawl.summary["deadhost"]
    assert (counts["status"], counts["errors/dns"]) == ("failed", 1)
    _, reason, _ = page_row(crawl.db, DEAD_HOST + "/feed/")
    assert reason.startswith("dns:") and "newswatch-faults.invalid" in reason


def test_empty_200_feed_is_a_malformed_feed(crawl: Crawl) -> None:
    counts = crawl.summary["emptyfeed"]
    assert (counts["status"], counts["errors/malformed-feed"]) == ("failed", 1)
    _, reason, _ = page_row(crawl.db, crawl.paths.url("analysis", "/fault/empty-feed"))
    assert reason == "malformed-feed: empty document"


@pytest.mark.parametrize("encoding", [b"gzip", b"x-gzip", b"deflate", b"raw-deflate"])
def test_stream_completeness_check(encoding: bytes) -> None:
    import gzip
    import zlib

    from crawler.middlewares.integrity import stream_is_complete

    data = b"<p>" + b"a news paragraph " * 5000 + b"</p>"
    if encoding == b"raw-deflate":  # what some servers send as "deflate"
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        packed, encoding = packer.compress(data) + packer.flush(), b"deflate"
    elif encoding == b"deflate":
        packed = zlib.compress(data)
    else:
        packed = gzip.compress(data)
    assert stream_is_complete(packed, encoding, 10 * MB)
    assert not stream_is_complete(packed[: len(packed) // 2], encoding, 10 * MB)
    assert not stream_is_complete(b"not compressed at all", encoding, 10 * MB)
    # past the size limit it is not judged: HttpCompressionMiddleware refuses it by size
    assert stream_is_complete(packed[: len(packed) // 2], encoding, 1000)


def test_fixture_server_fault_modes_added_for_this_suite() -> None:
    import gzip
    import http.client

    def get(srv: FixtureServer, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", int(srv.base_url("m31").rsplit(":", 1)[1]),
                                          timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    with FixtureServer(state=0) as srv:
        srv.fault("m31", "/e/", "empty")
        srv.fault("m31", "/b/", "binary")
        srv.fault("m31", "/r/", "redirect", target="file:///etc/passwd")
        srv.fault("m31", "/h/", "huge", size=3 * MB, length=False)
        srv.fault("m31", "/feed/", "truncated_gzip")
        assert get(srv, "/e/")[::2] == (200, b"")
        status, headers, body = get(srv, "/b/")
        assert (status, headers["Content-Type"], body[:4]) == (200, "text/html; charset=utf-8",
                                                              b"\x89PNG")
        status, headers, _ = get(srv, "/r/")
        assert (status, headers["Location"]) == (302, "file:///etc/passwd")
        status, headers, body = get(srv, "/h/")
        assert (status, len(body), "Content-Length" in headers) == (200, 3 * MB, False)
        status, headers, body = get(srv, "/feed/")
        assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(body)
        with pytest.raises(EOFError):
            gzip.decompress(body)
        srv.fault("m31", "*", "500")
        assert get(srv, "/anything/")[0] == get(srv, "/robots.txt")[0] == 500
