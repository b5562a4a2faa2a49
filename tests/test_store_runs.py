"""Runs and source health: statuses, consecutive failures, source_failed once,
source_recovered, silent sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_store_support import NK, event_kinds, ingest, open_store, page_html, raw

from extract.record import Extraction
from store import Store
from store.health import RunTally, next_health, run_status


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 2, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(("counts", "tally", "previous", "status"), [
    ({"fetched": 10}, RunTally(articles=4, not_articles=6), 4, "ok"),
    ({"fetched": 0, "errors": 3}, RunTally(), 4, "failed"),
    ({"fetched": 3, "errors": 3}, RunTally(), 4, "failed"),
    ({"fetched": 10, "errors": 2}, RunTally(articles=5), 4, "partial"),
    ({"fetched": 5}, RunTally(not_articles=5), 4, "failed"),  # redesign: no articles any more
    ({"fetched": 5}, RunTally(not_articles=5), None, "ok"),  # never had any
    ({"fetched": 5}, RunTally(not_articles=1, unchanged=4), 4, "ok"),  # 304s: nothing to read
    ({}, RunTally(), 4, "ok"),
])
def test_run_status(counts: dict[str, int], tally: RunTally, previous: int | None,
                    status: str) -> None:
    assert run_status(counts, tally, previous)[0] == status


def test_health_transitions() -> None:
    assert next_health("failed", 0, None).event == "source_failed"
    assert next_health("failed", 1, None) == next_health("failed", 1, None)
    assert next_health("failed", 1, None).event is None
    assert next_health("failed", 1, None).failures == 2
    assert next_health("partial", 2, timedelta(0)).event == "source_recovered"
    assert next_health("ok", 0, timedelta(days=8)).health == "silent"
    assert next_health("ok", 0, timedelta(days=1)).health == "ok"


def source_row(store: Store, name: str) -> tuple[object, ...]:
    row = store.conn.execute("SELECT failures, health FROM sources WHERE name = ?",
                             (name,)).fetchone()
    return tuple(row)


def test_source_failed_once_then_recovered(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    first = store.start_run("a")
    ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
    assert store.finish_run(first, {"fetched": 1, "new": 1}) == "ok"
    for _ in range(3):
        run = store.start_run("a")
        assert store.finish_run(run, {"fetched": 0, "errors": 4}) == "failed"
    assert source_row(store, "a") == (3, "failing")
    run = store.start_run("a")
    assert store.finish_run(run, {"fetched": 5, "errors": 1}) == "partial"
    assert source_row(store, "a") == (0, "ok")
    assert [kind for kind, _ in event_kinds(store)] == ["new", "source_failed",
                                                       "source_recovered"]
    failed = store.conn.execute("SELECT source, detail FROM events WHERE kind ="
                                " 'source_failed'").fetchone()
    assert failed["source"] == "a" and "nothing fetched" in failed["detail"]
    runs = store.conn.execute("SELECT status, fetched, errors, articles, finished_at"
                              " FROM runs ORDER BY id").fetchall()
    assert [r["status"] for r in runs] == ["ok", "failed", "failed", "failed", "partial"]
    assert runs[0]["articles"] == 1 and all(r["finished_at"] for r in runs)


def test_zero_articles_where_there_used_to_be_some_fails(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    run = store.start_run("a")
    ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
    store.finish_run(run, {"fetched": 1})
    run = store.start_run("a")
    store.ingest(raw("http://a.test/2024/10/troops/", b"<html>blocked</html>"),
                 Extraction(None, "too little text"))
    assert store.finish_run(run, {"fetched": 1}) == "failed"
    assert source_row(store, "a") == (1, "failing")


def test_a_source_with_no_new_story_for_a_week_is_silent(tmp_path: Path) -> None:
    clock = Clock()
    store = open_store(tmp_path, clock=clock)
    run = store.start_run("a")
    ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
    store.finish_run(run, {"fetched": 1})
    clock.now += timedelta(days=8)
    run = store.start_run("a")
    store.finish_run(run, {"fetched": 1, "unchanged": 1})
    assert source_row(store, "a") == (0, "silent")
    assert [kind for kind, _ in event_kinds(store)] == ["new"]


def test_explicit_status_and_bad_status(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    run = store.start_run("a")
    assert store.finish_run(run, {"fetched": 9}, status="failed") == "failed"
    with pytest.raises(ValueError):
        store.finish_run(store.start_run("a"), {}, status="meh")
