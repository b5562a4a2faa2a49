"""A new version of a stored article: the `versions` row, the article row, the index.

Topics are recomputed on every version.  Used both for updates and for silent
re-extracted versions (the story did not change, our reading of it did).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from extract.record import Article
from extract.topics import TopicMatch, TopicMatcher, topic_key
from store import bodies, dedupe
from store.diff import Change, compare, unified


class Topics:
    """The configured topics; with none configured every article is on-topic."""

    def __init__(self, queries: dict[str, str] | None) -> None:
        self.queries = dict(queries or {})
        self.key = topic_key(self.queries)
        self._matcher = TopicMatcher(self.queries) if self.queries else None

    def match(self, title: str | None, text: str, known: TopicMatch | None = None) -> list[str]:
        """Topics of a text; `known` is the answer when it was matched elsewhere against
        these same queries (the crawler's workers do it, off the writer thread)."""
        if known is not None and known.queries == self.key:
            return list(known.names)
        return self._matcher.match(title, text) if self._matcher else []

    def on_topic(self, topics: list[str]) -> bool:
        return not self.queries or bool(topics)

    def close(self) -> None:
        if self._matcher is not None:
            self._matcher.close()


@dataclass(frozen=True)
class NewVersion:
    version: int
    url: str  # the article's canonical URL
    topics: list[str]
    on_topic: bool
    change: Change


def add_version(conn: sqlite3.Connection, topics: Topics, article_id: int, article: Article,
                body: tuple[str, bytes | None, str | None, str | None], now: str, *,
                reextracted: bool, known_topics: TopicMatch | None = None) -> NewVersion:
    """Record `article` as the next version of `article_id`.

    body: (hash, raw bytes or None when already stored, content type, URL it was read from).
    """
    old = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    number = old["version"] + 1
    change = compare(old["title"], old["text"], article.title, article.text, number)
    detail = {**change.detail(), "reextracted": reextracted}
    body_hash, raw, content_type, body_url = body
    if raw is not None:
        bodies.put(conn, body_hash, raw, content_type)
    conn.execute(
        "INSERT INTO versions (article_id, version, seen_at, title, text, text_hash, diff,"
        " detail, reextracted, url, body_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article_id, number, now, article.title, article.text, article.text_hash,
         unified(old["title"], old["text"], article.title, article.text, old["version"], number),
         json.dumps(detail, ensure_ascii=False), int(reextracted), body_url, body_hash))
    matched = topics.match(article.title, article.text, known_topics)
    on_topic = topics.on_topic(matched)
    conn.execute(
        "UPDATE articles SET title = ?, author = coalesce(?, author),"
        " published = coalesce(?, published), modified = coalesce(?, modified),"
        " language = coalesce(?, language), sitename = coalesce(?, sitename), text = ?,"
        " text_hash = ?, last_seen = ?, last_changed = ?, version = ?, topics = ?,"
        " on_topic = ?, tags = ?, signature = ? WHERE id = ?",
        (article.title, article.author, article.published, article.modified, article.language,
         article.sitename, article.text, article.text_hash, now, now, number,
         json.dumps(matched), int(on_topic), json.dumps(article.tags, ensure_ascii=False),
         article.signature, article_id))
    dedupe.remove(conn, article_id, old["signature"])
    dedupe.add(conn, article_id, article.signature)
    return NewVersion(number, old["url"], matched, on_topic, change)
