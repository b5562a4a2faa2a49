"""The full-text index of articles (`articles_fts`), brought up to date at commit.

An article insert only notes the row in `articles_fts_pending` (schema m006): FTS5
writes an index segment at every savepoint release, one per page in the writer's
batches, which made indexing in the insert trigger a quarter of a new page's store
time. Every write transaction of the store indexes what is noted just before COMMIT, in
one statement, so a committed article is always searchable; a row noted by a writer that
does not go through `Store` is indexed by the next store commit or open.
"""

from __future__ import annotations

import sqlite3


def index_pending(conn: sqlite3.Connection) -> int:
    """Index the noted articles (inside the caller's transaction); how many."""
    if conn.execute("SELECT 1 FROM articles_fts_pending LIMIT 1").fetchone() is None:
        return 0
    cursor = conn.execute(
        "INSERT INTO articles_fts (rowid, title, text) SELECT a.id, a.title, a.text"
        " FROM articles_fts_pending p JOIN articles a ON a.id = p.id")
    conn.execute("DELETE FROM articles_fts_pending")
    return cursor.rowcount
