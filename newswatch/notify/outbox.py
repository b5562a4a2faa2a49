"""Delivery bookkeeping in the store: plain functions over one SQLite connection.

The `events` table is the outbox. Each notification URL (`notify_targets`, one row per
channel and URL) keeps a cursor over it; `materialize` turns the events after the
cursor that its channel selects into `deliveries` rows (`pending`) and moves the cursor,
in one transaction, so an event is never skipped and never queued twice. A sender then
`claim`s due rows (a lease: `claimed_by`, `claimed_until`) in a transaction before it
sends, and records the outcome right after (`record_sent` / `record_failed`), so two
processes never send the same row. A process killed between a receiver's acceptance and
the record leaves a claim whose owner is dead: the next sender takes it over and sends
again (the message carries the event id, so the receiver can drop the repeat).

A failed attempt holds the whole URL back (`notify_targets.hold_until`, with backoff):
one attempt per step however many rows wait, other URLs unaffected. FAILING_AFTER
failures in a row mark the URL `failing`; one success makes it `ok` again and sends
what waited at once. Nothing here imports the store package: the daemon's scheduler
process stays small.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newswatch.notify.digest import due_at, period_of
from store.runs import pid_alive

BUSY_TIMEOUT = 30.0  # seconds a write waits for the crawl engine's transaction
BACKOFF = (1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)  # seconds after failure n
FAILING_AFTER = 3  # failed attempts in a row that mark a URL failing
MATERIALIZE_BATCH = 1000  # events read per transaction


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def backoff(failures: int) -> float:
    return float(BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1])


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def ready(path: Path) -> bool:
    """Whether the store exists with the deliveries table (m005 applied)."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                " AND name = 'deliveries'").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def new_owner() -> str:
    """The name a process claims deliveries under: host, pid and a random token."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_gone(owner: str, alive: Callable[[int], bool]) -> bool:
    """A claim of a process of this host that no longer runs is void at once."""
    host, _, rest = owner.partition(":")
    pid, _, _ = rest.partition(":")
    return host == socket.gethostname() and pid.isdigit() and not alive(int(pid))


# -- targets and the cursor -------------------------------------------------------------

def ensure_target(conn: sqlite3.Connection, channel: str, url_key: str, target: str,
                  since: datetime) -> None:
    """Register a URL; a new one starts with the events at or after `since` (the start of
    the process that first sends to it), not the store's whole history."""
    with write(conn):
        conn.execute(
            "INSERT OR IGNORE INTO notify_targets (channel, url_key, target, cursor, created_at)"
            " VALUES (?, ?, ?, coalesce((SELECT max(id) FROM events WHERE at < ?), 0), ?)",
            (channel, url_key, target, iso(since), iso(since)))
        conn.execute("UPDATE notify_targets SET target = ? WHERE channel = ? AND url_key = ?"
                     " AND target != ?", (target, channel, url_key, target))


def cursor(conn: sqlite3.Connection, channel: str, url_key: str) -> int:
    row = conn.execute("SELECT cursor FROM notify_targets WHERE channel = ? AND url_key = ?",
                       (channel, url_key)).fetchone()
    return int(row["cursor"]) if row else 0


def last_event_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


@dataclass(frozen=True)
class Digest:
    seconds: float
    at: str | None


