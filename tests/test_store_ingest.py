"""Store.ingest on real (small) pages through the real extractor: new, alias, copy,
updated, unchanged, and what each writes."""

from __future__ import annotations

import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from test_store_support import (
    BANKS,
    CONTENT_TYPE,
    NK,
    UPDATE,
    event_kinds,
    ingest,
    open_store,
    page_html,
    raw,
)

from extract import extract_page
from extract.fingerprint import signature, text_hash
from extract.record import Extraction
from newswatch.exceptions import NewswatchError
from store import Store, schema
from store.dedupe import BANDS

A = "http://a.test/2024/10/troops/"
B = "http://b.test/world/troops-copy/"
TITLE = "North Korea sends troops to Russia"


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_new_story_then_nothing_for_the_same_page_or_churned_chrome(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    first = ingest(store, A, page_html(TITLE, NK))
    assert (first.kind, first.topics, first.version) == ("new", ["nk-russia"], 1)
    assert first.event is not None and first.event["kind"] == "new"
    again = ingest(store, A, page_html(TITLE, NK))
    churned = ingest(store, A, page_html(TITLE, NK, chrome="<aside>1,024 views · 17 comments"
                                                             "</aside>"))
    assert (again.kind, churned.kind) == ("unchanged", "unchanged")
    assert (again.event, churned.event) == (None, None)
    assert event_kinds(store) == [("new", A)]
    assert count(store, "versions") == 1
    row = store.conn.execute("SELECT * FROM articles").fetchone()
    assert (row["url"], row["title"], row["version"], json.loads(row["topics"])) == (
        A, TITLE, 1, ["nk-russia"])


def test_tracking_parameters_and_same_site_canonical_fold_in_silently(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    tracked = ingest(store, A + "?utm_source=newsletter&utm_medium=email#comments",
                     page_html(TITLE, NK))
    printed = ingest(store, "http://a.test/print/troops/", page_html(TITLE, NK, canonical=A))
    assert (tracked.kind, printed.kind) == ("unchanged", "unchanged")
    assert event_kinds(store) == [("new", A)]
    assert count(store, "articles") == 1
    urls = dict(store.conn.execute("SELECT url, relation FROM article_urls").fetchall())
    assert urls == {A: "canonical", "http://a.test/print/troops/": "alias"}


def test_same_text_at_another_url_of_the_site_is_an_alias(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    result = ingest(store, "http://www.a.test/?p=1176", page_html(TITLE, NK))
    assert (result.kind, result.event) == ("alias", None)
    assert count(store, "articles") == 1


def test_an_edit_is_an_update_with_a_version_a_diff_and_an_event(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    result = ingest(store, A, page_html(TITLE + ", Seoul says", NK[:3] + [UPDATE] + NK[3:]))
    assert (result.kind, result.version) == ("updated", 2)
    assert result.event is not None
    detail = result.event["detail"]
    assert detail["summary"] == "v2: +1 -0 paragraphs, title changed"
    assert detail["added"] == [UPDATE]
    version = store.conn.execute("SELECT * FROM versions WHERE version = 2").fetchone()
    assert f"+{UPDATE}" in version["diff"].splitlines()
    assert version["reextracted"] == 0
    hits = store.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH"
                              " 'ambassador'").fetchall()
    assert [h[0] for h in hits] == [result.article_id]
    assert event_kinds(store) == [("new", A), ("updated", A)]
    assert ingest(store, A, page_html(TITLE + ", Seoul says",
                                      NK[:3] + [UPDATE] + NK[3:])).kind == "unchanged"


def test_a_syndicated_copy_is_a_duplicate_not_a_second_article(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    original = ingest(store, A, page_html(TITLE, NK))
    copy_page = page_html(TITLE, NK + ["This article originally appeared on A Test News."],
                          canonical=B, chrome="<aside>Trending: markets, weather</aside>")
    result = ingest(store, B, copy_page, source="b")
    assert (result.kind, result.article_id) == ("copy", original.article_id)
    assert result.event is not None and result.event["kind"] == "duplicate"
    assert result.event["detail"]["original_url"] == A
    assert count(store, "articles") == 1
    row = store.conn.execute("SELECT relation, similarity, source FROM article_urls"
                             " WHERE url = ?", (B,)).fetchone()
    assert (row["relation"], row["source"]) == ("copy", "b")
    assert row["similarity"] >= 0.5
    assert ingest(store, B, copy_page, source="b").kind == "unchanged"
    assert event_kinds(store) == [("new", A), ("duplicate", B)]


def test_cross_site_canonical_never_folds_a_copy_into_an_alias(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    # Even if extraction took the other site's rel=canonical as the page's URL.
    page = raw(B, page_html(TITLE, NK, canonical=A), source="b")
    extraction = extract_page(page.body, B, CONTENT_TYPE)
    assert extraction.article is not None
    claimed = replace(extraction.article, url=A)
    result = store.ingest(page, Extraction(claimed))
    assert (result.kind, result.event and result.event["kind"]) == ("copy", "duplicate")
    relation = store.conn.execute("SELECT relation FROM article_urls WHERE url = ?",
                                  (B,)).fetchone()[0]
    assert relation == "copy"


def test_off_topic_stories_are_stored_silently(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    url = "http://a.test/2024/10/banks/"
    first = ingest(store, url, page_html("Central banks hold rates", BANKS))
    edited = ingest(store, url, page_html("Central banks hold rates", BANKS + [UPDATE]))
    copied = ingest(store, "http://b.test/banks/", page_html("Banks", BANKS), source="b")
    assert [(r.kind, r.event) for r in (first, edited, copied)] == [
        ("new", None), ("updated", None), ("copy", None)]
    assert store.conn.execute("SELECT on_topic, version FROM articles").fetchone()[:] == (0, 2)
    assert event_kinds(store) == []


def test_with_no_topics_configured_every_story_is_on_topic(tmp_path: Path) -> None:
    store = open_store(tmp_path, topics={})
    result = ingest(store, "http://a.test/banks/", page_html("Central banks hold rates", BANKS))
    assert (result.kind, result.topics) == ("new", [])
    assert event_kinds(store) == [("new", "http://a.test/banks/")]


def _as_old_extractor_read_it(extraction: Extraction, leaked: str) -> Extraction:
    """The same page as an older extractor read it: one chrome line leaked into the text."""
    article = extraction.article
    assert article is not None
    text = article.text + "\n\n" + leaked
    return Extraction(replace(article, text=text, text_hash=text_hash(text),
                              signature=signature(text)))


def test_an_extractor_change_is_a_silent_version_not_an_update(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    body = page_html(TITLE, NK)
    old = _as_old_extractor_read_it(extract_page(body, A, CONTENT_TYPE), "Share this story")
    assert store.ingest(raw(A, body), old).kind == "new"
    churned = page_html(TITLE, NK, chrome="<aside>3 comments</aside>")
    result = ingest(store, A, churned)
    assert (result.kind, result.event, result.reextracted, result.version) == (
        "unchanged", None, True, 2)
    assert store.conn.execute("SELECT reextracted FROM versions WHERE version = 2"
                              ).fetchone()[0] == 1
    assert event_kinds(store) == [("new", A)]


def test_a_real_edit_is_an_update_even_across_an_extractor_change(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    body = page_html(TITLE, NK)
    store.ingest(raw(A, body), _as_old_extractor_read_it(extract_page(body, A, CONTENT_TYPE),
                                                         "Share this story"))
    result = ingest(store, A, page_html(TITLE, NK + [UPDATE]))
    assert (result.kind, result.reextracted) == ("updated", False)
    assert event_kinds(store) == [("new", A), ("updated", A)]


def test_a_page_that_is_not_an_article_is_remembered_with_its_reason(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    page = raw("http://a.test/world/", b"<html><body><ul><li><a href='/x'>x</a></li></ul>"
               b"</body></html>")
    result = store.ingest(page, Extraction(None, "listing page"))
    assert (result.kind, result.article_id) == ("not_article", None)
    row = store.conn.execute("SELECT reason, article_id, body_hash FROM pages").fetchone()
    assert tuple(row) == ("listing page", None, page.body_hash)
    assert count(store, "bodies") == 0


def test_page_state_conditional_get_and_unchanged_pages(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    body = page_html(TITLE, NK)
    page = raw(A, body, headers={"etag": '"v1"', "last-modified": "Fri, 25 Oct 2024 09:40:00 GMT"})
    new = store.ingest(page, extract_page(body, A, CONTENT_TYPE))
    state = store.page(A)
    assert state is not None
    assert (state.etag, state.body_hash, state.article_id, state.status) == (
        '"v1"', page.body_hash, new.article_id, 200)
    not_modified = replace(page, status=304, body=b"", headers={"etag": '"v1"'})
    result = store.ingest_unchanged(not_modified)
    assert (result.kind, result.article_id, result.topics, result.event) == (
        "unchanged", new.article_id, ["nk-russia"], None)
    after = store.page(A)
    assert after is not None and (after.status, after.body_hash) == (200, page.body_hash)
    assert store.page("http://a.test/never/") is None
    store.record_error("http://a.test/gone/", "a", 404, "HTTP 404")
    gone = store.page("http://a.test/gone/")
    assert gone is not None and (gone.status, gone.article_id) == (404, None)


def test_bodies_are_compressed_and_churned_ones_not_hoarded(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    for views in range(5):
        ingest(store, A, page_html(TITLE, NK, chrome=f"<aside>{views} views</aside>"))
    ingest(store, A, page_html(TITLE, NK + [UPDATE]))
    # one body per version + the page's latest (here the same as version 2's)
    assert count(store, "bodies") == 2
    stored = store.conn.execute("SELECT body, size FROM bodies b JOIN versions v"
                                " ON v.body_hash = b.hash WHERE v.version = 2").fetchone()
    assert zlib.decompress(stored["body"]) == page_html(TITLE, NK + [UPDATE])
    assert stored["size"] > len(stored["body"])


def test_the_store_works_from_a_writer_thread(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    with ThreadPoolExecutor(max_workers=1) as writer:
        kinds = [writer.submit(ingest, store, A, page_html(TITLE, NK)).result().kind
                 for _ in range(2)]
        state = writer.submit(store.page, A).result()
    assert kinds == ["new", "unchanged"]
    assert state is not None and store.page(A) == state


def test_schema_is_migrated_once_in_wal_mode(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    store = open_store(tmp_path)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = store.conn.execute("SELECT migration_set, name FROM _sqlite_migrations"
                                 ).fetchall()
    assert [tuple(r) for r in applied] == [("newswatch", "m001_initial"),
                                           ("newswatch", "m002_site_boilerplate"),
                                           ("newswatch", "m003_signatures_multiply_shift"),
                                           ("newswatch", "m004_revisit_schedule"),
                                           ("newswatch", "m005_deliveries"),
                                           ("newswatch", "m006_fts_indexed_at_commit"),
                                           ("newswatch", "m007_store_meta")]
    columns = {row[1] for row in store.conn.execute("PRAGMA table_info(articles)")}
    assert {"id", "url", "source", "title", "author", "published", "modified", "language",
            "sitename", "text", "text_hash", "first_seen", "last_seen", "last_changed",
            "version", "topics"} <= columns


def test_signatures_of_an_older_scheme_are_computed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "RESIGN_CHUNK", 2)  # several chunks, one of them short
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    others = [ingest(store, f"http://c{i}.test/other/", page_html(f"Other {i}", [
        " ".join(f"word{i}x{j}y{k}" for k in range(40)) + "." for j in range(3)]),
        source="c").article_id for i in range(4)]
    # the store as an older newswatch left it: other signatures, other band keys
    store.conn.execute("UPDATE articles SET signature = zeroblob(1024)")
    store.conn.execute("DELETE FROM signature_bands")
    store.conn.execute("DELETE FROM _sqlite_migrations WHERE name LIKE 'm003%'")
    store.close()
    store = open_store(tmp_path)
    resigned = {row["id"]: row["signature"] == signature(row["text"]) for row in
                store.conn.execute("SELECT id, text, signature FROM articles")}
    assert resigned == {i: True for i in [1, *others]}
    assert store.conn.execute("SELECT count(*) FROM signature_bands").fetchone()[0] == 5 * BANDS
    # so a syndicated copy (not the very same text) is found again
    copied = [*NK, "This article first appeared on A Test News, and is republished here."]
    copy = ingest(store, "http://b.test/copied/", page_html(TITLE, copied), source="b")
    assert copy.kind == "copy"


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nw.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NewswatchError, match="cannot open the store"):
        Store.open(path)


def test_an_amp_rendering_with_other_text_is_an_alias_not_an_update(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingest(store, A, page_html(TITLE, NK))
    amp = "http://a.test/2024/10/troops/amp/"
    first = ingest(store, amp, page_html(TITLE, NK[:3], canonical=A))
    again = ingest(store, amp, page_html(TITLE, NK[:3], canonical=A, chrome="<aside>2</aside>"))
    assert [(r.kind, r.event) for r in (first, again)] == [("alias", None), ("unchanged", None)]
    assert count(store, "versions") == 1
    assert ingest(store, A, page_html(TITLE, NK + [UPDATE])).kind == "updated"
    assert event_kinds(store) == [("new", A), ("updated", A)]
