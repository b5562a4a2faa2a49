"""Hostile and unhelpful servers: Retry-After, XXE feeds, broken feeds, private addresses.

A tiny stdlib server on 127.0.0.1 (port 0) serves exactly the documents each case
needs and records when each request arrived.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_newswatch

from newswatch.fixtures import FixtureSites

BASES = {"m31": "http://127.0.0.1:1", "westjournal": "http://127.0.0.1:2",
         "analysis": "http://127.0.0.1:3"}
ARTICLES = ["/analysis/why-central-banks-cut-slowly.html",
            "/analysis/container-freight-rates-and-prices.html",
            "/analysis/firm-friendship-pyongyang-moscow-relations.html"]


class Site:
    """Routes -> (status, headers, body); every request logged with its arrival time."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.log: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.log.append((self.path, time.monotonic()))
                    answers = site.routes.get(self.path) or [(404, {}, b"not here")]
                    status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8",
                                    "Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def article(self, path: str, source_path: str, *first: tuple[int, dict[str, str]]) -> None:
        body = FixtureSites().render("analysis", source_path, 0, BASES).body
        self.routes[path] = [(s, h, b"busy") for s, h in first] + [(200, {}, body)]

    def xml(self, path: str, text: str) -> None:
        self.routes[path] = [(200, {"Content-Type": "application/xml"}, text.encode())]

    def requested(self, path: str) -> list[float]:
        return [t for p, t in self.log if p == path]


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def rss(*links: str, doctype: str = "", title: str = "t") -> str:
    items = "".join(f"<item><title>{title}</title><link>{link}</link></item>" for link in links)
    return f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel>{items}</channel></rss>'


def test_retry_after_is_honoured(site: Site, write_config: Callable[..., Path]) -> None:
    site.article("/a/", ARTICLES[0], (429, {"Retry-After": "2"}))
    site.article("/b/", ARTICLES[1], (503, {"Retry-After": "1"}))
    config = write_config({"polite": {"urls": [site.base + "/a/", site.base + "/b/"],
                                      "retries": 1}})
    proc = run_newswatch(config, "crawl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(proc.stdout)["polite"]
    assert (counts["new"], counts["errors"], counts["retry-after"]) == (2, 0, 2)
    a_first, a_retry = site.requested("/a/")
    b_first, b_retry = site.requested("/b/")
    # the backoff alone would wait ~1 s: these waits come from the servers' Retry-After
    assert a_retry - a_first >= 1.9
    assert b_retry - b_first >= 0.9


def test_xxe_feed_reads_no_file_fetches_no_dtd_and_does_not_hang(
        site: Site, write_config: Callable[..., Path], tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doctype = (f'<!DOCTYPE rss SYSTEM "{site.base}/evil.dtd" ['
               f'<!ENTITY xxe SYSTEM "file://{secret}">'
               f'<!ENTITY ext SYSTEM "{site.base}/ext-entity">]>')
    site.xml("/feed.xml", rss("&xxe;", f"{site.base}/&ext;", site.base + "/b/",
                              doctype=doctype, title="&xxe;"))
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    site.xml("/bomb.xml", rss(site.base + "/c/", doctype=f'<!DOCTYPE rss [<!ENTITY l0 "lol">'
                              f'{laughs}]>', title="&l9;"))
    site.article("/b/", ARTICLES[1])
    config = write_config({"xxe": {"feed": [site.base + "/feed.xml", site.base + "/bomb.xml"]}})
    started = time.monotonic()
    proc = run_newswatch(config, "crawl", "--json", timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(proc.stdout)["xxe"]
    assert counts["new"] == 1  # the harmless item still counts
    assert counts["errors/malformed-feed"] == 1  # the bomb: refused, not expanded
    paths = [p for p, _ in site.log]
    assert "/evil.dtd" not in paths and "/ext-entity" not in paths
    assert not [p for p in paths if "TOP-SECRET" in p or "%" in p]
    con = sqlite3.connect(config.parent / "data" / "newswatch.db")
    stored = " ".join(u for (u,) in con.execute("SELECT url FROM pages"))
    assert "TOP-SECRET" not in stored


def test_malformed_feeds_are_counted_and_recovered_items_still_fetched(
        site: Site, write_config: Callable[..., Path]) -> None:
    site.xml("/broken.xml", rss(site.base + "/a/")[:-len("</channel></rss>")] + "<item><link>")
    site.routes["/notxml"] = [(200, {}, b"<html><body>Just a web page</body></html>")]
    site.article("/a/", ARTICLES[0])
    config = write_config({"broken": {"feed": [site.base + "/broken.xml",
                                                site.base + "/notxml"]}})
    proc = run_newswatch(config, "crawl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(proc.stdout)["broken"]
    assert counts["errors/malformed-feed"] == 1 and counts["recovered-xml"] == 1
    assert counts["new"] == 1 and counts["status"] == "partial"


def test_links_and_redirects_to_private_addresses_are_refused(
        site: Site, write_config: Callable[..., Path]) -> None:
    site.xml("/feed.xml", rss("http://10.0.0.7/x/", "http://[::1]:9/y/", "file:///etc/passwd",
                              site.base + "/redirect/"))
    site.routes["/redirect/"] = [(302, {"Location": "http://169.254.169.254/latest/"}, b"")]
    config = write_config({"local": {"feed": [site.base + "/feed.xml"]}})
    proc = run_newswatch(config, "crawl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(proc.stdout)["local"]
    # configured on 127.0.0.1: that address is allowed, the other private ones are not
    assert counts["errors/refused"] == 3  # 10.0.0.7, ::1, and the redirect's target
    assert "/redirect/" in [p for p, _ in site.log]
