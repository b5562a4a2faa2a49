"""The store's schema as recorded sqlite-utils migrations, applied at start-up.

Each migration runs in its own transaction together with its record in
`_sqlite_migrations` (sqlite-utils does both), so a crash mid-migration leaves
the previous schema.  Statements go through `db.execute` one by one: helpers
that use `executescript` would commit the migration's transaction half-way.
Append new migrations at the end; never edit an applied one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from extract.fingerprint import signature
from store.dedupe import rebuild
from store.model import utcnow
from store.revisit import next_check_iso

migrations = Migrations("newswatch")
RESIGN_CHUNK = 1000  # rows rewritten at a time by m003/m004: a big store does not fit in memory

INITIAL = [
    """CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        title TEXT,
        author TEXT,
        published TEXT,
        modified TEXT,
        language TEXT,
        sitename TEXT,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_changed TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        topics TEXT NOT NULL DEFAULT '[]',
        on_topic INTEGER NOT NULL DEFAULT 1,
        tags TEXT NOT NULL DEFAULT '[]',
        signature BLOB
    )""",
    "CREATE INDEX articles_text_hash ON articles(text_hash)",
    "CREATE INDEX articles_source ON articles(source, first_seen)",
    """CREATE TABLE article_urls (
        url TEXT PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        source TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        relation TEXT NOT NULL CHECK (relation IN ('canonical', 'alias', 'copy')),
        similarity REAL
    )""",
    "CREATE INDEX article_urls_article ON article_urls(article_id)",
    "CREATE INDEX article_urls_source ON article_urls(source, first_seen)",
    """CREATE TABLE versions (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        version INTEGER NOT NULL,
        seen_at TEXT NOT NULL,
        title TEXT,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        diff TEXT,
        detail TEXT,
        reextracted INTEGER NOT NULL DEFAULT 0,
        url TEXT,
        body_hash TEXT REFERENCES bodies(hash),
        PRIMARY KEY (article_id, version)
    )""",
    "CREATE INDEX versions_body ON versions(body_hash)",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT,
        article_id INTEGER REFERENCES articles(id),
        url TEXT,
        title TEXT,
        topics TEXT NOT NULL DEFAULT '[]',
        detail TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX events_at ON events(at)",
    "CREATE INDEX events_article ON events(article_id)",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT CHECK (status IN ('ok', 'failed', 'partial')),
        fetched INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        articles INTEGER NOT NULL DEFAULT 0,
        not_articles INTEGER NOT NULL DEFAULT 0,
        reason TEXT
    )""",
    "CREATE INDEX runs_source ON runs(source, id)",
    """CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        last_run_at TEXT,
        last_ok_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        health TEXT NOT NULL DEFAULT 'ok' CHECK (health IN ('ok', 'failing', 'silent')),
        last_error TEXT
    )""",
    """CREATE TABLE pages (
        url TEXT PRIMARY KEY,
        source TEXT,
        fetched_at TEXT,
        status INTEGER,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        article_id INTEGER REFERENCES articles(id),
        final_url TEXT,
        content_type TEXT,
        title TEXT,
        text_hash TEXT,
        reason TEXT
    )""",
    "CREATE INDEX pages_body ON pages(body_hash)",
    "CREATE INDEX pages_article ON pages(article_id)",
    """CREATE TABLE bodies (
        hash TEXT PRIMARY KEY,
        body BLOB NOT NULL,
        encoding TEXT NOT NULL DEFAULT 'zlib',
        size INTEGER NOT NULL,
        content_type TEXT
    )""",
    # Near-duplicate index: one row per LSH band of each article's MinHash
    # signature (see store/dedupe.py).  Kept in SQLite so it commits with the
    # article and a copy syndicated weeks later is still found, with no rebuild.
    """CREATE TABLE signature_bands (
        key INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (key, article_id)
    ) WITHOUT ROWID""",
    # Full-text search, default unicode61 tokenizer (topic matching assumes it).
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content="articles", content_rowid="id"
    )""",
    """CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
]


@migrations()
def m001_initial(db: Database) -> None:
    for statement in INITIAL:
        db.execute(statement)


@migrations()
def m002_site_boilerplate(db: Database) -> None:
    # Paragraphs learned as a site's boilerplate are kept: once stored texts no longer
    # carry them they could not be learned again, and forgetting them would make the
    # extractor's reading of the site flip-flop from run to run.
    db.execute("""CREATE TABLE site_boilerplate (
        site TEXT NOT NULL,
        key TEXT NOT NULL,
        learned_at TEXT NOT NULL,
        PRIMARY KEY (site, key)
    )""")


@migrations()
def m003_signatures_multiply_shift(db: Database) -> None:
    # extract.fingerprint moved from datasketch's SHA-1 MinHash to a numpy multiply-shift
    # MinHash (1.9x faster): old and new signatures are not comparable, so every stored one
    # is computed again from the stored text, and the band index with it.
    conn, last = db.conn, 0
    while rows := conn.execute(
            "SELECT id, text FROM articles WHERE signature IS NOT NULL AND id > ?"
            " ORDER BY id LIMIT ?", (last, RESIGN_CHUNK)).fetchall():
        conn.executemany("UPDATE articles SET signature = ? WHERE id = ?",
                         [(signature(text or ""), article_id) for article_id, text in rows])
        last = rows[-1][0]
    rebuild(conn)


