"""A small store for the story-view and feed tests (no tests here): real ingests of
pages whose titles and paragraphs are hostile HTML, an update, a syndicated copy, and a
few rows no ingest writes (javascript: URLs, naive and broken timestamps)."""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path
from typing import Any

from test_store_support import NK, UPDATE, ingest, open_store, page_html

from store.datasette_app import make_datasette

A = "http://a.test/2024/10/troops/"
COPY = "http://b.test/world/troops-copy/"
PLAIN_TITLE = "North Korea sends troops to Russia"
EVIL_TITLE = "North Korea <script>alert('title')</script> sends troops to Russia"
EVIL_PARAGRAPH = ("Pyongyang and Moscow <img src=x onerror=alert('para')> signed a treaty,"
                  " said officials in North Korea and Russia on Tuesday evening.")
EVIL_URL = "javascript:alert('url')"
TOPIC = "nk-russia"
EMPTY_TOPIC = "arctic"  # configured, no events
TOPICS = {TOPIC: '("north korea" OR pyongyang) AND (russia OR moscow)',
          EMPTY_TOPIC: "arctic OR svalbard"}


def build_store(tmp_path: Path) -> tuple[Path, int]:
    """(store path, id of the hostile article). The file is nw.db, served as `newswatch`."""
    store = open_store(tmp_path, topics=TOPICS)
    ingest(store, A, page_html(PLAIN_TITLE, NK))
    edited = page_html(html.escape(EVIL_TITLE), [*NK[:2], *NK[3:], EVIL_PARAGRAPH, UPDATE])
    ingest(store, A, edited)  # v2: new headline, one paragraph removed, two added
    ingest(store, COPY, edited, "b")
    article_id = store.conn.execute("SELECT id FROM articles WHERE url = ?", (A,)).fetchone()[0]
    with store.transaction():
        store.conn.execute(
            "INSERT INTO article_urls (url, article_id, source, first_seen, last_seen, relation,"
            " similarity) VALUES (?, ?, 'b', '2024-10-02T00:00:00Z', '2024-10-02T00:00:00Z',"
            " 'copy', 0.5)", (EVIL_URL, article_id))
        for at, url in (("2024-10-01 12:00:00", EVIL_URL), ("not a date", A)):
            store.conn.execute(
                "INSERT INTO events (at, kind, source, article_id, url, title, topics, detail)"
                " VALUES (?, 'new', 'a', ?, ?, ?, ?, ?)",
                (at, article_id, url, EVIL_TITLE, json.dumps([TOPIC]),
                 json.dumps({"original_url": EVIL_URL, "reason": "<b>bold</b>"})))
        store.conn.execute(  # topics that are not JSON must not break the feed's query
            "INSERT INTO events (at, kind, source, url, title, topics, detail)"
            " VALUES ('2024-10-03T00:00:00Z', 'new', 'a', ?, 'x', 'oops', '{}')", (A,))
    store.close()
    return tmp_path / "data" / "nw.db", article_id


def fetch(db_path: Path, path: str) -> tuple[int, str, dict[str, str]]:
    """(status, body, headers) of one request through Datasette's in-process client."""
    ds = make_datasette(db_path)

    async def go() -> tuple[int, str, dict[str, str]]:
        response = await ds.client.get(path)
        return response.status_code, response.text, dict(response.headers)

    return asyncio.run(go())


def rows(db_path: Path, path: str) -> list[dict[str, Any]]:
    status, body, _ = fetch(db_path, path)
    assert status == 200, body[:500]
    data: list[dict[str, Any]] = json.loads(body)
    return data
