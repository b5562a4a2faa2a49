"""The two ways to run an ingest: `newswatch crawl` and `scrapy crawl news`.

Both reject a bad config the same way (one line, exit status 2) and, run on the same
site, leave the same store behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_newswatch, run_scrapy

from newswatch.fixture_server import FixtureServer


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(("keys", "bad_key"), [
    ({"feed": ["http://127.0.0.1:9/feed/"], "colour": "blue"}, "colour"),
    ({"feed": ["http://127.0.0.1:9/feed/"], "every": "often"}, "every"),
    ({"start": ["http://127.0.0.1:9/"], "follow": ["(unclosed"]}, "follow"),
    ({"feed": ["ftp://127.0.0.1:9/feed/"]}, "feed"),
])
def test_bad_config_is_one_line_and_exit_2(write_config: Callable[..., Path],
                                           keys: dict[str, object], bad_key: str) -> None:
    config = write_config({"broken": keys})
    procs = [run_newswatch(config, "crawl")]
    if bad_key == "colour":  # the same check behind both commands; Scrapy's is slow to start
        procs.append(run_scrapy("crawl", "news", "-a", "source=broken", "-a", f"config={config}"))
    for proc in procs:
        assert proc.returncode == 2, proc.stderr
        line = one_line(proc.stderr)
        assert str(config) in line and "[sources.broken]" in line and f"'{bad_key}'" in line


def test_unknown_or_missing_source_is_exit_2(write_config: Callable[..., Path]) -> None:
    config = write_config({"ok": {"feed": ["http://127.0.0.1:9/feed/"]}})
    proc = run_newswatch(config, "crawl", "nope")
    assert proc.returncode == 2 and "'nope'" in one_line(proc.stderr)
    proc = run_scrapy("crawl", "news", env={"NEWSWATCH_CONFIG": str(config)})
    assert proc.returncode == 2 and "source=NAME" in one_line(proc.stderr)


def test_scrapy_list_shows_the_news_spider() -> None:
    proc = run_scrapy("list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["news"]


STORE_QUERIES = {
    "articles": "SELECT url, source, title, author, published, language, text_hash, version,"
                " topics FROM articles ORDER BY url",
    "article_urls": "SELECT url, relation FROM article_urls ORDER BY url",
    "pages": "SELECT url, source, status, etag, last_modified, body_hash FROM pages"
             " ORDER BY url",
    "events": "SELECT kind, source, url, title, topics FROM events ORDER BY url, kind",
    "runs": "SELECT source, status, fetched, new, updated, unchanged, duplicates, errors"
            " FROM runs",
}


def store_contents(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    try:
        return {table: con.execute(sql).fetchall() for table, sql in STORE_QUERIES.items()}
    finally:
        con.close()


def test_scrapy_crawl_and_newswatch_crawl_store_the_same(
        fixture_server: FixtureServer, write_config: Callable[..., Path]) -> None:
    srv = fixture_server
    sources = {"m31": {"start": [srv.url("m31", "/")], "follow": [r"/\d{4}/\d{2}/[a-z0-9-]+/$"],
                       "sitemap": [srv.url("m31", "/news-sitemap.xml")], "max_pages": 1}}
    topics = {"nk-russia": '"north korea" AND (russia OR moscow)'}
    via_scrapy = write_config(sources, topics=topics, name="a.toml", db="a/nw.db",
                              events_log="a/events.jsonl")
    via_newswatch = write_config(sources, topics=topics, name="b.toml", db="b/nw.db",
                                 events_log="b/events.jsonl")

    proc = run_scrapy("crawl", "news", "-a", "source=m31", env={
        "NEWSWATCH_CONFIG": str(via_scrapy)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'newswatch/new': 4" in proc.stderr  # Scrapy's own stats dump has our outcomes
    proc = run_newswatch(via_newswatch, "crawl", "m31")
    assert proc.returncode == 0, proc.stderr[-3000:]

    a = store_contents(via_scrapy.parent / "a" / "nw.db")
    b = store_contents(via_newswatch.parent / "b" / "nw.db")
    assert len(a["articles"]) == 4 and a["runs"] == [("m31", "ok", 7, 4, 0, 0, 0, 0)]
    assert a == b
    assert (via_scrapy.parent / "a" / "events.jsonl").read_text().count("\n") == len(a["events"])
