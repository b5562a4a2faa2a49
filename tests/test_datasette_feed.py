"""The Atom feed per topic: Datasette's `.atom` of the topic_feed canned query
(/newswatch/topic_feed.atom?topic=NAME) and `newswatch feed TOPIC`, validated with
feedparser: one entry per new/updated event on the topic, stable ids, escaped text,
and a valid feed (never a 500) for an empty topic, an unknown one and odd timestamps."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import run_cli
from test_datasette_support import (
    EMPTY_TOPIC,
    EVIL_PARAGRAPH,
    EVIL_TITLE,
    EVIL_URL,
    TOPIC,
    TOPICS,
    A,
    build_store,
    fetch,
)

from store.db import connect
from store.feed import atom_time, render_atom, topic_feed

FEED = "/newswatch/topic_feed.atom?topic="


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    return build_store(tmp_path_factory.mktemp("feed"))


def parse(xml: str | bytes) -> Any:
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def served(store: tuple[Path, int], topic: str) -> tuple[str, Any]:
    status, body, headers = fetch(store[0], FEED + topic)
    assert status == 200, body[:500]
    assert headers["content-type"] == "application/atom+xml; charset=utf-8"
    return body, parse(body)


def expected_events(db: Path, topic: str) -> list[sqlite3.Row]:
    conn = connect(db, read_only=True)
    try:
        return conn.execute(
            "SELECT * FROM events WHERE kind IN ('new', 'updated') AND json_valid(topics)"
            " AND EXISTS (SELECT 1 FROM json_each(topics) WHERE value = ?) ORDER BY id DESC",
            (topic,)).fetchall()
    finally:
        conn.close()


def test_one_entry_per_new_or_updated_event_with_stable_ids(store: tuple[Path, int]) -> None:
    _, feed = served(store, TOPIC)
    events = expected_events(store[0], TOPIC)
    assert [e.id for e in feed.entries] == [f"tag:newswatch,2024:event/{ev['id']}"
                                             for ev in events]
    assert len(events) == 4  # new, updated, and the two inserted ones; not the duplicate
    assert feed.feed.id == "tag:newswatch,2024:topic/nk-russia"
    assert feed.feed.title == "newswatch: nk-russia"
    assert served(store, TOPIC)[1].entries[0].id == feed.entries[0].id  # stable


def test_entries_carry_titles_links_times_and_the_diff_summary(store: tuple[Path, int]) -> None:
    _, feed = served(store, TOPIC)
    by_kind = {e.id.rsplit("/", 1)[1]: e for e in feed.entries}
    updated, new = by_kind["2"], by_kind["1"]
    assert updated.title == f"Updated: {EVIL_TITLE}"
    assert updated.summary == "v2: +2 -1 paragraphs, title changed"
    assert updated.link == A
    related = [link.href for link in updated.links if link.rel == "related"]
    assert related == [f"http://localhost/newswatch/articles/{store[1]}"]
    assert updated.updated_parsed is not None and new.updated_parsed is not None
    assert new.title == "North Korea sends troops to Russia"
    assert [t.term for t in updated.tags] == [TOPIC]


def test_hostile_text_is_escaped_and_javascript_urls_are_not_linked(
        store: tuple[Path, int]) -> None:
    body, feed = served(store, TOPIC)
    assert "<script>" not in body and "<img " not in body
    assert "&lt;script&gt;" in body
    assert 'href="javascript:' not in body
    content = next(e for e in feed.entries if e.id.endswith("/2")).content[0].value
    assert html.escape(EVIL_PARAGRAPH) in content  # feedparser unescaped one level: still text
    js_entry = next(e for e in feed.entries if e.id.endswith("/4"))  # its url: javascript:
    assert [link.href for link in js_entry.links if link.rel == "alternate"] == []
    assert all(EVIL_URL not in link.href for link in js_entry.links)


def test_naive_and_unreadable_timestamps_give_a_valid_feed(store: tuple[Path, int]) -> None:
    _, feed = served(store, TOPIC)
    stamps = {e.id.rsplit("/", 1)[1]: e.updated for e in feed.entries}
    assert stamps["4"] == "2024-10-01T12:00:00Z"  # naive: read as UTC
    assert stamps["5"] == "1970-01-01T00:00:00Z"  # unreadable: the epoch, not a 500
    assert atom_time("2024-10-01T14:00:00+02:00") == "2024-10-01T12:00:00Z"


@pytest.mark.parametrize("topic", [EMPTY_TOPIC, "no-such-topic"])
def test_empty_or_unknown_topic_is_a_valid_empty_feed(store: tuple[Path, int],
                                                      topic: str) -> None:
    _, feed = served(store, topic)
    assert feed.entries == [] and feed.feed.title == f"newswatch: {topic}"
    assert feed.feed.updated_parsed is not None


def test_missing_topic_and_other_queries_are_clear_errors_not_500(
        store: tuple[Path, int]) -> None:
    status, body, _ = fetch(store[0], "/newswatch/topic_feed.atom")
    assert status == 400 and "topic=NAME" in body
    status, body, _ = fetch(store[0], "/newswatch/latest_events.atom")
    assert status == 404 and "topic_feed" in body
    status, body, _ = fetch(store[0], "/newswatch/events.atom")
    assert status == 404


def test_the_query_page_offers_the_atom_link(store: tuple[Path, int]) -> None:
    status, body, _ = fetch(store[0], f"/newswatch/topic_feed?topic={TOPIC}")
    assert status == 200 and f'href="/newswatch/topic_feed.atom?topic={TOPIC}"' in body


def test_render_atom_without_rows_or_links() -> None:
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    feed = parse(render_atom([], "a & b", now=now))
    assert feed.feed.id == "tag:newswatch,2024:topic/a%20%26%20b"
    assert feed.feed.updated == "2024-01-02T03:04:05Z" and feed.entries == []


def test_feed_command_writes_the_same_feed(store: tuple[Path, int],
                                           write_config: Callable[..., Path],
                                           capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    config = write_config({"a": {"urls": ["http://a.test/"]}}, db=str(store[0]), topics=TOPICS)
    code, out, err = run_cli(capsys, "--config", str(config), "feed", TOPIC)
    assert code == 0, err
    from_cli, (_, from_route) = parse(out), served(store, TOPIC)
    assert [(e.id, e.title, e.updated, e.summary, e.link) for e in from_cli.entries] == [
        (e.id, e.title, e.updated, e.summary, e.link) for e in from_route.entries]
    out_file = tmp_path / "site" / "nk.atom"
    code, out, err = run_cli(capsys, "--config", str(config), "feed", TOPIC,
                             "--out", str(out_file))
    assert (code, out) == (0, "") and str(out_file) in err
    conn = connect(store[0], read_only=True)
    try:
        assert out_file.read_bytes().split(b"<entry>")[1:] == \
            topic_feed(conn, TOPIC).split(b"<entry>")[1:]
    finally:
        conn.close()
    assert not [p for p in out_file.parent.iterdir() if p.name != "nk.atom"]  # no temp left


def test_feed_command_empty_and_unknown_topics(store: tuple[Path, int],
                                               write_config: Callable[..., Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config({"a": {"urls": ["http://a.test/"]}}, db=str(store[0]), topics=TOPICS)
    code, out, err = run_cli(capsys, "--config", str(config), "feed", EMPTY_TOPIC)
    assert code == 0 and parse(out).entries == []
    code, out, err = run_cli(capsys, "--config", str(config), "feed", "nk-rusia")
    assert code == 2 and out == ""
    assert "no topic named 'nk-rusia' (configured: arctic, nk-russia)" in err
    assert len(err.strip().splitlines()) == 1
