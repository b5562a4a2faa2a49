"""Re-run extraction over the stored raw bodies, without the network.

After an extractor upgrade or a cleaning change, each article's latest body is
read again.  A text that comes out different becomes a new version marked
`reextracted`, with its diff, and raises no event: the story did not change,
our reading of it did.  Topics are recomputed for every article (a changed
topic configuration takes effect here too).  Each article is written in its own
transaction; extraction itself runs outside it, so a crawler writing to the
same store is held up for milliseconds, not for the whole pass.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from extract.record import Article
from store import bodies
from store.db import Store
from store.decide import Content
from store.versions import add_version


@dataclass
class Summary:
    articles: int = 0
    reextracted: int = 0  # new versions written
    unchanged: int = 0
    not_articles: int = 0  # the extractor now rejects the body: article left as it was
    missing: int = 0  # no stored body to re-read
    topics_changed: int = 0
    pages: int = 0  # other stored page bodies re-read (alias URLs)

    def line(self) -> str:
        return (f"{self.articles} articles re-read: {self.reextracted} new versions"
                f" (re-extracted, no events), {self.unchanged} unchanged,"
                f" {self.not_articles} no longer read as articles, {self.missing} without a"
                f" stored body; topics changed on {self.topics_changed}")


def reextract(store: Store, progress: Callable[[int, int], None] | None = None) -> Summary:
    summary = Summary()
    ids = [row[0] for row in store.conn.execute("SELECT id FROM articles ORDER BY id")]
    for done, article_id in enumerate(ids, 1):
        _article(store, article_id, summary)
        summary.articles += 1
        if progress:
            progress(done, len(ids))
    return summary


def _read(store: Store, body_hash: str | None, url: str | None) -> Article | str:
    """The article a stored body reads as today, else "missing" or "rejected"."""
    with store._lock:
        kept = bodies.get(store.conn, body_hash)
    if kept is None or not url:
        return "missing"
    body, content_type = kept
    return store.extractor(body, url, content_type).article or "rejected"


def _article(store: Store, article_id: int, summary: Summary) -> None:
    conn = store.conn
    with store._lock:
        row = conn.execute(
            "SELECT a.version, a.title, a.text_hash, a.topics, v.body_hash, v.url"
            " FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.version"
            " WHERE a.id = ?", (article_id,)).fetchone()
        others = conn.execute(
            "SELECT url, final_url, body_hash FROM pages WHERE article_id = ?"
            " AND text_hash IS NOT NULL AND body_hash IS NOT NULL", (article_id,)).fetchall()
    if row is None:
        return
    article = _read(store, row["body_hash"], row["url"])
    readings = {}
    for page in others:
        reading = article if page["body_hash"] == row["body_hash"] else _read(
            store, page["body_hash"], page["final_url"] or page["url"])
        if isinstance(reading, Article):
            readings[page["url"]] = (page["body_hash"], reading)
    with store.transaction():
        current = conn.execute("SELECT version FROM articles WHERE id = ?",
                               (article_id,)).fetchone()
        if current is None or current["version"] != row["version"]:
            return  # updated by a crawl meanwhile: that reading is already current
        _write(store, article_id, row, article, summary)
        for url, (body_hash, reading) in readings.items():
            conn.execute("UPDATE pages SET title = ?, text_hash = ? WHERE url = ?"
                         " AND body_hash = ?", (reading.title, reading.text_hash, url, body_hash))
            summary.pages += 1


def _write(store: Store, article_id: int, stored: sqlite3.Row, article: Article | str,
           summary: Summary) -> None:
    conn = store.conn
    if article == "missing":
        summary.missing += 1
    elif not isinstance(article, Article):
        summary.not_articles += 1
    elif not Content(article.title, article.text_hash).same_as(
            Content(stored["title"], stored["text_hash"])):
        add_version(conn, store.topics, article_id, article,
                    (stored["body_hash"], None, None, stored["url"]), store.now(),
                    reextracted=True)
        summary.reextracted += 1
        return
    else:
        summary.unchanged += 1
    text = conn.execute("SELECT title, text FROM articles WHERE id = ?",
                        (article_id,)).fetchone()
    topics = store.topics.match(text["title"], text["text"])
    if topics != json.loads(stored["topics"]):
        conn.execute("UPDATE articles SET topics = ?, on_topic = ? WHERE id = ?",
                     (json.dumps(topics), int(store.topics.on_topic(topics)), article_id))
        summary.topics_changed += 1
