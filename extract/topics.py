"""Topic matching with SQLite FTS5 itself, so a query means exactly what it means in the store.

A topic's query is FTS5 query syntax; the store's FTS5 table indexes `title` and `text`
with the default unicode61 tokenizer. Re-implementing FTS5 (phrases, NEAR, column filters,
prefix queries, diacritics folding) would drift from it, so `TopicMatcher` keeps an
in-memory FTS5 table with the same columns and tokenizer, puts the one article in it and
runs every query: the answer is the one a Datasette search of the stored article gives.

    >>> TopicMatcher({"nk-russia": "pyongyang AND moscow"}).match(
    ...     "Talks", "Pyongyang sent envoys to Moscow.")
    ['nk-russia']
"""

from __future__ import annotations

import sqlite3
import threading

from newswatch.config import check_fts_query

# same columns and tokenizer as the store's FTS5 index (default: unicode61)
FTS_TABLE_SQL = "CREATE VIRTUAL TABLE doc USING fts5(title, text)"


class TopicMatcher:
    """Which configured topics an article matches. Safe to share between threads."""

    def __init__(self, queries: dict[str, str]) -> None:
        for name, query in queries.items():
            check_fts_query(query, section=f"[topics.{name}]")  # ConfigError on bad syntax
        self.queries = dict(sorted(queries.items()))
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(FTS_TABLE_SQL)

    def match(self, title: str | None, text: str) -> list[str]:
        """Sorted names of the topics whose query matches; [] when no topic is configured."""
        if not self.queries:
            return []
        with self._lock:
            db = self._db
            try:
                db.execute("INSERT INTO doc(rowid, title, text) VALUES (1, ?, ?)",
                           (title or "", text or ""))
                return [name for name, query in self.queries.items()
                        if db.execute("SELECT 1 FROM doc WHERE doc MATCH ?", (query,)).fetchone()]
            finally:
                db.execute("DELETE FROM doc")

    def matches(self, article: object) -> list[str]:
        """`match` for anything with `title` and `text` attributes (an Article)."""
        return self.match(getattr(article, "title", None), getattr(article, "text", ""))

    def close(self) -> None:
        self._db.close()
