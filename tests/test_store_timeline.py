"""Acceptance: the fixture timeline (state 0 -> 1 -> ... -> 5) through the real extractor
and the store records exactly the events of fixtures/timeline.json.

The crawl is emulated the way the crawler feeds the store (no network): every article
page the sites list (not those behind robots.txt), plus the URL variants the timeline
names, each page rendered with freshly churned chrome; a body already seen goes to
`ingest_unchanged`, any other to extraction and `ingest`. Each state is crawled twice:
the second pass must add nothing.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from extract import extract_page
from extract.canonical import canonicalize_url
from newswatch.fixtures import FIXTURES_DIR, FixtureSites
from store import RawPage, Store

BASES = {"m31": "http://127.0.0.1:18031", "westjournal": "http://127.0.0.1:18032",
         "analysis": "http://127.0.0.1:18033",
         "koreanews": "http://127.0.0.1:18034", "rusnews": "http://127.0.0.1:18035"}
TIMELINE = json.loads((FIXTURES_DIR / "timeline.json").read_text(encoding="utf-8"))


def crawl(store: Store, sites: FixtureSites, state: int, variants: itertools.count[int]) -> None:
    spec = TIMELINE["states"][state]
    for site in sites.names:
        paths = [view.path for view in sites.context(site, state, BASES).articles]
        paths += [entry["path"] for entry in spec.get("no_event", [])
                  if entry["site"] == site and "robots" not in entry["why"]]
        run = store.start_run(site)
        counts: Counter[str] = Counter()
        for path in dict.fromkeys(paths):
            counts.update(fetch(store, sites, site, path, state, next(variants)))
        store.finish_run(run, dict(counts))


def fetch(store: Store, sites: FixtureSites, site: str, path: str, state: int,
          variant: int) -> list[str]:
    url = BASES[site] + path
    response = sites.render(site, path.split("#")[0], state, BASES, variant=variant)
    if response.status != 200:
        store.record_error(url, site, response.status, f"HTTP {response.status}")
        return ["errors"]
    headers = {k.lower(): v for k, v in response.headers.items()}
    page = RawPage(url, url.split("#")[0], response.status, headers, response.body, site)
    known = store.page(url)
    if known is not None and known.body_hash == page.body_hash:
        return ["fetched", store.ingest_unchanged(page).kind]
    result = store.ingest(page, extract_page(page.body, page.final_url,
                                             headers.get("content-type")))
    kind = {"copy": "duplicates", "alias": "unchanged", "not_article": "unchanged"}.get(
        result.kind, result.kind)
    return ["fetched", kind]


def expected(spec: dict[str, Any]) -> Counter[tuple[str, str, tuple[str, ...]]]:
    return Counter((e["kind"], canonicalize_url(BASES[e["site"]] + e["path"]),
                    tuple(e["topics"])) for e in spec["events"])


def recorded(store: Store, after: int) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id", (after,))
    return [{**dict(r), "topics": json.loads(r["topics"]), "detail": json.loads(r["detail"])}
            for r in rows]


def last_event_id(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


def article_id(store: Store, site: str, path: str) -> int:
    row = store.conn.execute("SELECT article_id FROM article_urls WHERE url = ?",
                             (canonicalize_url(BASES[site] + path),)).fetchone()
    assert row is not None, (site, path)
    return int(row[0])


@pytest.fixture(scope="module")
def timeline_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Any]]:
    """The store after the whole timeline, and per state (expected, first pass, second)."""
    root: Path = tmp_path_factory.mktemp("timeline")
    store = Store.open(root / "nw.db", events_log=root / "events.jsonl",
                       topics=TIMELINE["topics"])
    sites = FixtureSites()
    variants = itertools.count(1)
    passes = []
    for spec in TIMELINE["states"]:
        before = last_event_id(store)
        crawl(store, sites, spec["state"], variants)
        middle = last_event_id(store)
        crawl(store, sites, spec["state"], variants)
        passes.append((spec, recorded(store, before)[:middle - before],
                       recorded(store, middle)))
    return store, passes


@pytest.mark.parametrize("state", range(len(TIMELINE["states"])))
def test_each_state_records_exactly_the_expected_events(
        timeline_store: tuple[Store, list[Any]], state: int) -> None:
    _, passes = timeline_store
    spec, first, second = passes[state]
    got = Counter((e["kind"], e["url"], tuple(e["topics"])) for e in first)
    assert got == expected(spec), spec["summary"]
    assert second == [], "a second pass over an unchanged state must record nothing"


def test_the_edit_is_an_update_whose_diff_names_the_added_paragraph(
        timeline_store: tuple[Store, list[Any]]) -> None:
    store, passes = timeline_store
    sites = FixtureSites()
    edited = next(a for a in sites.articles if a.edits)
    edit = edited.edits[0]
    assert edit.text
    (event,) = [e for e in passes[edit.state][1] if e["kind"] == "updated"]
    assert event["detail"]["paragraphs_added"] == 1
    assert event["detail"]["added"][0][:200] == edit.text[:200]
    assert event["detail"]["title_changed"] is True
    diff = store.conn.execute("SELECT diff FROM versions WHERE article_id = ? AND version = 2",
                              (event["article_id"],)).fetchone()[0]
    assert f"+{edit.text}" in diff.splitlines()
    assert "+2 -0" not in event["detail"]["summary"]
    assert event["detail"]["summary"].startswith("v2: +1 -0")


def test_the_syndicated_copy_joins_the_original_story(
        timeline_store: tuple[Store, list[Any]]) -> None:
    store, passes = timeline_store
    for spec, first, _ in passes:
        for want in spec["events"]:
            if want["kind"] != "duplicate":
                continue
            original = article_id(store, want["original"]["site"], want["original"]["path"])
            (event,) = [e for e in first if e["kind"] == "duplicate"]
            assert event["article_id"] == original
            assert article_id(store, want["site"], want["path"]) == original
            relation = store.conn.execute(
                "SELECT relation FROM article_urls WHERE url = ?",
                (canonicalize_url(BASES[want["site"]] + want["path"]),)).fetchone()[0]
            assert relation == "copy"


def test_story_count_tracking_links_and_off_topic_articles(
        timeline_store: tuple[Store, list[Any]]) -> None:
    store, _ = timeline_store
    sites = FixtureSites()
    stories = {(a.site, a.path) for a in sites.articles if not a.copy_of and not a.disallowed}
    assert store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(stories)
    assert store.conn.execute("SELECT count(*) FROM article_urls WHERE url LIKE '%utm_%'"
                              ).fetchone()[0] == 0
    off_topic = {(a.site, a.path) for a in sites.articles
                 if not a.topics and not a.copy_of and not a.disallowed}
    assert off_topic
    for site, path in off_topic:
        row = store.conn.execute("SELECT on_topic FROM articles WHERE id = ?",
                                 (article_id(store, site, path),)).fetchone()
        assert row[0] == 0
    silent = store.conn.execute(
        "SELECT count(*) FROM events e JOIN articles a ON a.id = e.article_id"
        " WHERE a.on_topic = 0").fetchone()[0]
    assert silent == 0
    health = dict(store.conn.execute("SELECT name, health FROM sources").fetchall())
    assert health == {name: "ok" for name in sites.names}


def test_events_log_mirrors_the_events_table(
        timeline_store: tuple[Store, list[Any]]) -> None:
    store, _ = timeline_store
    assert store.events_log is not None
    lines = [json.loads(line) for line in
             store.events_log.read_text(encoding="utf-8").splitlines()]
    assert lines == recorded(store, 0)