def materialize(conn: sqlite3.Connection, channel: str, url_key: str, target: str,
                selects: Callable[[dict[str, Any]], bool], digest: Digest | None,
                now: datetime) -> int:
    """Queue the selected events after the URL's cursor; returns how many were queued.

    An immediate delivery is due now. A digest delivery joins the period of its event's
    time, and is due at that period's end; if that period's message has already gone
    (or is being sent), it joins the current period instead."""
    queued = 0
    with write(conn):
        after = cursor(conn, channel, url_key)
        rows = conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?",
                            (after, MATERIALIZE_BATCH)).fetchall()
        for row in rows:
            event = _event(row)
            if not selects(event):
                continue
            period, due = None, now
            if digest is not None:
                period, due = _period(conn, channel, url_key, digest, parse_iso(row["at"]), now)
            conn.execute(
                "INSERT OR IGNORE INTO deliveries (event_id, channel, url_key, target, status,"
                " next_attempt_at, digest, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (row["id"], channel, url_key, target, iso(due), period, iso(now)))
            queued += 1
        if rows:
            conn.execute("UPDATE notify_targets SET cursor = ? WHERE channel = ? AND url_key = ?",
                         (rows[-1]["id"], channel, url_key))
    return queued


def _period(conn: sqlite3.Connection, channel: str, url_key: str, digest: Digest,
            at: datetime, now: datetime) -> tuple[str, datetime]:
    start, end = period_of(at, digest.seconds, digest.at)
    if _period_taken(conn, channel, url_key, iso(start)):
        start, end = period_of(now, digest.seconds, digest.at)
    return iso(start), due_at(end)


def _period_taken(conn: sqlite3.Connection, channel: str, url_key: str, period: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM deliveries WHERE channel = ? AND url_key = ? AND digest = ?"
        " AND (status != 'pending' OR attempts > 0 OR claimed_by IS NOT NULL) LIMIT 1",
        (channel, url_key, period)).fetchone() is not None


def _event(row: sqlite3.Row) -> dict[str, Any]:
    event = {key: row[key] for key in row.keys()}  # noqa: SIM118 - sqlite3.Row
    event["topics"] = json.loads(event.get("topics") or "[]")
    event["detail"] = json.loads(event.get("detail") or "{}")
    return event


# -- claiming, sending, recording ---------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One message to send: one event, or one digest period's events."""

    ids: tuple[int, ...]  # deliveries rows
    events: tuple[dict[str, Any], ...]
    digest: str | None  # the period's start (UTC), for a digest


def has_due(conn: sqlite3.Connection, channel: str, url_key: str, now: datetime) -> bool:
    """Whether a claim could find work (read-only: no write lock taken for nothing)."""
    stamp = iso(now)
    return conn.execute(
        "SELECT 1 FROM deliveries WHERE channel = ? AND url_key = ? AND status != 'sent'"
        " AND next_attempt_at <= ? AND NOT EXISTS (SELECT 1 FROM notify_targets t"
        " WHERE t.channel = ? AND t.url_key = ? AND t.hold_until > ?) LIMIT 1",
        (channel, url_key, stamp, channel, url_key, stamp)).fetchone() is not None


def claim(conn: sqlite3.Connection, channel: str, url_key: str, owner: str, now: datetime,
          lease: float, limit: int, alive: Callable[[int], bool] = pid_alive) -> list[Job]:
    """Claim up to `limit` due messages of one URL (none while the URL is held back after
    a failure); a digest period is claimed whole or not at all."""
    stamp = iso(now)
    with write(conn):
        held = conn.execute("SELECT hold_until FROM notify_targets WHERE channel = ? AND"
                            " url_key = ?", (channel, url_key)).fetchone()
        if held is None or (held["hold_until"] and held["hold_until"] > stamp):
            return []
        rows = conn.execute(
            "SELECT d.id AS delivery_id, d.digest, d.claimed_by, d.claimed_until, e.*"
            " FROM deliveries d JOIN events e ON e.id = d.event_id"
            " WHERE d.channel = ? AND d.url_key = ? AND d.status != 'sent'"
            " AND d.next_attempt_at <= ? ORDER BY d.digest, d.event_id LIMIT ?",
            (channel, url_key, stamp, limit * 50)).fetchall()
        groups: dict[str, list[sqlite3.Row]] = {}
        for row in rows:
            key = f"d:{row['digest']}" if row["digest"] else f"e:{row['delivery_id']}"
            groups.setdefault(key, []).append(row)
        jobs: list[Job] = []
        for key, members in groups.items():
            if len(jobs) >= limit:
                break
            if key.startswith("d:"):
                members = _whole_period(conn, channel, url_key, members[0]["digest"])
            if any(_held_by_other(m, stamp, alive) for m in members):
                continue
            jobs.append(Job(tuple(m["delivery_id"] for m in members),
                            tuple(_event(m) for m in members), members[0]["digest"]))
        until = iso(now + timedelta(seconds=lease))
        for job in jobs:
            conn.executemany("UPDATE deliveries SET claimed_by = ?, claimed_until = ?"
                             " WHERE id = ?", [(owner, until, i) for i in job.ids])
    return jobs


def _whole_period(conn: sqlite3.Connection, channel: str, url_key: str,
                  period: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.id AS delivery_id, d.digest, d.claimed_by, d.claimed_until, e.*"
        " FROM deliveries d JOIN events e ON e.id = d.event_id"
        " WHERE d.channel = ? AND d.url_key = ? AND d.digest = ? AND d.status != 'sent'"
        " ORDER BY d.event_id", (channel, url_key, period)).fetchall()


def _held_by_other(row: sqlite3.Row, stamp: str, alive: Callable[[int], bool]) -> bool:
    owner = row["claimed_by"]
    if not owner:
        return False
    if row["claimed_until"] and row["claimed_until"] < stamp:
        return False  # the lease ran out
    return not owner_gone(owner, alive)


def still_mine(conn: sqlite3.Connection, ids: tuple[int, ...], owner: str,
               now: datetime) -> bool:
    """Whether every row is still claimed by `owner` with time left on the lease."""
    marks = ",".join("?" * len(ids))
    row = conn.execute(
        f"SELECT count(*) FROM deliveries WHERE id IN ({marks}) AND claimed_by = ?"
        " AND claimed_until > ? AND status != 'sent'", (*ids, owner, iso(now))).fetchone()
    return int(row[0]) == len(ids)


def record_sent(conn: sqlite3.Connection, channel: str, url_key: str, ids: tuple[int, ...],
                owner: str, now: datetime) -> str | None:
    """Mark the rows sent; returns the URL's health before (to log a recovery)."""
    stamp = iso(now)
    marks = ",".join("?" * len(ids))
    with write(conn):
        before = _health(conn, channel, url_key)
        conn.execute(
            "UPDATE deliveries SET status = 'sent', attempts = attempts + 1,"
            " last_attempt_at = ?, sent_at = ?, error = NULL, next_attempt_at = NULL,"
            f" claimed_by = NULL, claimed_until = NULL WHERE id IN ({marks})"
            " AND claimed_by = ?", (stamp, stamp, *ids, owner))
        conn.execute(
            "UPDATE notify_targets SET failures = 0, health = 'ok', hold_until = NULL,"
            " last_ok_at = ?, last_error = NULL WHERE channel = ? AND url_key = ?",
            (stamp, channel, url_key))
        # what waited behind the failures goes now
        conn.execute("UPDATE deliveries SET next_attempt_at = ? WHERE channel = ?"
                     " AND url_key = ? AND status = 'failed' AND next_attempt_at > ?",
                     (stamp, channel, url_key, stamp))
    return before


def record_failed(conn: sqlite3.Connection, channel: str, url_key: str, ids: tuple[int, ...],
                  owner: str, now: datetime, error: str) -> tuple[int, str, datetime]:
    """Mark the rows failed and hold the URL back; returns (failures in a row, health
    after, next attempt)."""
    stamp = iso(now)
    marks = ",".join("?" * len(ids))
    with write(conn):
        row = conn.execute("SELECT failures FROM notify_targets WHERE channel = ? AND"
                           " url_key = ?", (channel, url_key)).fetchone()
        failures = (int(row["failures"]) if row else 0) + 1
        retry = now + timedelta(seconds=backoff(failures))
        conn.execute(
            "UPDATE deliveries SET status = 'failed', attempts = attempts + 1,"
            " last_attempt_at = ?, error = ?, next_attempt_at = ?, claimed_by = NULL,"
            f" claimed_until = NULL WHERE id IN ({marks}) AND claimed_by = ?",
            (stamp, error, iso(retry), *ids, owner))
        health = "failing" if failures >= FAILING_AFTER else (_health(conn, channel, url_key)
                                                              or "ok")
        conn.execute(
            "UPDATE notify_targets SET failures = ?, hold_until = ?, last_error = ?,"
            " health = ? WHERE channel = ? AND url_key = ?",
            (failures, iso(retry), error, health, channel, url_key))
    return failures, health, retry


def release(conn: sqlite3.Connection, ids: tuple[int, ...], owner: str) -> None:
    """Give back claimed rows that were not attempted."""
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    with write(conn):
        conn.execute(f"UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL"
                     f" WHERE id IN ({marks}) AND claimed_by = ?", (*ids, owner))


def _health(conn: sqlite3.Connection, channel: str, url_key: str) -> str | None:
    row = conn.execute("SELECT health FROM notify_targets WHERE channel = ? AND url_key = ?",
                       (channel, url_key)).fetchone()
    return str(row["health"]) if row else None


def unsent(conn: sqlite3.Connection, channel: str, url_key: str) -> int:
    return int(conn.execute("SELECT count(*) FROM deliveries WHERE channel = ? AND url_key = ?"
                            " AND status != 'sent'", (channel, url_key)).fetchone()[0])
