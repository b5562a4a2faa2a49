"""The revisit schedule: which known articles a poll asks for again.

Pure rules first (store.revisit, crawler.recheck), then real crawls on 127.0.0.1 with
`newswatch crawl --due` (the daemon's own rule): a young article due for its check is
asked for again, an old one is not, and a changed feed item or a newer sitemap lastmod
brings an article back before its time; a feed answering 304 costs no article request.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import crawl_json, run_newswatch
from pages import article, rss, sitemap
from routeserver import RouteServer

from crawler import recheck
from newswatch.fixture_server import FixtureServer
from store.model import PageState, iso
from store.revisit import DEFAULT_AGES, next_check

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOW = iso(T0)


def test_next_check_walks_the_ages_then_stops() -> None:
    first = T0 - timedelta(minutes=30)
    assert next_check(first, T0) == first + timedelta(hours=1)
    assert next_check(first, T0 + timedelta(hours=2)) == first + timedelta(hours=3)
    assert next_check(first, first + timedelta(days=8)) is None  # the schedule is used up
    assert next_check(first, T0, ()) is None  # revisit = []: only on a sign
    assert DEFAULT_AGES == (3600.0, 10800.0, 43200.0, 86400.0, 259200.0, 604800.0)


def state(next_check_at: str | None = None, mark: str | None = "m1", body: str = "h",
          status: int = 200, fetched_at: str = NOW) -> PageState:
    return PageState(url="http://a/x", source="s", fetched_at=fetched_at, status=status,
                     etag=None, last_modified=None, body_hash=body, article_id=1,
                     next_check_at=next_check_at, listed_mark=mark)


@pytest.mark.parametrize(("page", "lastmod", "mark", "recheck_all", "why"), [
    (None, None, None, False, recheck.NEW),  # never seen
    (state(status=500), None, "m1", False, recheck.NEW),  # only an error kept
    (state(body=""), None, "m1", False, recheck.NEW),
    (state(), T0 + timedelta(minutes=10), "m1", False, recheck.LASTMOD),
    (state(), T0 - timedelta(days=1), "m1", True, recheck.NOT_CHANGED),
    (state(), None, "m1", True, recheck.RECHECK),  # a one-off crawl asks for everything
    (state(), None, "m2", False, recheck.ENTRY_CHANGED),
    (state(next_check_at=iso(T0 - timedelta(seconds=1))), None, "m1", False, recheck.DUE),
    (state(next_check_at=iso(T0 + timedelta(minutes=5))), None, "m1", False, recheck.NOT_DUE),
    (state(next_check_at=None), None, "m1", False, recheck.NOT_DUE),  # old: never again
    (state(next_check_at=None), None, None, False, recheck.NOT_DUE),  # no mark to compare
])
def test_why_fetch(page: PageState | None, lastmod: datetime | None, mark: str | None,
                   recheck_all: bool, why: str) -> None:
    assert recheck.why_fetch(page, lastmod, mark, NOW, recheck_all) == why


# -- real crawls --------------------------------------------------------------------------

@pytest.fixture
def site() -> Iterator[RouteServer]:
    server = RouteServer()
    with server.running():
        yield server


def set_pages(db: Path, updates: dict[str, str | None], column: str = "next_check_at") -> None:
    con = sqlite3.connect(db)
    with con:
        for url, value in updates.items():
            assert con.execute(f"UPDATE pages SET {column} = ? WHERE url = ?",
                               (value, url)).rowcount == 1, url
    con.close()


def article_requests(server: RouteServer) -> set[str]:
    return {path for path in server.log if path.endswith(".html")}


def test_due_young_article_is_rechecked_old_one_not_signs_force_it(
        site: RouteServer, write_config: Callable[..., Path]) -> None:
    titles = {"/a.html": "Alpha", "/b.html": "Bravo", "/c.html": "Charlie"}
    site.add("/feed.xml", rss(site, titles), "application/rss+xml")
    lastmods = {"/d.html": T0 - timedelta(days=30)}
    site.add("/sitemap.xml", sitemap(site, lastmods), "application/xml")
    for n, path in enumerate([*titles, "/d.html"]):
        site.add(path, article(path, n))
    config = write_config({"s": {"feed": [site.url("/feed.xml")],
                                 "sitemap": [site.url("/sitemap.xml")],
                                 "revisit": ["1h", "3h"], "obey_robots": False}})
    db = config.parent / "data" / "newswatch.db"
    assert crawl_json(config)["s"]["new"] == 4
    assert article_requests(site) == {"/a.html", "/b.html", "/c.html", "/d.html"}

    now = datetime.now(UTC)
    young = iso(now - timedelta(minutes=70))
    set_pages(db, {site.url("/a.html"): young}, "first_seen")
    set_pages(db, {site.url("/a.html"): iso(now - timedelta(seconds=5)),  # due now
                   site.url("/b.html"): None,  # old: its schedule is used up
                   site.url("/c.html"): iso(now + timedelta(hours=1)),  # not yet
                   site.url("/d.html"): None})
    titles["/c.html"] = "Charlie, corrected"  # the feed item changed
    site.add("/feed.xml", rss(site, titles), "application/rss+xml")
    lastmods["/d.html"] = now  # the sitemap says it changed
    site.add("/sitemap.xml", sitemap(site, lastmods), "application/xml")
    site.requests.clear()

    proc = run_newswatch(config, "crawl", "--due", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert article_requests(site) == {"/a.html", "/c.html", "/d.html"}

    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT url, next_check_at FROM pages WHERE url LIKE '%.html'"))
    con.close()
    # a's next check follows its age: first seen 70 minutes ago, so the 3h mark
    expected = datetime.fromisoformat(young.replace("Z", "+00:00")) + timedelta(hours=3)
    assert rows[site.url("/a.html")] == iso(expected)
    assert rows[site.url("/b.html")] is None

    # a plain crawl still asks for every listed article (conditionally)
    site.requests.clear()
    crawl_json(config)
    assert {"/a.html", "/b.html", "/c.html"} <= article_requests(site)


def test_a_feed_answering_304_costs_no_article_request(write_config: Callable[..., Path]
                                                       ) -> None:
    with FixtureServer(state=0) as srv:
        config = write_config({"wj": {"feed": [srv.url("westjournal", "/feed/")]}})
        first = crawl_json(config)["wj"]
        assert first["new"] >= 3
        srv.clear_requests()
        proc = run_newswatch(config, "crawl", "--due", "--json")
        assert proc.returncode == 0, proc.stderr[-2000:]
        paths = [r.path for r in srv.requests if r.site == "westjournal"]
    assert [p for p in paths if p != "/robots.txt"] == ["/feed/"]  # 304: nothing else
