"""Group commits: `Store.batch` (one transaction, a savepoint per write) and the crawler's
`BatchWriter` thread that runs every store call of a crawl inside such batches."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from test_store_support import BANKS, NK, TOPICS, ingest, open_store, page_html, raw

from crawler.writer import BatchWriter
from extract import extract_page
from extract.topics import match_topics, topic_key
from store import Store
from store.db import connect


def _committed_urls(tmp_path: Path) -> list[str]:
    """What another connection (a Datasette reader) sees."""
    reader = connect(tmp_path / "data" / "nw.db", read_only=True)
    try:
        return [r["url"] for r in reader.execute("SELECT url FROM articles ORDER BY id")]
    finally:
        reader.close()


def _log_ids(tmp_path: Path) -> list[int]:
    path = tmp_path / "data" / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]


def test_a_batch_commits_once_and_a_failed_write_in_it_is_undone_alone(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with store.batch():
        ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
        with pytest.raises(RuntimeError), store.transaction():
            store.conn.execute("INSERT INTO sources (name) VALUES ('half-written')")
            raise RuntimeError("the write fails half-way")
        ingest(store, "http://a.test/2024/10/banks/", page_html("Banks", BANKS))
        assert _committed_urls(tmp_path) == []  # nothing visible before the COMMIT
        assert _log_ids(tmp_path) == []  # event lines wait for the COMMIT too
    assert _committed_urls(tmp_path) == ["http://a.test/2024/10/troops/",
                                         "http://a.test/2024/10/banks/"]
    assert store.conn.execute("SELECT count(*) FROM sources WHERE name = 'half-written'"
                              ).fetchone()[0] == 0
    table = [r["id"] for r in store.conn.execute("SELECT id FROM events ORDER BY id")]
    assert table == _log_ids(tmp_path) and len(table) == 1  # the on-topic one: new


def test_a_batch_that_fails_keeps_nothing_and_the_log_stays_in_step(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, "http://a.test/2024/10/first/", page_html("First", NK[:3]))
    with pytest.raises(KeyboardInterrupt), store.batch():
        ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
        raise KeyboardInterrupt  # the process is stopped mid-batch
    assert _committed_urls(tmp_path) == ["http://a.test/2024/10/first/"]
    assert [r["id"] for r in store.conn.execute("SELECT id FROM events")] == _log_ids(tmp_path)
    # and the store goes on working after it
    ingest(store, "http://a.test/2024/10/banks/", page_html("Banks", BANKS))
    assert len(_committed_urls(tmp_path)) == 2


def test_writer_hands_results_out_after_their_commit(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    writer = BatchWriter(store)
    seen_by_reader: list[list[str]] = []
    results = []
    urls = [f"http://a.test/2024/10/story-{i}/" for i in range(20)]
    try:
        for i, url in enumerate(urls):
            words = [" ".join(f"word{i}x{j}y{k}" for k in range(40)) + "." for j in range(3)]
            page = raw(url, page_html(f"Story {i}", words))
            future = writer.submit(store.ingest, page, extract_page(page.body, url))
            future.add_done_callback(lambda _: seen_by_reader.append(_committed_urls(tmp_path)))
            results.append(future)
        failing = writer.submit(lambda: 1 / 0)
        kinds = [f.result(timeout=30).kind for f in results]
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=30)
    finally:
        writer.shutdown()
    assert kinds == ["new"] * 20
    # every callback ran when its own page was already visible to other connections
    assert all(url in seen for url, seen in zip(urls, seen_by_reader, strict=True))
    assert _committed_urls(tmp_path) == urls


def test_writer_shutdown_runs_what_was_submitted(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    writer = BatchWriter(store)
    gate = threading.Event()
    writer.submit(gate.wait, 10)  # the writer is busy while the rest queues up
    futures = [writer.submit(store.start_run, f"s{i}") for i in range(5)]
    gate.set()
    writer.shutdown()
    assert all(f.done() for f in futures)
    assert store.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 5
    with pytest.raises(RuntimeError):
        writer.submit(store.start_run, "late")


def test_topics_matched_elsewhere_are_used_only_for_the_same_queries(tmp_path: Path) -> None:
    store: Store = open_store(tmp_path)
    page = raw("http://a.test/2024/10/banks/", page_html("Banks", BANKS))
    extraction = extract_page(page.body, page.final_url)
    assert extraction.article is not None
    # A worker's answer for these very queries is taken as it is ...
    extraction.topics = match_topics(topic_key(TOPICS), "x", "pyongyang moscow")
    assert store.ingest(page, extraction).topics == ["nk-russia"]
    # ... one for other queries is not: the store matches again.
    weather = ["Heavy rain is expected across the north of the country over the weekend,"
               " with flood warnings in place for several river valleys and coastal towns.",
               "Forecasters said temperatures would stay below the seasonal average until"
               " the middle of next week, when a ridge of high pressure should arrive."]
    other = raw("http://a.test/2024/10/weather/", page_html("Weather", weather))
    extraction = extract_page(other.body, other.final_url)
    extraction.topics = match_topics(topic_key({"nk-russia": "banks"}), "Banks", "banks")
    assert store.ingest(other, extraction).topics == []


def test_sqlite_savepoints_nest_inside_the_batch_transaction(tmp_path: Path) -> None:
    """The batch relies on SAVEPOINT inside BEGIN IMMEDIATE with isolation_level=None."""
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("SAVEPOINT a")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("ROLLBACK TO a")
    conn.execute("RELEASE a")
    conn.execute("INSERT INTO t VALUES (2)")
    conn.execute("COMMIT")
    assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_writer_fails_the_calls_in_hand_when_the_store_stays_locked(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.conn.execute("PRAGMA busy_timeout = 200")  # ms; the store waits 30 s by default
    other = connect(tmp_path / "data" / "nw.db")
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    writer = BatchWriter(store)
    try:
        locked = writer.submit(store.start_run, "a")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            locked.result(timeout=30)  # an error, not a call that never answers
        other.execute("ROLLBACK")
        assert writer.submit(store.start_run, "a").result(timeout=30) >= 1  # and it goes on
    finally:
        other.close()
        writer.shutdown()
