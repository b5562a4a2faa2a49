"""Boilerplate learned by repetition across the stored articles of one site.

Some chrome sits inside the article body as an ordinary paragraph (a site's standard
"Read our editorial standards" line): no structural rule can tell it from text, but it
recurs on every page of the site.  The store knows the site's other pages, so it learns
those paragraphs here and hands them to extraction (`extract_page(boilerplate=...)`),
for new pages and for re-reading kept bodies alike, so both sides of an update check
are read by the same extractor.
"""

from __future__ import annotations

import sqlite3

from extract import learn_boilerplate
from store.model import site_of

SAMPLE_ARTICLES = 40  # most recently seen articles of a site to learn from
SCAN_LIMIT = 2000  # recent articles scanned to find them


def learn(conn: sqlite3.Connection, site: str, now: str) -> frozenset[str]:
    """The site's boilerplate: what was learned before plus what recurs on its stored
    articles now.  New keys are recorded (in the caller's transaction, if any)."""
    known = frozenset(key for (key,) in conn.execute(
        "SELECT key FROM site_boilerplate WHERE site = ?", (site,)))
    fresh = recurring(conn, site) - known
    conn.executemany("INSERT OR IGNORE INTO site_boilerplate (site, key, learned_at)"
                     " VALUES (?, ?, ?)", [(site, key, now) for key in sorted(fresh)])
    return known | fresh


def recurring(conn: sqlite3.Connection, site: str) -> frozenset[str]:
    """Paragraph keys that recur on several stored articles of `site`."""
    # URLs first, texts only for the chosen few: texts are large, URLs are not.
    ids: list[int] = []
    for article_id, url in conn.execute(
            "SELECT id, url FROM articles ORDER BY last_seen DESC LIMIT ?", (SCAN_LIMIT,)):
        if site_of(url) == site:
            ids.append(article_id)
            if len(ids) >= SAMPLE_ARTICLES:
                break
    if not ids:
        return frozenset()
    marks = ",".join("?" * len(ids))
    texts = [text for (text,) in conn.execute(
        f"SELECT text FROM articles WHERE id IN ({marks})", ids) if text]
    return learn_boilerplate(texts)
