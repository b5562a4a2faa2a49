"""`runs` and `sources` bookkeeping: one row per ingest run, health per source."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from store import events
from store.health import COUNT_KEYS, RunTally, next_health, run_status


def start(conn: sqlite3.Connection, source: str, now: str) -> int:
    conn.execute("INSERT OR IGNORE INTO sources (name) VALUES (?)", (source,))
    cursor = conn.execute("INSERT INTO runs (source, started_at) VALUES (?, ?)", (source, now))
    return int(cursor.lastrowid or 0)


def finish(conn: sqlite3.Connection, run_id: int, counts: dict[str, int], status: str | None,
           tally: RunTally, now: datetime, stamp: str) -> tuple[str, dict[str, Any] | None]:
    """Close a run; returns its status and the source_failed/recovered event, if any."""
    run = conn.execute("SELECT source, status FROM runs WHERE id = ?", (run_id,)).fetchone()
    if run is None:
        raise ValueError(f"no run {run_id}")
    source = run["source"]
    previous = conn.execute(
        "SELECT articles FROM runs WHERE source = ? AND id < ? AND status IN ('ok', 'partial')"
        " ORDER BY id DESC LIMIT 1", (source, run_id)).fetchone()
    computed, reason = run_status(counts, tally, previous["articles"] if previous else None)
    if status is None:
        status = computed
    elif status not in ("ok", "failed", "partial"):
        raise ValueError(f"bad run status {status!r}")
    values = [int(counts.get(key, 0)) for key in COUNT_KEYS]
    conn.execute(
        "UPDATE runs SET finished_at = ?, status = ?, fetched = ?, new = ?, updated = ?,"
        " unchanged = ?, duplicates = ?, errors = ?, articles = ?, not_articles = ?, reason = ?"
        " WHERE id = ?",
        (stamp, status, *values, tally.articles, tally.not_articles, reason, run_id))
    failures = conn.execute("SELECT failures FROM sources WHERE name = ?",
                            (source,)).fetchone()["failures"]
    health = next_health(status, failures, _quiet_for(conn, source, now))
    conn.execute(
        "UPDATE sources SET last_run_at = ?, failures = ?, health = ?,"
        " last_ok_at = CASE WHEN ? = 'failed' THEN last_ok_at ELSE ? END,"
        " last_error = CASE WHEN ? = 'failed' THEN ? ELSE NULL END WHERE name = ?",
        (stamp, health.failures, health.health, status, stamp, status, reason, source))
    if health.event is None:
        return status, None
    detail = {"run_id": run_id, "reason": reason or status, "failures": health.failures}
    return status, events.insert(conn, at=stamp, kind=health.event, source=source,
                                 detail=detail)


def _quiet_for(conn: sqlite3.Connection, source: str, now: datetime) -> timedelta | None:
    """Time since the source last brought a story URL (or since its first run)."""
    row = conn.execute("SELECT max(first_seen) FROM article_urls WHERE source = ?",
                       (source,)).fetchone()
    since = row[0]
    if since is None:
        since = conn.execute("SELECT min(started_at) FROM runs WHERE source = ?",
                             (source,)).fetchone()[0]
    if since is None:
        return None
    return now - datetime.fromisoformat(since.replace("Z", "+00:00"))
