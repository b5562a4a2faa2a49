"""Read-only queries over a store, for the command line (no migrations, no writes)."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from newswatch.exceptions import NewswatchError
from store import events
from store.db import connect
from store.model import iso, utcnow


def open_read_only(db_path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-only connection; a clear error when there is no store yet."""
    path = Path(db_path)
    if not path.exists():
        raise NewswatchError(f"no store at {path} yet: run 'newswatch crawl' first")
    try:
        conn = connect(path, read_only=True)
        conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise NewswatchError(f"{path} is not a newswatch store: {exc}") from None
    return conn


def recent_events(conn: sqlite3.Connection, *, since: timedelta | None = None,
                  topic: str | None = None, limit: int | None = None,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """Events, oldest first: those of the last `since`, on `topic`, the last `limit`."""
    where, params = [], []
    if since is not None:
        where.append("at >= ?")
        params.append(iso((now or utcnow()) - since))
    if topic is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(events.topics) WHERE value = ?)")
        params.append(topic)
    sql = "SELECT * FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = [events.from_row(row) for row in conn.execute(sql, params)]
    rows.reverse()
    return rows