def migrate(db: Database) -> None:
    """Apply every pending migration (each in its own transaction)."""
    migrations.apply(db)


@migrations()
def m004_revisit_schedule(db: Database) -> None:
    # The daemon at scale: a known article is re-requested on its revisit schedule
    # (pages.next_check_at, from pages.first_seen) or when the feed/listing entry that
    # names it changes (pages.listed_mark); sources show their next run and last duration.
    conn = db.conn
    for statement in (
        "ALTER TABLE pages ADD COLUMN first_seen TEXT",
        "ALTER TABLE pages ADD COLUMN next_check_at TEXT",
        "ALTER TABLE pages ADD COLUMN listed_mark TEXT",
        "ALTER TABLE sources ADD COLUMN next_run_at TEXT",
        "ALTER TABLE sources ADD COLUMN last_duration_s REAL",
        "ALTER TABLE runs ADD COLUMN pid INTEGER",  # whose run: a dead pid's run was cut
        "UPDATE pages SET first_seen = coalesce("
        "(SELECT first_seen FROM articles WHERE articles.id = pages.article_id), fetched_at)",
        "CREATE INDEX pages_due ON pages(source, next_check_at)"
        " WHERE next_check_at IS NOT NULL",
    ):
        conn.execute(statement)
    now, last = utcnow(), ""
    # pages already stored follow the default schedule from their first sighting
    while rows := conn.execute(
            "SELECT url, first_seen FROM pages WHERE body_hash IS NOT NULL AND url > ?"
            " AND first_seen IS NOT NULL ORDER BY url LIMIT ?", (last, RESIGN_CHUNK)).fetchall():
        conn.executemany("UPDATE pages SET next_check_at = ? WHERE url = ?",
                         [(next_check_iso(first, now), url) for url, first in rows])
        last = rows[-1][0]


@migrations()
def m005_deliveries(db: Database) -> None:
    # Notifications (newswatch.notify). The events table is the outbox: each notification
    # URL keeps a cursor over it (notify_targets.cursor) and turns the events its channel
    # selects into `deliveries` rows, in the transaction that moves the cursor. A sender
    # claims a row (claimed_by/claimed_until) before sending and records the outcome after.
    conn = db.conn
    for statement in (
        """CREATE TABLE notify_targets (
            channel TEXT NOT NULL,
            url_key TEXT NOT NULL,
            target TEXT NOT NULL,
            cursor INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            health TEXT NOT NULL DEFAULT 'ok' CHECK (health IN ('ok', 'failing')),
            failures INTEGER NOT NULL DEFAULT 0,
            hold_until TEXT,
            last_ok_at TEXT,
            last_error TEXT,
            PRIMARY KEY (channel, url_key)
        )""",
        """CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id),
            channel TEXT NOT NULL,
            url_key TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            next_attempt_at TEXT,
            error TEXT,
            digest TEXT,
            claimed_by TEXT,
            claimed_until TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (event_id, channel, url_key)
        )""",
        "CREATE INDEX deliveries_unsent ON deliveries(channel, url_key, next_attempt_at)"
        " WHERE status != 'sent'",
        "CREATE INDEX deliveries_digest ON deliveries(channel, url_key, digest)"
        " WHERE digest IS NOT NULL",
    ):
        conn.execute(statement)


@migrations()
def m006_fts_indexed_at_commit(db: Database) -> None:
    # Full-text indexing moves from each article insert to the end of the write
    # transaction (store.fts.index_pending): FTS5 writes a new index segment at every
    # savepoint release, and the writer releases one per page, so indexing in the insert
    # trigger cost a quarter of a new page's store time. The insert trigger now only notes
    # the row; update and delete leave a noted (not yet indexed) row to the flush.
    conn = db.conn
    for statement in (
        "CREATE TABLE articles_fts_pending (id INTEGER PRIMARY KEY)",
        "DROP TRIGGER articles_ai",
        "DROP TRIGGER articles_ad",
        "DROP TRIGGER articles_au",
        """CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT OR IGNORE INTO articles_fts_pending (id) VALUES (new.id);
        END""",
        """CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
                SELECT 'delete', old.id, old.title, old.text
                WHERE NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE id = old.id);
            DELETE FROM articles_fts_pending WHERE id = old.id;
        END""",
        """CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles
        WHEN NOT EXISTS (SELECT 1 FROM articles_fts_pending WHERE id = old.id) BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END""",
    ):
        conn.execute(statement)


@migrations()
def m007_store_meta(db: Database) -> None:
    # Facts about the whole store: the topic queries every article's `topics` answers
    # (store.rematch), so a changed query or `stems` re-matches the stored articles.
    db.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
