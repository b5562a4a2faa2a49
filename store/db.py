"""`Store`: the SQLite store of newswatch (connection, transactions, the ingest API).

    store = Store.open("data/newswatch.db", events_log="data/events.jsonl",
                       topics={"nk-russia": "pyongyang AND moscow"})
    run = store.start_run("m31")
    result = store.ingest(raw_page, extract_page(raw_page.body, raw_page.final_url))
    store.finish_run(run, {"fetched": 12, "new": 1, ...})

One connection in WAL mode, so readers (Datasette) never block the writer and
never see half of a write.  Every write is one `BEGIN IMMEDIATE` transaction;
a lock makes the store usable from a thread other than the one that opened it.
Inside `Store.batch()` the writes share one transaction (each still all-or-nothing,
through a savepoint), so a crawl commits a few times a second instead of once per page.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from extract import extract_page
from extract.record import Extraction
from newswatch.exceptions import NewswatchError
from store import bodies, boilerplate, events, fts, ingest, pages, runs
from store.health import RunTally
from store.model import IngestResult, PageState, RawPage, iso, site_of, utcnow
from store.rematch import rematch
from store.schema import migrate
from store.versions import Topics

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> sqlite3.Connection:
    """A connection with the store's settings (dict-like rows, explicit transactions)."""
    if read_only:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None,
                               check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path, events_log: Path | None,
                 topics: Topics, clock: Callable[[], datetime],
                 extractor: ingest.Extractor) -> None:
        self.conn = conn
        self.path = path
        self.events_log = events_log
        self.topics = topics
        self.clock = clock
        self._extractor = extractor
        self._learned: dict[str, frozenset[str]] = {}
        self._lock = threading.RLock()
        self._tallies: dict[str, Counter[str]] = {}
        self._batch: list[dict[str, Any]] | None = None  # events of the open batch

    @classmethod
    def open(cls, db_path: str | os.PathLike[str],
             events_log: str | os.PathLike[str] | None = None,
             topics: dict[str, str] | None = None, *,
             clock: Callable[[], datetime] | None = None,
             extractor: ingest.Extractor | None = None) -> Store:
        """Open (creating if needed) the store at db_path and apply pending migrations.

        clock and extractor are for tests and tools: the time source, and the
        extraction used to re-read stored bodies (default: extract.extract_page).
        With `topics` given, stored articles matched against other topic queries are
        matched again, silently (store.rematch).
        """
        path = Path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
        try:
            db = Database(conn)
            db.enable_wal()
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("BEGIN IMMEDIATE")  # one process migrates, the others wait
            try:
                migrate(db)
                fts.index_pending(conn)  # noted by a writer that did not commit through us
                if topics is not None:  # the caller says which topics: stored answers follow
                    rematch(conn, topics)
                if events_log:  # lines of events a crash rolled back
                    events.reconcile_log(Path(events_log), conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise NewswatchError(f"cannot open the store {path}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, Path(events_log) if events_log else None, Topics(topics),
                   clock or utcnow, extractor or extract_page)

    def boilerplate(self, site: str) -> frozenset[str]:
        """Paragraphs learned as `site`'s boilerplate; learned once per open store, so one
        run reads every page of a site, old bodies and new, with the same extractor."""
        with self._lock:
            if site not in self._learned:
                self._learned[site] = boilerplate.learn(self.conn, site, self.now())
            return self._learned[site]

    def extractor(self, body: bytes, url: str, content_type: str | None) -> Extraction:
        """How this store reads a page: the extractor with the site's learned boilerplate."""
        if self._extractor is not extract_page:
            return self._extractor(body, url, content_type)
        return extract_page(body, url, content_type, boilerplate=self.boilerplate(site_of(url)))

    def close(self) -> None:
        with self._lock:
            self.topics.close()
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def transaction(self) -> Iterator[list[dict[str, Any]]]:
        """One write transaction; yields the list to put the events written in it.

        Their JSON lines are appended just before COMMIT (store.events explains why)
        and they are logged once committed. Inside `batch()` it is a savepoint of the
        batch's transaction instead, and its events wait for the batch's COMMIT.
        """
        with self._lock:
            if self._batch is not None:
                with self._savepoint() as pending:
                    yield pending
                return
            own: list[dict[str, Any]] = []
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield own
                self._commit(own)
            except BaseException:
                self._rollback(own)
                raise
            events.log(own)

    @contextmanager
    def _savepoint(self) -> Iterator[list[dict[str, Any]]]:
        pending: list[dict[str, Any]] = []
        self.conn.execute("SAVEPOINT store_write")
        try:
            yield pending
        except BaseException:
            self.conn.execute("ROLLBACK TO store_write")
            self.conn.execute("RELEASE store_write")
            raise
        self.conn.execute("RELEASE store_write")
        assert self._batch is not None
        self._batch.extend(pending)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group every write made inside into one transaction and one COMMIT.

        Each write stays all-or-nothing (a failed one is rolled back to its savepoint
        and raises as usual); a crash loses the whole batch, never part of a write.
        Meant for one writer thread doing many small writes (a crawl's pages): one
        COMMIT per batch instead of one per page. Nested batches join the outer one.
        """
        with self._lock:
            if self._batch is not None:
                yield
                return
            tallies = {source: Counter(tally) for source, tally in self._tallies.items()}
            self.conn.execute("BEGIN IMMEDIATE")
            pending: list[dict[str, Any]] = []
            self._batch = pending
            try:
                yield
                self._commit(pending)
            except BaseException:
                self._tallies = tallies  # the counts of writes that are now undone
                self._rollback(pending)
                raise
            finally:
                self._batch = None
            events.log(pending)

    def _commit(self, pending: list[dict[str, Any]]) -> None:
        fts.index_pending(self.conn)
        events.append_log(self.events_log, self.conn, pending)
        self.conn.execute("COMMIT")

    def _rollback(self, pending: list[dict[str, Any]]) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if pending and self.events_log is not None:
            with suppress(OSError):  # else cut before the next append
                events.reconcile_log(self.events_log, self.conn)

    # -- the crawler's API ---------------------------------------------------------------

    def page(self, url: str) -> PageState | None:
        with self._lock:
            return pages.state(self.conn, url)

    def pages(self, urls: list[str]) -> dict[str, PageState]:
        """The known states among `urls` (unknown URLs are absent)."""
        with self._lock:
            return pages.states(self.conn, urls)

    def due_pages(self, source: str, limit: int = 1000) -> list[PageState]:
        """Pages of `source` whose revisit is due now (store.revisit)."""
        with self._lock:
            return pages.due(self.conn, source, self.now(), limit)

    def close_interrupted(self) -> list[str]:
        """Mark runs of processes that died mid-run as interrupted; their sources."""
        with self.transaction():
            return runs.close_interrupted(self.conn, self.now(), runs.pid_alive)

    def schedule(self, due: dict[str, str | None]) -> None:
        """Record sources' next run times (sources.next_run_at)."""
        with self.transaction():
            runs.schedule(self.conn, due)

    def ingest(self, page: RawPage, extraction: Extraction) -> IngestResult:
        """Decide what an extracted page is and record it, all or nothing (its own
        transaction, or a savepoint of the open batch)."""
        with self.transaction() as pending:
            ctx = ingest.Context(self.conn, self.now(), self.topics, self.extractor, pending,
                                 extraction.topics)
            result = ingest.ingest(ctx, page, extraction)
        self._count(page.source, "not_articles" if result.kind == "not_article" else "articles")
        return result

    def ingest_unchanged(self, page: RawPage) -> IngestResult:
        """A 304, or a body already seen: refresh the page and the article's last_seen."""
        with self.transaction():
            return self._unchanged(page)

    def _unchanged(self, page: RawPage) -> IngestResult:
        with self._lock:
            article_id = self._touch_unchanged(page)
            topics: list[str] = []
            version = None
            if article_id is not None:
                row = self.conn.execute("SELECT topics, version FROM articles WHERE id = ?",
                                        (article_id,)).fetchone()
                topics, version = json.loads(row["topics"]), row["version"]
        return IngestResult("unchanged", article_id, topics, None, version)

    def _touch_unchanged(self, page: RawPage) -> int | None:
        """Record an unchanged page (its article seen now); returns the article id."""
        now = self.now()
        article_id = pages.touch(self.conn, page, now)
        if article_id is not None:
            self.conn.execute("UPDATE articles SET last_seen = ? WHERE id = ?",
                              (now, article_id))
        self._count(page.source, "unchanged", "articles" if article_id is not None else None)
        return article_id

    def remember_document(self, page: RawPage) -> None:
        """A feed, sitemap or listing fetched in full: keep its body, so that on a 304 the
        kept copy can be read again.

        Its validators (ETag, Last-Modified) are not kept yet: they would let the next
        run skip the document (a 304) while some article it names was never stored (the
        run was killed or cut, or a page failed). `finish_run` keeps them once the run
        that read it ended cleanly."""
        bare = {k: v for k, v in page.headers.items() if k not in ("etag", "last-modified")}
        with self.transaction():
            pages.remember(self.conn, replace(page, headers=bare), self.now(),
                           article_id=None, content=None, reason="discovery document",
                           keep_body=True, schedule=False)

    def reuse_document(self, page: RawPage) -> tuple[bytes, str | None] | None:
        """A 304 for a discovery document: refresh its fetch time; the body (and its
        content type) kept when it last changed, or None if none is kept."""
        with self.transaction():
            pages.touch(self.conn, page, self.now(), schedule=False)
            state = pages.state(self.conn, page.url)
            return bodies.get(self.conn, state.body_hash if state else None)

    def touch_document(self, page: RawPage) -> None:
        """A 304 for a discovery document whose links are not needed: refresh it only."""
        with self.transaction():
            pages.touch(self.conn, page, self.now(), schedule=False)

    def record_error(self, url: str, source: str, status: int | None, reason: str) -> None:
        with self.transaction():
            pages.error(self.conn, url, source, status, reason, self.now())

    def start_run(self, source: str) -> int:
        with self.transaction():
            run_id = runs.start(self.conn, source, self.now())
        with self._lock:
            self._tallies[source] = Counter()
        return run_id

    def finish_run(self, run_id: int, counts: dict[str, int], status: str | None = None, *,
                   duration: float | None = None, next_run_at: str | None = None,
                   documents: dict[str, tuple[str | None, str | None]] | None = None,
                   touched: list[RawPage] | None = None,
                   unchanged: list[RawPage] | None = None) -> str:
        """Close a run (status None: computed, see store.health); returns the status.
        `duration`: seconds the run took, as its runner measured it (default: from the
        stored start time, to the second); `next_run_at`: when the source runs next;
        `documents`: {url: (etag, last_modified)} of the feeds, sitemaps and listings it
        read in full, kept only if the run ended `ok` (see remember_document); `touched`:
        the documents that answered 304, refreshed (touch_document) with the record;
        `unchanged`: article pages that answered 304 or the body held, recorded as
        `ingest_unchanged` records them (one write for a quiet run, not one per page)."""
        with self.transaction() as pending:
            for page in unchanged or ():
                self._touch_unchanged(page)
            source = self.conn.execute("SELECT source FROM runs WHERE id = ?",
                                       (run_id,)).fetchone()
            tally = self._tallies.pop(source["source"], Counter()) if source else Counter()
            moment = self.clock()
            status, event = runs.finish(self.conn, run_id, counts, status,
                                        RunTally(**tally), moment, iso(moment), duration,
                                        next_run_at)
            if status == "ok" and documents:
                pages.validate(self.conn, documents)
            for page in touched or ():
                pages.touch(self.conn, page, self.now(), schedule=False)
            if event is not None:
                pending.append(event)
        return status

    def _count(self, source: str, *keys: str | None) -> None:
        with self._lock:
            tally = self._tallies.setdefault(source, Counter())
            for key in keys:
                if key:
                    tally[key] += 1
