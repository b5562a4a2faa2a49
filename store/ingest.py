"""One extracted page into the store: gather the state, decide (store.decide), write.

Everything here runs inside the caller's write transaction (Store.ingest), so a
crash at any point leaves the old state or the new one, never half of either.

Events: `new` and `updated` only for on-topic stories (all are on-topic when no topic
is configured), and `duplicate` only for copies of on-topic stories: a copy of an
off-topic story is recorded silently like the story itself.  The first URL at which
a story is seen holds it; a copy seen before its original makes the original the copy.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from extract.canonical import canonicalize_url
from extract.fingerprint import similarity
from extract.record import Article, Extraction
from extract.topics import TopicMatch
from store import bodies, dedupe, events, pages
from store.decide import (
    Content,
    Decision,
    Incoming,
    Near,
    State,
    Stored,
    decide,
    needs_reextraction,
)
from store.model import IngestResult, RawPage, site_of
from store.versions import Topics, add_version

Extractor = Callable[[bytes, str, "str | None"], Extraction]


@dataclass
class Context:
    conn: sqlite3.Connection
    now: str
    topics: Topics
    extractor: Extractor
    pending: list[dict[str, Any]]  # events written in this transaction
    known_topics: TopicMatch | None = None  # the page's topics, if matched already


def ingest(ctx: Context, page: RawPage, extraction: Extraction) -> IngestResult:
    article = extraction.article
    if article is None:
        pages.remember(ctx.conn, page, ctx.now, article_id=None, content=None,
                       reason=extraction.reason or "not an article")
        return IngestResult("not_article", None)
    incoming = _incoming(page, article)
    state = _state(ctx, page, incoming, article)
    decision = decide(state, incoming)
    return _apply(ctx, page, article, incoming, decision)


def _incoming(page: RawPage, article: Article) -> Incoming:
    fetched = canonicalize_url(page.final_url or page.url)
    claimed = canonicalize_url(article.url) if article.url else fetched
    same_site = site_of(claimed) == site_of(fetched)
    return Incoming(fetched_url=fetched, canonical_url=claimed if same_site else fetched,
                    declared_url=None if same_site else claimed,
                    content=Content(article.title, article.text_hash), body_hash=page.body_hash)


def _stored(conn: sqlite3.Connection, article_id: int) -> Stored:
    row = conn.execute("SELECT id, url, title, text_hash FROM articles WHERE id = ?",
                       (article_id,)).fetchone()
    return Stored(row["id"], row["url"], Content(row["title"], row["text_hash"]))


def _link(conn: sqlite3.Connection, urls: list[str]) -> tuple[Stored, str] | None:
    for url in urls:
        row = conn.execute("SELECT article_id, relation FROM article_urls WHERE url = ?",
                           (url,)).fetchone()
        if row is not None:
            return _stored(conn, row["article_id"]), row["relation"]
    return None


def _fetched_urls(page: RawPage, incoming: Incoming) -> list[str]:
    return list(dict.fromkeys([incoming.fetched_url, canonicalize_url(page.url)]))


def _state(ctx: Context, page: RawPage, incoming: Incoming, article: Article) -> State:
    conn = ctx.conn
    link = _link(conn, _fetched_urls(page, incoming))
    by_claim = link is None
    if link is None:
        link = _link(conn, [incoming.canonical_url])
    if link is not None:
        linked, relation = link
        memory = pages.memory(conn, page.url, linked.id)
        previous: Content | None = None
        body_url: str | None
        if memory is not None:
            previous, body_hash, body_url = memory
        else:
            body_hash, body_url = _latest_body(conn, linked.id)
        state = State(linked=linked, link_relation=relation, by_claim=by_claim,
                      previous=previous, previous_body_hash=body_hash)
        if needs_reextraction(state, incoming):
            state = replace(state, reextracted=_reextract(ctx, body_hash, body_url))
        return state
    if incoming.declared_url:
        declared = _link(conn, [incoming.declared_url])
        if declared is not None:
            return State(declared=Near(declared[0], _similarity(conn, declared[0].id, article)))
    return State(near=_near(conn, article))


def _latest_body(conn: sqlite3.Connection, article_id: int) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT body_hash, url FROM versions WHERE article_id = ?"
                       " ORDER BY version DESC LIMIT 1", (article_id,)).fetchone()
    return (row["body_hash"], row["url"]) if row else (None, None)


def _reextract(ctx: Context, body_hash: str | None, url: str | None) -> Content | None:
    """The previous body of this URL read by today's extractor: the other side of the
    comparison that tells a changed story from a changed extractor."""
    kept = bodies.get(ctx.conn, body_hash)
    if kept is None or not url:
        return None
    body, content_type = kept
    result = ctx.extractor(body, url, content_type)
    if result.article is None:
        return None
    return Content(result.article.title, result.article.text_hash)


def _similarity(conn: sqlite3.Connection, article_id: int, article: Article) -> float:
    row = conn.execute("SELECT signature FROM articles WHERE id = ?", (article_id,)).fetchone()
    if not row or not row["signature"] or not article.signature:
        return 0.0
    return similarity(article.signature, row["signature"])


def _near(conn: sqlite3.Connection, article: Article) -> list[Near]:
    matches = {m.article_id: m.similarity for m in dedupe.lookup(conn, article.signature)}
    # Same text, whatever the signature says (very short texts have noisy signatures).
    for row in conn.execute("SELECT id FROM articles WHERE text_hash = ? LIMIT 5",
                            (article.text_hash,)):
        matches[row["id"]] = 1.0
    found = [Near(_stored(conn, article_id), score) for article_id, score in matches.items()]
    found.sort(key=lambda n: (-n.similarity, n.article.id))
    return found


def _apply(ctx: Context, page: RawPage, article: Article, incoming: Incoming,
           decision: Decision) -> IngestResult:
    conn, now = ctx.conn, ctx.now
    if decision.kind == "new":
        return _new(ctx, page, article, incoming)
    article_id = decision.article_id
    assert article_id is not None
    relation = decision.relation or "alias"
    stored_url = conn.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
    for url in (incoming.fetched_url, incoming.canonical_url):
        kind = relation if relation == "copy" else ("canonical" if url == stored_url else "alias")
        _add_url(conn, url, article_id, page.source, now, kind, decision.similarity)
    event = None
    if decision.new_version:
        body = (page.body_hash, page.body, page.content_type, page.final_url or page.url)
        version = add_version(conn, ctx.topics, article_id, article, body, now,
                              reextracted=decision.reextracted, known_topics=ctx.known_topics)
        if decision.kind == "updated" and version.on_topic:
            event = _event(ctx, "updated", page.source, article_id, version.url, article.title,
                           version.topics, version.change.detail())
    if relation != "copy":
        conn.execute("UPDATE articles SET last_seen = ? WHERE id = ?", (now, article_id))
    row = conn.execute("SELECT url, title, topics, on_topic, version FROM articles"
                       " WHERE id = ?", (article_id,)).fetchone()
    topics = json.loads(row["topics"])
    if decision.kind == "copy" and row["on_topic"]:
        event = _event(ctx, "duplicate", page.source, article_id, incoming.fetched_url,
                       article.title, topics,
                       {"original_url": row["url"], "original_title": row["title"],
                        "similarity": round(decision.similarity or 0.0, 3),
                        "reason": decision.reason})
    keep_body = relation != "copy"
    pages.remember(conn, page, now, article_id=article_id,
                   content=Content(article.title, article.text_hash) if keep_body else None,
                   keep_body=keep_body)
    return IngestResult(decision.kind, article_id, topics, event, row["version"],
                        decision.reextracted)


def _new(ctx: Context, page: RawPage, article: Article, incoming: Incoming) -> IngestResult:
    conn, now = ctx.conn, ctx.now
    topics = ctx.topics.match(article.title, article.text, ctx.known_topics)
    on_topic = ctx.topics.on_topic(topics)
    bodies.put(conn, page.body_hash, page.body, page.content_type, page.packed)
    cursor = conn.execute(
        "INSERT INTO articles (url, source, title, author, published, modified, language,"
        " sitename, text, text_hash, first_seen, last_seen, last_changed, version, topics,"
        " on_topic, tags, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?)",
        (incoming.canonical_url, page.source, article.title, article.author, article.published,
         article.modified, article.language, article.sitename, article.text, article.text_hash,
         now, now, now, json.dumps(topics), int(on_topic),
         json.dumps(article.tags, ensure_ascii=False), article.signature))
    article_id = int(cursor.lastrowid or 0)
    conn.execute(
        "INSERT INTO versions (article_id, version, seen_at, title, text, text_hash, diff,"
        " detail, reextracted, url, body_hash) VALUES (?, 1, ?, ?, ?, ?, NULL, NULL, 0, ?, ?)",
        (article_id, now, article.title, article.text, article.text_hash,
         page.final_url or page.url, page.body_hash))
    _add_url(conn, incoming.canonical_url, article_id, page.source, now, "canonical", 1.0)
    _add_url(conn, incoming.fetched_url, article_id, page.source, now, "alias", 1.0)
    dedupe.add(conn, article_id, article.signature)
    pages.remember(conn, page, now, article_id=article_id,
                   content=Content(article.title, article.text_hash), keep_body=True)
    event = None
    if on_topic:
        event = _event(ctx, "new", page.source, article_id, incoming.canonical_url,
                       article.title, topics,
                       {"version": 1, "paragraphs": article.text.count("\n\n") + 1,
                        "author": article.author, "published": article.published})
    return IngestResult("new", article_id, topics, event, 1)


def _add_url(conn: sqlite3.Connection, url: str, article_id: int, source: str, now: str,
             relation: str, similarity: float | None) -> None:
    conn.execute(
        "INSERT INTO article_urls (url, article_id, source, first_seen, last_seen, relation,"
        " similarity) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(url) DO UPDATE SET last_seen = excluded.last_seen",
        (url, article_id, source, now, now, relation,
         None if similarity is None else round(similarity, 3)))


def _event(ctx: Context, kind: str, source: str, article_id: int, url: str,
           title: str | None, topics: list[str], detail: dict[str, Any]) -> dict[str, Any]:
    event = events.insert(ctx.conn, at=ctx.now, kind=kind, source=source,
                          article_id=article_id, url=url, title=title, topics=topics,
                          detail=detail)
    ctx.pending.append(event)
    return event
