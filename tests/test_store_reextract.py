"""`newswatch reextract`: re-read stored bodies with today's extractor, no network, no events."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_cli
from test_store_support import BANKS, CONTENT_TYPE, NK, TOPICS, ingest, page_html, raw

from extract import extract_page
from extract.fingerprint import signature, text_hash
from extract.record import Extraction
from store import Store
from store.reextract import reextract

A = "http://a.test/2024/10/troops/"


def old_reading(body: bytes, url: str) -> Extraction:
    """How an older extractor read the page: a chrome line leaked into the text."""
    article = extract_page(body, url, CONTENT_TYPE).article
    assert article is not None
    text = article.text + "\n\nShare this story on social media"
    return Extraction(replace(article, text=text, text_hash=text_hash(text),
                              signature=signature(text)))


@pytest.fixture
def config(write_config: Callable[..., Path]) -> Path:
    path = write_config({"a": {"urls": ["http://a.test/"]}}, topics=TOPICS)
    store = Store.open(path.parent / "data/newswatch.db",
                       events_log=path.parent / "data/events.jsonl", topics=TOPICS)
    body = page_html("North Korea sends troops", NK)
    store.ingest(raw(A, body), old_reading(body, A))
    ingest(store, "http://a.test/banks/", page_html("Banks hold rates", BANKS))
    store.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, out, _ = run_cli(capsys, *args)
    return code, out


def test_reextract_records_silent_versions_once(config: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--config", str(config), "reextract")
    assert code == 0
    assert "2 articles re-read: 1 new versions (re-extracted, no events), 1 unchanged" in out
    store = Store.open(config.parent / "data/newswatch.db", topics=TOPICS)
    version = store.conn.execute("SELECT * FROM versions WHERE version = 2").fetchone()
    assert version["reextracted"] == 1
    assert "-Share this story on social media" in version["diff"].splitlines()
    assert json.loads(version["detail"])["reextracted"] is True
    text = store.conn.execute("SELECT text FROM articles WHERE url = ?", (A,)).fetchone()[0]
    current = extract_page(page_html("North Korea sends troops", NK), A, CONTENT_TYPE).article
    assert current is not None and text == current.text
    kinds = [row[0] for row in store.conn.execute("SELECT kind FROM events")]
    assert kinds == ["new"]
    store.close()
    code, out = run(capsys, "--config", str(config), "reextract")
    assert code == 0 and "0 new versions" in out and "2 unchanged" in out
    # The page as fetched again now reads as stored: no update either.
    store = Store.open(config.parent / "data/newswatch.db", topics=TOPICS)
    assert ingest(store, A, page_html("North Korea sends troops", NK,
                                      chrome="<aside>9 views</aside>")).kind == "unchanged"


def test_changed_topics_rematch_stored_articles_silently(tmp_path: Path) -> None:
    db = tmp_path / "nw.db"
    store = Store.open(db, topics={"banks": "rates"})
    ingest(store, A, page_html("North Korea sends troops", NK))
    ingest(store, "http://a.test/banks/", page_html("Banks hold rates", BANKS))
    store.close()
    store = Store.open(db, topics=TOPICS)  # the store follows the new topics at open
    before = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    topics = dict(store.conn.execute("SELECT url, topics FROM articles").fetchall())
    assert json.loads(topics[A]) == ["nk-russia"]
    assert json.loads(topics["http://a.test/banks/"]) == []
    summary = reextract(store)  # nothing left for re-extraction to change
    assert (summary.articles, summary.reextracted, summary.topics_changed) == (2, 0, 0)
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == before == 1
