"""The `pages` table: the fetch state of every URL, and what it last said.

Besides the conditional-GET fields, an article page remembers the title and
text_hash it was last read as and its last body: an update of that URL is
judged against them (store.decide), not against whichever URL of the story
was read last.
"""

from __future__ import annotations

import sqlite3

from store import bodies
from store.decide import Content
from store.model import PageState, RawPage
from store.revisit import next_check_iso, parse_iso

_STATE_COLUMNS = ("url, source, fetched_at, status, etag, last_modified, body_hash, article_id,"
                  " next_check_at, listed_mark")
STATES_CHUNK = 500  # URLs looked up per query (SQLite's variable limit is far above)


def state(conn: sqlite3.Connection, url: str) -> PageState | None:
    row = conn.execute(f"SELECT {_STATE_COLUMNS} FROM pages WHERE url = ?", (url,)).fetchone()
    return PageState(**dict(row)) if row else None


def states(conn: sqlite3.Connection, urls: list[str]) -> dict[str, PageState]:
    """The state of each of `urls` the store knows, in a few queries."""
    found: dict[str, PageState] = {}
    for i in range(0, len(urls), STATES_CHUNK):
        chunk = urls[i:i + STATES_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {_STATE_COLUMNS} FROM pages WHERE url IN ({marks})",
                                chunk):
            found[row["url"]] = PageState(**dict(row))
    return found


def due(conn: sqlite3.Connection, source: str, now: str, limit: int) -> list[PageState]:
    """Pages of `source` whose revisit time has come, oldest due first."""
    rows = conn.execute(f"SELECT {_STATE_COLUMNS} FROM pages WHERE source = ?"
                        " AND next_check_at IS NOT NULL AND next_check_at <= ?"
                        " ORDER BY next_check_at LIMIT ?", (source, now, limit))
    return [PageState(**dict(row)) for row in rows]


def _schedule(conn: sqlite3.Connection, page: RawPage, now: str) -> None:
    """Set the page's first sighting (once) and its next revisit from it."""
    row = conn.execute("SELECT first_seen FROM pages WHERE url = ?", (page.url,)).fetchone()
    first = (row["first_seen"] if row is not None else None) or now
    conn.execute("UPDATE pages SET first_seen = ?, next_check_at = ?,"
                 " listed_mark = coalesce(?, listed_mark) WHERE url = ?",
                 (first, next_check_iso(first, parse_iso(now), page.revisit), page.listed_mark,
                  page.url))


def memory(conn: sqlite3.Connection, url: str,
           article_id: int) -> tuple[Content, str | None, str] | None:
    """(content, body_hash, url to re-extract the body with) of an article page, or None."""
    row = conn.execute(
        "SELECT title, text_hash, body_hash, final_url FROM pages"
        " WHERE url = ? AND article_id = ? AND text_hash IS NOT NULL",
        (url, article_id)).fetchone()
    if row is None:
        return None
    return Content(row["title"], row["text_hash"]), row["body_hash"], row["final_url"] or url


def remember(conn: sqlite3.Connection, page: RawPage, now: str, *, article_id: int | None,
             content: Content | None, reason: str | None = None,
             keep_body: bool = False, schedule: bool = True) -> None:
    """Record a full fetch of `page`; keep its body when it is the page's new reading.
    `schedule`: the page is revisited on its source's schedule (not a feed or listing,
    which every run asks for)."""
    old = conn.execute("SELECT body_hash FROM pages WHERE url = ?", (page.url,)).fetchone()
    if keep_body:
        bodies.put(conn, page.body_hash, page.body, page.content_type, page.packed)
    conn.execute(
        "INSERT INTO pages (url, source, fetched_at, status, etag, last_modified, body_hash,"
        " article_id, final_url, content_type, title, text_hash, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(url) DO UPDATE SET source = excluded.source,"
        " fetched_at = excluded.fetched_at, status = excluded.status, etag = excluded.etag,"
        " last_modified = excluded.last_modified, body_hash = excluded.body_hash,"
        " article_id = excluded.article_id, final_url = excluded.final_url,"
        " content_type = excluded.content_type, title = excluded.title,"
        " text_hash = excluded.text_hash, reason = excluded.reason",
        (page.url, page.source, page.fetched_at or now, page.status, page.headers.get("etag"),
         page.headers.get("last-modified"), page.body_hash, article_id, page.final_url,
         page.content_type, content.title if content else None,
         content.text_hash if content else None, reason))
    if old is not None and old["body_hash"] != page.body_hash:
        bodies.release(conn, old["body_hash"])
    if schedule:
        _schedule(conn, page, now)


def validate(conn: sqlite3.Connection,
             validators: dict[str, tuple[str | None, str | None]]) -> None:
    """Keep documents' ETag and Last-Modified: {url: (etag, last_modified)}."""
    conn.executemany("UPDATE pages SET etag = ?, last_modified = ? WHERE url = ?",
                     [(etag, modified, url) for url, (etag, modified) in validators.items()])


def touch(conn: sqlite3.Connection, page: RawPage, now: str, *,
          schedule: bool = True) -> int | None:
    """A 304 or a body already seen: refresh the fetch time and validators only (and the
    next revisit, when `schedule`). Returns the page's article id."""
    fetched_at = page.fetched_at or now
    etag, modified = page.headers.get("etag"), page.headers.get("last-modified")
    row = conn.execute("SELECT article_id, first_seen, next_check_at FROM pages WHERE url = ?",
                       (page.url,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO pages (url, source, fetched_at, status, etag, last_modified,"
                     " final_url) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (page.url, page.source, fetched_at, page.status, etag, modified,
                      page.final_url))
        if schedule:
            _schedule(conn, page, now)
        return None
    # A 304 keeps the status of the response it confirms. One statement, schedule
    # included: this is what most requests of a quiet source come to.
    first = (row["first_seen"] or now) if schedule else row["first_seen"]
    due = (next_check_iso(first, parse_iso(now), page.revisit) if schedule
           else row["next_check_at"])
    conn.execute(
        "UPDATE pages SET fetched_at = ?, source = ?, reason = NULL,"
        " status = CASE WHEN ? = 304 THEN status ELSE ? END,"
        " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
        " first_seen = ?, next_check_at = ?,"
        " listed_mark = CASE WHEN ? THEN coalesce(?, listed_mark) ELSE listed_mark END"
        " WHERE url = ?",
        (fetched_at, page.source, page.status, page.status, etag, modified, first, due,
         schedule, page.listed_mark, page.url))
    article_id: int | None = row["article_id"]
    return article_id


def error(conn: sqlite3.Connection, url: str, source: str, status: int | None, reason: str,
          now: str) -> None:
    conn.execute(
        "INSERT INTO pages (url, source, fetched_at, status, reason) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(url) DO UPDATE SET source = excluded.source,"
        " fetched_at = excluded.fetched_at, status = excluded.status, reason = excluded.reason",
        (url, source, now, status, reason))
