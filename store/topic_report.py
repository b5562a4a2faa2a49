"""What a topic query matches in the store: counts per source and language, the newest
titles. `newswatch topics` prints it, to tune a topic against the stories already stored.

    report = topic_report(conn, '北朝鮮* OR 북한*', since=timedelta(days=7))
    report.total, report.by_source, report.by_language, report.newest

The search is the store's own FTS5 index with the query as run, so it is exactly what
Datasette's raw-mode search of `articles` returns, and what re-matching stored articles
(store.rematch) makes of them.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from store.model import iso, utcnow
from store.rematch import matching_ids

NEWEST = 5  # titles shown


@dataclass(frozen=True)
class Hit:
    id: int
    first_seen: str
    source: str
    language: str | None
    title: str | None
    url: str


@dataclass
class TopicReport:
    hits: list[Hit] = field(default_factory=list)  # newest first

    @property
    def total(self) -> int:
        return len(self.hits)

    @property
    def ids(self) -> set[int]:
        return {hit.id for hit in self.hits}

    @property
    def by_source(self) -> list[tuple[str, int]]:
        return sorted(Counter(hit.source for hit in self.hits).items())

    @property
    def by_language(self) -> list[tuple[str, int]]:
        return sorted(Counter(hit.language or "?" for hit in self.hits).items())

    def newest(self, count: int = NEWEST) -> list[Hit]:
        return self.hits[:count]


def topic_report(conn: sqlite3.Connection, query: str, *, since: timedelta | None = None,
                 now: datetime | None = None) -> TopicReport:
    """The stored articles `query` (FTS5, as run) matches; only those first seen in the
    last `since` when given. A bad query raises sqlite3.OperationalError."""
    ids = matching_ids(conn, query)
    cutoff = iso((now or utcnow()) - since) if since is not None else ""
    hits = []
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        rows = conn.execute(
            "SELECT id, first_seen, source, language, title, url FROM articles"
            f" WHERE id IN ({','.join('?' * len(chunk))}) AND first_seen >= ?",
            (*chunk, cutoff))
        hits += [Hit(*row) for row in rows]
    hits.sort(key=lambda hit: (hit.first_seen, hit.id), reverse=True)
    return TopicReport(hits)


def tagged_ids(conn: sqlite3.Connection, topic: str) -> set[int]:
    """Articles the store has tagged with `topic` (its `topics` column)."""
    return {row[0] for row in conn.execute(
        "SELECT id FROM articles WHERE EXISTS"
        " (SELECT 1 FROM json_each(articles.topics) WHERE value = ?)", (topic,))}
