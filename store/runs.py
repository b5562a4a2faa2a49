"""`runs` and `sources` bookkeeping: one row per ingest run, health per source."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from store import events
from store.health import COUNT_KEYS, RunTally, next_health, run_status
from store.revisit import parse_iso

INTERRUPTED = "interrupted: the process running it stopped before the run ended"


def start(conn: sqlite3.Connection, source: str, now: str) -> int:
    conn.execute("INSERT OR IGNORE INTO sources (name) VALUES (?)", (source,))
    cursor = conn.execute("INSERT INTO runs (source, started_at, pid) VALUES (?, ?, ?)",
                          (source, now, os.getpid()))
    return int(cursor.lastrowid or 0)


def close_interrupted(conn: sqlite3.Connection, now: str, alive: Callable[[int], bool],
                      source: str | None = None, before: int | None = None) -> list[str]:
    """Mark the runs whose process died mid-run (SIGKILL, power cut) as ended `partial`,
    reason interrupted (all, or `source`'s runs older than run `before`); returns their
    sources. Runs of live processes are left alone."""
    sql, args = "SELECT id, source, pid FROM runs WHERE finished_at IS NULL", []
    if source is not None:
        sql, args = sql + " AND source = ? AND id < ?", [source, before or 0]
    rows = conn.execute(sql, args).fetchall()
    cut = [row for row in rows if row["pid"] is None or not alive(row["pid"])]
    conn.executemany("UPDATE runs SET finished_at = ?, status = 'partial', reason = ?"
                     " WHERE id = ?", [(now, INTERRUPTED, row["id"]) for row in cut])
    return [row["source"] for row in cut]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def schedule(conn: sqlite3.Connection, due: dict[str, str | None]) -> None:
    """Record each source's next run time (sources.next_run_at)."""
    conn.executemany("INSERT INTO sources (name, next_run_at) VALUES (?, ?) ON CONFLICT(name)"
                     " DO UPDATE SET next_run_at = excluded.next_run_at",
                     [(name, at) for name, at in due.items()])


def finish(conn: sqlite3.Connection, run_id: int, counts: dict[str, int], status: str | None,
           tally: RunTally, now: datetime, stamp: str, duration: float | None = None,
           next_run_at: str | None = None) -> tuple[str, dict[str, Any] | None]:
    """Close a run; returns its status and the source_failed/recovered event, if any."""
    run = conn.execute("SELECT source, status, started_at FROM runs WHERE id = ?",
                       (run_id,)).fetchone()
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
    if duration is None:
        duration = max(0.0, (now - parse_iso(run["started_at"])).total_seconds())
    conn.execute(
        "UPDATE sources SET last_run_at = ?, failures = ?, health = ?, last_duration_s = ?,"
        " next_run_at = coalesce(?, next_run_at),"
        " last_ok_at = CASE WHEN ? = 'failed' THEN last_ok_at ELSE ? END,"
        " last_error = CASE WHEN ? = 'failed' THEN ? ELSE NULL END WHERE name = ?",
        (stamp, health.failures, health.health, round(duration, 3), next_run_at, status, stamp,
         status, reason, source))
    # a run of this source cut by a kill ends now, as the next one does: not earlier,
    # so "a run of every source finished" still means a run really ran
    close_interrupted(conn, stamp, pid_alive, source, run_id)
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
    return now - parse_iso(since)
