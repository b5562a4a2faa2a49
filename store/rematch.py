"""Stored articles matched again when the configured topics change, silently.

`articles.topics` holds the answer of the topic queries the store was opened with when the
article was stored. The queries (as run, after `stems`) it last matched every article
against are kept in `store_meta`; a store opened with other queries re-matches every
article with one FTS5 search per topic over the whole index (the very search Datasette
runs) and updates the rows whose answer changed. No event is raised: the stories are not
new, only the question asked of them is. (`newswatch topics --since` lists what matches.)
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

META_KEY = "topic_queries"


def recorded_queries(conn: sqlite3.Connection) -> dict[str, str] | None:
    """The queries every stored article was last matched against; None if unknown."""
    row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (META_KEY,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def matching_ids(conn: sqlite3.Connection, query: str) -> list[int]:
    """Ids of the stored articles an FTS5 query matches, as a Datasette raw search finds them."""
    return [row[0] for row in conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (query,))]


def rematch(conn: sqlite3.Connection, queries: dict[str, str]) -> int | None:
    """Match every article against `queries` if they are not those it was matched
    against (inside the caller's transaction, with the full-text index up to date).
    How many articles' topics changed; None when nothing had to be done."""
    queries = dict(sorted(queries.items()))
    if recorded_queries(conn) == queries:
        return None
    names: dict[int, list[str]] = defaultdict(list)
    for name, query in queries.items():
        for article_id in matching_ids(conn, query):
            names[article_id].append(name)
    changed = []
    for article_id, stored, on_topic in conn.execute("SELECT id, topics, on_topic FROM articles"):
        matched = names.get(article_id, [])
        now_on_topic = int(not queries or bool(matched))
        if (matched, now_on_topic) != (json.loads(stored), on_topic):
            changed.append((json.dumps(matched), now_on_topic, article_id))
    conn.executemany("UPDATE articles SET topics = ?, on_topic = ? WHERE id = ?", changed)
    conn.execute("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                 (META_KEY, json.dumps(queries, ensure_ascii=False)))
    return len(changed)
