"""The full-text index (store.fts): articles are indexed at each commit, in one statement,
and search always agrees with the committed articles, whatever happened inside a batch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_store_support import BANKS, NK, UPDATE, ingest, open_store, page_html

from store import Store

A = "http://a.test/2024/10/troops/"
B = "http://b.test/2024/10/banks/"
TITLE = "North Korea sends troops to Russia"


def search(store: Store, words: str) -> list[int]:
    rows = store.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
                              " ORDER BY rowid", (words,)).fetchall()
    return [r[0] for r in rows]


def index_is_sound(store: Store) -> bool:
    store.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES"
                       " ('integrity-check', 1)")  # raises if the index and articles differ
    return store.conn.execute("SELECT count(*) FROM articles_fts_pending").fetchone()[0] == 0


def delete_article(store: Store, article: int) -> None:
    for sql in ("DELETE FROM article_urls WHERE article_id = ?",
                "DELETE FROM versions WHERE article_id = ?",
                "DELETE FROM events WHERE article_id = ?",
                "UPDATE pages SET article_id = NULL WHERE article_id = ?",
                "DELETE FROM articles WHERE id = ?"):
        store.conn.execute(sql, (article,))


def test_articles_of_a_batch_are_searchable_once_it_commits(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with store.batch():
        a = ingest(store, A, page_html(TITLE, NK)).article_id
        b = ingest(store, B, page_html("Banks raise rates", BANKS)).article_id
        # noted, not yet indexed: FTS5 would write a segment per page's savepoint
        assert store.conn.execute("SELECT count(*) FROM articles_fts_pending"
                                  ).fetchone()[0] == 2
    assert search(store, "troops") == [a]
    assert search(store, "troops OR banks") == sorted([a, b])
    assert index_is_sound(store)


def test_an_article_edited_in_the_batch_that_added_it_is_found_by_its_new_text(
        tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with store.batch():
        ingest(store, A, page_html(TITLE, NK))
        edited = ingest(store, A, page_html(TITLE + ", Seoul says", NK[:3] + [UPDATE] + NK[3:]))
        assert edited.kind == "updated"
    assert search(store, "ambassador") == [edited.article_id]
    assert index_is_sound(store)
    # an indexed article edited later: its old words go, the new ones come
    ingest(store, A, page_html(TITLE, NK))
    assert search(store, "ambassador") == []
    assert search(store, "troops") == [edited.article_id]
    assert index_is_sound(store)


def test_deleting_an_article_noted_or_indexed_keeps_the_index_sound(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    kept = ingest(store, B, page_html("Banks raise rates", BANKS)).article_id  # indexed
    with store.batch():
        gone = ingest(store, A, page_html(TITLE, NK)).article_id  # noted only
        delete_article(store, gone)
    assert search(store, "troops") == [] and search(store, "banks") == [kept]
    assert index_is_sound(store)
    with store.batch():
        delete_article(store, kept)
    assert search(store, "banks") == []
    assert index_is_sound(store)


def test_a_row_written_around_the_store_is_indexed_when_a_store_next_opens(
        tmp_path: Path) -> None:
    store = open_store(tmp_path)
    article = ingest(store, A, page_html(TITLE, NK)).article_id
    store.close()
    con = sqlite3.connect(tmp_path / "data" / "nw.db")
    con.execute("UPDATE articles SET text = text || ' Vladivostok' WHERE id = ?", (article,))
    con.execute("INSERT INTO articles (url, source, title, text, text_hash, first_seen,"
                " last_seen, last_changed, version, topics) SELECT url || 'x', source,"
                " 'Copy', 'Khabarovsk summit', 'h', first_seen, last_seen, last_changed,"
                " 1, '[]' FROM articles WHERE id = ?", (article,))
    con.commit()
    con.close()
    store = open_store(tmp_path)
    assert search(store, "vladivostok") == [article]
    assert len(search(store, "khabarovsk")) == 1
    assert index_is_sound(store)
