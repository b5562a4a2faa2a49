"""Event formats (SPEC's log lines), the events logger, and the JSON-lines log staying in
step with the events table across crashes."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from test_store_support import NK, ingest, open_store, page_html

from store import events
from store.schema import INITIAL


def test_log_lines_have_spec_format() -> None:
    new = {"kind": "new", "topics": ["nk-russia"], "source": "m31",
           "title": "North Korea Justifies Potential Troop Deployment to Russia",
           "url": "https://m31globalnews.com/x/", "detail": {}}
    assert events.format_line(new) == (
        "NEW      [nk-russia] m31  North Korea Justifies Potential Troop Deployment to Russia"
        "  https://m31globalnews.com/x/")
    updated = {**new, "kind": "updated", "detail": {"summary": "v2: +2 -0 paragraphs"}}
    assert events.format_line(updated) == (
        "UPDATED  [nk-russia] m31  North Korea Justifies Potential Troop Deployment to Russia"
        "  v2: +2 -0 paragraphs  https://m31globalnews.com/x/")
    duplicate = {**new, "kind": "duplicate", "url": "https://wj.com/y/",
                 "detail": {"original_url": "https://m31globalnews.com/x/", "similarity": 0.9}}
    assert events.format_line(duplicate).startswith("DUPLICATE [nk-russia] m31  North")
    assert "copy of https://m31globalnews.com/x/ (0.90)  https://wj.com/y/" in (
        events.format_line(duplicate))
    failed = {"kind": "source_failed", "source": "m31", "topics": [], "title": None,
              "url": None, "detail": {"reason": "nothing fetched, 3 errors"}}
    assert events.format_line(failed) == "SOURCE_FAILED m31  nothing fetched, 3 errors"


def test_events_are_logged_on_the_newswatch_events_logger(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(tmp_path)
    with caplog.at_level(logging.INFO, logger="newswatch.events"):
        ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
    records = [r for r in caplog.records if r.name == "newswatch.events"]
    assert [r.getMessage() for r in records] == [
        "NEW      [nk-russia] a  Troops  http://a.test/2024/10/troops/"]


def _table(tmp_path: Path, ids: list[int]) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute(next(s for s in INITIAL if s.startswith("CREATE TABLE events")))
    for event_id in ids:
        conn.execute("INSERT INTO events (id, at, kind) VALUES (?, 'x', 'new')", (event_id,))
    return conn


def _lines(*ids: int) -> str:
    return "".join(json.dumps({"id": i, "kind": "new"}) + "\n" for i in ids)


def test_reconcile_cuts_lines_of_rolled_back_events_and_partial_lines(tmp_path: Path) -> None:
    conn = _table(tmp_path, [1, 2, 3])
    log = tmp_path / "events.jsonl"
    log.write_text(_lines(1, 2, 3, 4, 5) + '{"id": 6, "ki')
    cut = events.reconcile_log(log, conn)
    assert log.read_text() == _lines(1, 2, 3)
    assert cut == len(_lines(4, 5) + '{"id": 6, "ki')
    assert events.reconcile_log(log, conn) == 0


def test_reconcile_before_an_append_drops_a_phantom_with_a_reused_id(tmp_path: Path) -> None:
    # Event 3's line was written, then the transaction died; id 3 is now being reused.
    conn = _table(tmp_path, [1, 2, 3])
    log = tmp_path / "events.jsonl"
    log.write_text(_lines(1, 2, 3))
    events.append_log(log, conn, [{"id": 3, "kind": "new", "detail": {}}])
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == [1, 2, 3]
    assert json.loads(log.read_text().splitlines()[-1])["detail"] == {}


def test_a_failed_transaction_leaves_no_line(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.events_log is not None
    with pytest.raises(RuntimeError), store.transaction() as pending:
        pending.append(events.insert(store.conn, at="2025-01-01T00:00:00Z", kind="new",
                                     source="a"))
        raise RuntimeError("crash before commit")
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert not store.events_log.exists() or store.events_log.read_text() == ""


def test_opening_the_store_cuts_lines_of_events_that_never_committed(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, "http://a.test/2024/10/troops/", page_html("Troops", NK))
    store.close()
    log = tmp_path / "data" / "events.jsonl"
    good = log.read_text()
    log.write_text(good + _lines(2) + '{"id": 3')  # killed between append and COMMIT
    open_store(tmp_path).close()
    assert log.read_text() == good
