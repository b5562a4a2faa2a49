"""Events: the `events` table, the JSON-lines `events_log` and the `newswatch.events` logger.

The JSON line is appended inside the same transaction that inserts the row,
just before COMMIT, while this process holds SQLite's write lock.  A crash
between the append and the COMMIT leaves a line whose id is not in the table;
`reconcile_log` drops such lines (they can only be at the end of the file)
before anything else is appended, so the log never shows an event the store
does not have, and never the same event twice.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

logger = logging.getLogger("newswatch.events")

EVENT_KINDS = ("new", "updated", "duplicate", "source_failed", "source_recovered")
_TAIL = 1 << 16  # bytes of the log read back to find lines of rolled-back events


def insert(conn: sqlite3.Connection, *, at: str, kind: str, source: str | None,
           article_id: int | None = None, url: str | None = None, title: str | None = None,
           topics: list[str] | None = None, detail: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """Insert one event row (inside the caller's transaction) and return it as a dict."""
    event: dict[str, Any] = {"at": at, "kind": kind, "source": source, "article_id": article_id,
                             "url": url, "title": title, "topics": list(topics or []),
                             "detail": detail or {}}
    cursor = conn.execute(
        "INSERT INTO events (at, kind, source, article_id, url, title, topics, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, kind, source, article_id, url, title, json.dumps(event["topics"]),
         json.dumps(event["detail"], ensure_ascii=False)))
    return {"id": cursor.lastrowid, **event}


def from_row(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    event = dict(row)
    event["topics"] = json.loads(event.get("topics") or "[]")
    event["detail"] = json.loads(event.get("detail") or "{}")
    return event


def format_line(event: dict[str, Any]) -> str:
    """The one-line form used by the logger and `newswatch events`.

    NEW      [nk-russia] m31  North Korea Justifies …  https://…
    UPDATED  [nk-russia] m31  North Korea Justifies …  v2: +2 -0 paragraphs  https://…
    """
    kind = event["kind"].upper().ljust(8) + " "
    topics = event.get("topics") or []
    parts = [kind + (f"[{','.join(topics)}] " if topics else "") + (event.get("source") or "-")]
    if event.get("title"):
        parts.append(event["title"])
    summary = _summary(event)
    if summary:
        parts.append(summary)
    if event.get("url"):
        parts.append(event["url"])
    return "  ".join(parts)


def _summary(event: dict[str, Any]) -> str:
    detail = event.get("detail") or {}
    kind = event["kind"]
    if kind == "updated":
        return str(detail.get("summary", ""))
    if kind == "duplicate":
        sim = detail.get("similarity")
        score = f" ({sim:.2f})" if isinstance(sim, (int, float)) else ""
        return f"copy of {detail.get('original_url', '?')}{score}"
    if kind in ("source_failed", "source_recovered"):
        return str(detail.get("reason", ""))
    return ""


def log(events: list[dict[str, Any]]) -> None:
    """Log committed events on the `newswatch.events` logger."""
    for event in events:
        logger.info("%s", format_line(event))


def to_json(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=False)


def append_log(path: Path | None, conn: sqlite3.Connection,
               events: list[dict[str, Any]]) -> None:
    """Append events to the JSON-lines log; call inside the transaction, before COMMIT."""
    if path is None or not events:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    reconcile_log(path, conn, below=events[0]["id"])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(to_json(event) + "\n" for event in events))
        fh.flush()


def reconcile_log(path: Path, conn: sqlite3.Connection, below: int | None = None) -> int:
    """Cut trailing lines of events that never committed; returns the bytes removed.

    A line is kept if its id is in the table and, when `below` is given, less than
    `below` (the first id the caller is about to write). A partial last line goes too.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if not size:
        return 0
    start = max(0, size - _TAIL)
    with path.open("rb") as fh:
        fh.seek(start)
        tail = fh.read()
    keep = len(tail)
    lines = tail.split(b"\n")
    if not tail.endswith(b"\n"):
        keep -= len(lines[-1])  # a partial line: the writer died mid-append
    for index in range(len(lines) - 2, -1, -1):
        line = lines[index]
        event_id = _line_id(line)
        if event_id is not None and _committed(conn, event_id, below):
            break
        if event_id is None and start > 0 and index == 0:
            break  # the cut-off first line of the tail window
        keep -= len(line) + 1
    cut = len(tail) - keep
    if cut:
        with path.open("r+b") as fh:
            fh.truncate(size - cut)
            os.fsync(fh.fileno())
    return cut


def _line_id(line: bytes) -> int | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    event_id = value.get("id") if isinstance(value, dict) else None
    return event_id if isinstance(event_id, int) else None


def _committed(conn: sqlite3.Connection, event_id: int, below: int | None) -> bool:
    if below is not None and event_id >= below:
        return False
    return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None
