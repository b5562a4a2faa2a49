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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from newswatch.config import check_fts_query

TopicQueries = tuple[tuple[str, str], ...]  # (name, FTS5 query) pairs, sorted by name

# same columns and tokenizer as the store's FTS5 index (default: unicode61). Contentless:
# only the index is kept, and 'delete-all' empties it without tokenizing the text again
# as a DELETE from a table with content does (0.07 ms a page instead of 0.38).
FTS_TABLE_SQL = "CREATE VIRTUAL TABLE doc USING fts5(title, text, content='')"


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
                db.execute("INSERT INTO doc(doc) VALUES ('delete-all')")

    def matches(self, article: object) -> list[str]:
        """`match` for anything with `title` and `text` attributes (an Article)."""
        return self.match(getattr(article, "title", None), getattr(article, "text", ""))

    def close(self) -> None:
        self._db.close()


def topic_key(queries: Mapping[str, str]) -> TopicQueries:
    return tuple(sorted(queries.items()))


@dataclass(frozen=True)
class TopicMatch:
    """The topics a text matched, and the queries it was matched against: a store
    configured with other topics can tell the answer is not for it."""

    queries: TopicQueries
    names: tuple[str, ...]


@lru_cache(maxsize=4)
def _matcher(queries: TopicQueries) -> TopicMatcher:
    return TopicMatcher(dict(queries))


def match_topics(queries: TopicQueries, title: str | None, text: str) -> TopicMatch:
    """`TopicMatcher(queries).match(title, text)` with one matcher per process and query
    set (the crawler's extraction workers match topics next to extracting)."""
    names = _matcher(queries).match(title, text) if queries else []
    return TopicMatch(queries, tuple(names))
