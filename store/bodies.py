"""Raw response bodies, zlib-compressed and addressed by their sha256.

A body is kept while a `versions` row or a `pages` row points at it: one per
version of each article (what that version was read from) and the latest one
of each article page (what the next update is judged against).  Bodies that
only churned chrome are dropped as soon as a newer fetch replaces them.
"""

from __future__ import annotations

import sqlite3
import zlib

LEVEL = 6  # zlib level: level 1 is 30% faster and 8% larger; bodies are kept for long


def pack(body: bytes) -> bytes:
    """A body as `put` stores it (callable off the writer thread: the crawler's workers)."""
    return zlib.compress(body, LEVEL)


def put(conn: sqlite3.Connection, body_hash: str, body: bytes,
        content_type: str | None, packed: bytes | None = None) -> None:
    """Keep `body` (packed: `pack(body)` if already done) unless it is kept already."""
    if conn.execute("SELECT 1 FROM bodies WHERE hash = ?", (body_hash,)).fetchone():
        return
    conn.execute(
        "INSERT INTO bodies (hash, body, encoding, size, content_type)"
        " VALUES (?, ?, 'zlib', ?, ?)",
        (body_hash, pack(body) if packed is None else packed, len(body), content_type))


def get(conn: sqlite3.Connection, body_hash: str | None) -> tuple[bytes, str | None] | None:
    """(body, content_type) or None when not kept."""
    if not body_hash:
        return None
    row = conn.execute("SELECT body, encoding, content_type FROM bodies WHERE hash = ?",
                       (body_hash,)).fetchone()
    if row is None:
        return None
    data, encoding, content_type = row
    return (zlib.decompress(data) if encoding == "zlib" else bytes(data)), content_type


def release(conn: sqlite3.Connection, body_hash: str | None) -> None:
    """Drop a body nothing points at any more (call after moving the pointers)."""
    if not body_hash:
        return
    conn.execute(
        "DELETE FROM bodies WHERE hash = ?"
        " AND NOT EXISTS (SELECT 1 FROM versions WHERE body_hash = ?)"
        " AND NOT EXISTS (SELECT 1 FROM pages WHERE body_hash = ?)",
        (body_hash, body_hash, body_hash))
