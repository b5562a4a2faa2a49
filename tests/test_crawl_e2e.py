"""End to end: the fixture sites on 127.0.0.1, the real spider and pipeline, a real store.

One `newswatch crawl` (in a subprocess) ingests four sources — a feed, a sitemap index,
a paginated listing and fixed URLs — then a second one re-ingests the unchanged sites.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, crawl_json

from newswatch.fixture_server import FixtureServer, RequestRecord
from newswatch.fixtures import load_expectations

TOPIC = '("north korea" OR pyongyang) AND (russia OR moscow OR putin OR kremlin)'
USER_AGENT = "newswatch-test (+https://example.org/bot)"
ARTICLE = r"/\d{4}/\d{2}/[a-z0-9-]+/$"


@dataclass
class Ingest:
    server: FixtureServer
    db: Path
    first: dict[str, dict[str, Any]]
    first_requests: list[RequestRecord]
    first_events: int
    second: dict[str, dict[str, Any]]
    second_requests: list[RequestRecord]

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


def sources(srv: FixtureServer) -> dict[str, dict[str, Any]]:
    analysis = [e.path for e in load_expectations() if e.site == "analysis" and 0 in e.states]
    return {
        "wjfeed": {"feed": [srv.url("westjournal", "/feed/")]},
        "m31map": {"sitemap": [srv.url("m31", "/sitemap_index.xml")]},
        "m31list": {"start": [srv.url("m31", "/")], "follow": [ARTICLE], "max_pages": 1},
        "pinned": {"urls": [srv.url("analysis", p) for p in analysis]},
        "korss": {"feed": [srv.url("koreanews", "/rss.xml")]},
        "rumap": {"sitemap": [srv.url("rusnews", "/sitemap-index.xml")]},
    }


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    tmp = tmp_path_factory.mktemp("e2e")
    with FixtureServer(state=0) as srv:
        config = tmp / "newswatch.toml"
        config.write_text(config_text(sources(srv), topics={"nk-russia": TOPIC},
                                      defaults={"user_agent": USER_AGENT}))
        first = crawl_json(config)
        first_requests = srv.requests
        srv.clear_requests()
        db = tmp / "data" / "newswatch.db"
        con = sqlite3.connect(db)
        first_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        second = crawl_json(config)
        yield Ingest(srv, db, first, first_requests, first_events, second, srv.requests)


def expected_urls(srv: FixtureServer) -> dict[str, list[str]]:
    """Article URL -> topics, for every article page of state 0 robots.txt lets us read."""
    return {srv.url(e.site, e.path): e.topics for e in load_expectations()
            if 0 in e.states and not e.disallowed}


def test_expected_articles_arrive_each_once(ingest: Ingest) -> None:
    expected = expected_urls(ingest.server)
    stored = [url for (url,) in ingest.rows("SELECT url FROM articles")]
    assert sorted(stored) == sorted(expected)
    assert len(stored) == 13 + 6  # the Korean and Russian sites' three (off-topic) each
    new_events = {url for (url,) in ingest.rows("SELECT url FROM events WHERE kind = 'new'")}
    assert new_events == {url for url, topics in expected.items() if topics}


def test_every_source_counts_its_articles(ingest: Ingest) -> None:
    first = ingest.first
    assert all(s["status"] == "ok" and s["errors"] == 0 for s in first.values()), first
    assert first["wjfeed"]["new"] == 4
    assert first["pinned"]["new"] == 5
    # the sitemap and the listing both lead to m31's four articles: stored once between them
    assert first["m31map"]["new"] + first["m31list"]["new"] == 4
    for name in ("m31map", "m31list"):
        assert first[name]["new"] + first[name]["unchanged"] + first[name]["duplicates"] == 4
    assert first["korss"]["new"] == first["rumap"]["new"] == 3
    assert sum(s["new"] for s in first.values()) == 13 + 6
    assert first["m31list"]["fetched"] == 2 + 4  # home, page 2, four articles
    runs = ingest.rows("SELECT source, status, fetched, new FROM runs ORDER BY id")
    assert {r[0] for r in runs[:6]} == set(first)
    assert all(r[1] == "ok" and r[2] == first[r[0]]["fetched"] for r in runs[:6])


def test_robots_txt_disallow_is_respected(ingest: Ingest) -> None:
    m31 = [r for r in ingest.first_requests if r.site == "m31"]
    assert any(r.path == "/robots.txt" for r in m31)
    assert not [r for r in m31 if r.path.startswith("/preview/")]
    assert ingest.first["m31list"]["skipped/robots"] == 1  # linked from the home page


def test_requests_identify_the_bot(ingest: Ingest) -> None:
    assert {r.headers.get("User-Agent") for r in ingest.first_requests} == {USER_AGENT}


def test_second_ingest_is_conditional_and_extracts_nothing(ingest: Ingest) -> None:
    second = ingest.second
    assert all(s["status"] == "ok" for s in second.values()), second
    for name, counts in second.items():
        assert counts["new"] == counts["updated"] == counts["duplicates"] == 0, name
        assert counts.get("extracted", 0) == 0, name
        assert counts["errors"] == 0, name
    article_paths = {e.path for e in load_expectations() if 0 in e.states}
    article_requests = [r for r in ingest.second_requests if r.path in article_paths]
    assert article_requests
    assert all(r.headers.get("If-None-Match") for r in article_requests)
    assert all(r.status == 304 for r in article_requests)
    assert sum(s["not-modified"] for s in second.values()) == len(article_requests)
    assert second["pinned"]["not-modified"] == second["pinned"]["unchanged"] == 5
    # held pages are re-checked outside Scrapy's pipeline (crawler.quickcheck), all 304s
    assert sum(s.get("quick/304", 0) for s in second.values()) == len(article_requests)
    assert second["pinned"]["quick/304"] == 5
    assert second["wjfeed"]["not-modified"] == 4
    # the sitemap's lastmod shows its pages unchanged: they are not even requested
    assert second["m31map"]["skipped/lastmod"] + second["m31map"]["not-modified"] == 4
    assert ingest.rows("SELECT count(*) FROM events")[0][0] == ingest.first_events
    assert ingest.rows("SELECT count(*) FROM versions WHERE version > 1")[0][0] == 0
