"""Each source's state as `newswatch sources` shows it: health, last run, next run.

Read-only and forgiving: a store that does not exist yet means every source is
"never run" (and no file is created); a store from before a migration lacks some
columns, which then read as None.  Configured sources come first, in order of
concern (failing, silent, ok, never run); sources only the store knows follow,
marked not configured.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from store.db import connect
from store.health import COUNT_KEYS
from store.revisit import parse_iso

NEVER_RUN = "new"  # the health of a source with no finished run
HEALTH_ORDER = ("failing", "silent", "ok", NEVER_RUN)  # most worrying first
SOURCE_COLUMNS = ("name", "last_run_at", "last_ok_at", "failures", "health", "last_error",
                  "next_run_at", "last_duration_s")
RUN_COLUMNS = ("source", "status", *COUNT_KEYS, "reason", "started_at", "finished_at")


@dataclass(frozen=True)
class LastRun:
    """The latest finished run of a source (a `runs` row)."""

    status: str | None
    fetched: int
    new: int
    updated: int
    unchanged: int
    duplicates: int
    errors: int
    reason: str | None
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class SourceState:
    name: str
    configured: bool
    every: str | None  # the configured cadence; None when not configured
    health: str  # failing, silent, ok, or "new" (never run)
    failures: int  # consecutive failed runs
    last_run_at: str | None
    last_ok_at: str | None
    last_duration_s: float | None
    next_run_at: str | None
    last_error: str | None
    running_since: str | None  # start of a run in progress, if any
    last_run: LastRun | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pid_alive(pid: int) -> bool:
    """Whether a process exists (one of another user counts: it is running)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def source_states(db_path: str | os.PathLike[str], configured: Mapping[str, str], *,
                  alive: Callable[[int], bool] = pid_alive) -> list[SourceState]:
    """Every configured source (name -> every) and every source the store knows, in order
    of concern. `alive` tells a run in progress from one whose process died (that run is
    not shown as running; the next daemon start closes it as interrupted).

    Raises sqlite3.DatabaseError when db_path exists but is not an SQLite database."""
    rows: dict[str, dict[str, Any]] = {}
    last_runs: dict[str, LastRun] = {}
    running: dict[str, str] = {}
    if Path(db_path).exists():
        conn = connect(db_path, read_only=True)
        try:
            conn.execute("BEGIN")  # one snapshot, whatever the daemon writes meanwhile
            rows = _source_rows(conn)
            last_runs = _last_runs(conn)
            running = _running(conn, alive)
            conn.execute("COMMIT")
        finally:
            conn.close()
    states = [_state(name, every, rows.get(name), last_runs.get(name), running.get(name))
              for name, every in configured.items()]
    known = sorted((set(rows) | set(last_runs) | set(running)) - set(configured))
    states.sort(key=lambda s: (_rank(s.health), -s.failures, s.name))
    return states + [_state(name, None, rows.get(name), last_runs.get(name), running.get(name))
                     for name in known]


def _rank(health: str) -> int:
    return HEALTH_ORDER.index(health) if health in HEALTH_ORDER else len(HEALTH_ORDER)


def _columns(conn: sqlite3.Connection, table: str, wanted: tuple[str, ...]) -> list[str]:
    """The wanted columns the table has (none when the table does not exist)."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return [name for name in wanted if name in have]


def _select(conn: sqlite3.Connection, table: str, wanted: tuple[str, ...],
            rest: str = "") -> list[dict[str, Any]]:
    columns = _columns(conn, table, wanted)
    if not columns:
        return []
    sql = f"SELECT {', '.join(columns)} FROM {table} {rest}"
    return [{name: row[name] for name in columns} for row in conn.execute(sql)]


def _source_rows(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in _select(conn, "sources", SOURCE_COLUMNS)
            if "name" in row}


def _last_runs(conn: sqlite3.Connection) -> dict[str, LastRun]:
    if not {"id", "source", "finished_at"} <= set(_columns(conn, "runs", ("id", *RUN_COLUMNS))):
        return {}
    rows = _select(conn, "runs", RUN_COLUMNS, "WHERE id IN (SELECT max(id) FROM runs"
                   " WHERE finished_at IS NOT NULL GROUP BY source)")
    return {row["source"]: LastRun(
        status=row.get("status"), reason=row.get("reason"), started_at=row.get("started_at"),
        finished_at=row.get("finished_at"), **{key: int(row.get(key) or 0) for key in COUNT_KEYS},
    ) for row in rows}


def _running(conn: sqlite3.Connection, alive: Callable[[int], bool]) -> dict[str, str]:
    """source -> start of its earliest run in progress (a run whose process is gone is not)."""
    columns = _columns(conn, "runs", ("source", "started_at", "finished_at", "pid"))
    if len(columns) < 3:
        return {}
    pid = "pid" if "pid" in columns else "NULL AS pid"
    since: dict[str, str] = {}
    for row in conn.execute(f"SELECT source, started_at, {pid} FROM runs"
                            " WHERE finished_at IS NULL ORDER BY id"):
        if row["pid"] is None or alive(int(row["pid"])):
            since.setdefault(row["source"], row["started_at"])
    return since


def _state(name: str, every: str | None, row: dict[str, Any] | None, last: LastRun | None,
           running_since: str | None) -> SourceState:
    row = row or {}
    last_run_at = row.get("last_run_at") or (last.finished_at if last else None)
    duration = row.get("last_duration_s")
    if duration is None and last is not None:
        duration = _seconds_between(last.started_at, last.finished_at)
    health = row.get("health") or "ok"
    return SourceState(
        name=name, configured=every is not None, every=every,
        health=health if last_run_at else NEVER_RUN,
        failures=int(row.get("failures") or 0), last_run_at=last_run_at,
        last_ok_at=row.get("last_ok_at"),
        last_duration_s=float(duration) if duration is not None else None,
        next_run_at=row.get("next_run_at"), last_error=row.get("last_error"),
        running_since=running_since, last_run=last,
    )


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return max(0.0, (parse_iso(end) - parse_iso(start)).total_seconds())
    except ValueError:
        return None


@dataclass(frozen=True)
class NotifyState:
    """One notification URL (`notify_targets`), its secrets masked."""

    channel: str
    target: str
    configured: bool  # its [notify.NAME] block is in the config
    health: str  # ok or failing
    failures: int  # failed attempts in a row
    unsent: int  # deliveries waiting (pending, or failed and to be retried)
    last_ok_at: str | None
    last_error: str | None
    next_attempt_at: str | None  # no attempt before this (backoff), if held back

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def notify_states(db_path: str | os.PathLike[str], channels: set[str]) -> list[NotifyState]:
    """Every notification URL the store knows, failing first (none before the first
    delivery; a store from before m005 has none)."""
    if not Path(db_path).exists():
        return []
    conn = connect(db_path, read_only=True)
    try:
        if not _columns(conn, "notify_targets", ("channel",)):
            return []
        rows = conn.execute(
            "SELECT t.*, (SELECT count(*) FROM deliveries d WHERE d.channel = t.channel"
            " AND d.url_key = t.url_key AND d.status != 'sent') AS unsent"
            " FROM notify_targets t ORDER BY t.health = 'ok', t.channel, t.target").fetchall()
    finally:
        conn.close()
    return [NotifyState(channel=row["channel"], target=row["target"],
                        configured=row["channel"] in channels, health=row["health"],
                        failures=int(row["failures"]), unsent=int(row["unsent"]),
                        last_ok_at=row["last_ok_at"], last_error=row["last_error"],
                        next_attempt_at=row["hold_until"]) for row in rows]
