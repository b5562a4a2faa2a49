"""What workers and the coordinator say to each other through Redis: plain JSON.

JSON, not pickle: whoever can write to the Redis server must not be able to run code
in the coordinator. Bytes (a page body, packed with zlib; a MinHash signature) travel
as base64. Every message is one stream entry with one field, `m`.

Worker -> coordinator (the results stream), in the order a run produced them:
    {"t": "page", "run": 12, "page": {...}, "x": {...} | null, "bp": "3f2a..."}
        a fetched article candidate; `x` its extraction (null: 304 or the same body as
        stored, nothing to extract); `bp` the digest of the boilerplate it was read with
    {"t": "error", "run": 12, "url": ..., "source": ..., "status": 500, "reason": ...}
    {"t": "doc", "run": 12, "page": {...}}       a feed/sitemap/listing read in full
    {"t": "finish", "run": 12, "counts": {...}, "status": null, "duration": 0.4,
     "next_run_at": ..., "documents": {url: [etag, last_modified]},
     "touched": [{...}, ...]}                    the run's end; `touched`: its 304 documents
Coordinator -> workers (the jobs stream):
    {"run": 12, "source": "m31", "next_run_at": "2026-12-01T15:30:00Z"}
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import fields
from typing import Any

from extract.record import Article, Extraction
from extract.topics import TopicMatch
from store.bodies import pack
from store.model import PageState, RawPage


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def loads(raw: str | bytes) -> dict[str, Any]:
    message = json.loads(raw)
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message


def b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


def unb64(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text is not None else None


def boilerplate_key(paragraphs: frozenset[str]) -> str:
    """A digest naming one set of learned boilerplate paragraphs."""
    return hashlib.sha1("\n".join(sorted(paragraphs)).encode("utf-8")).hexdigest()[:16]


# -- pages --------------------------------------------------------------------------------

def page_out(page: RawPage, *, body: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": page.url, "final_url": page.final_url, "status": page.status,
        "headers": page.headers, "source": page.source, "fetched_at": page.fetched_at,
        "listed_mark": page.listed_mark, "revisit": list(page.revisit),
        "body_hash": page.body_hash}
    if body:
        data["packed"] = b64(page.packed if page.packed is not None else pack(page.body))
    return data


def page_in(data: dict[str, Any]) -> RawPage:
    import zlib

    packed = unb64(data.get("packed"))
    body = zlib.decompress(packed) if packed is not None else b""
    page = RawPage(url=data["url"], final_url=data["final_url"], status=int(data["status"]),
                   headers=dict(data["headers"]), body=body, source=data["source"],
                   fetched_at=data.get("fetched_at"), packed=packed,
                   listed_mark=data.get("listed_mark"),
                   revisit=tuple(float(a) for a in data.get("revisit", ())))
    if packed is None:  # no body sent (a 304, or a body the store holds): keep its hash
        page.__dict__["body_hash"] = data.get("body_hash") or page.body_hash
    return page


# -- extractions --------------------------------------------------------------------------

def extraction_out(extraction: Extraction) -> dict[str, Any]:
    article = extraction.article
    data: dict[str, Any] = {"reason": extraction.reason, "article": None, "topics": None}
    if article is not None:
        fields_ = {f.name: getattr(article, f.name) for f in fields(Article)}
        fields_["signature"] = b64(article.signature)
        data["article"] = fields_
    if extraction.topics is not None:
        data["topics"] = {"queries": [list(q) for q in extraction.topics.queries],
                          "names": list(extraction.topics.names)}
    return data


def extraction_in(data: dict[str, Any]) -> Extraction:
    article = None
    if data.get("article") is not None:
        values = dict(data["article"])
        values["signature"] = unb64(values.get("signature"))
        values["tags"] = list(values.get("tags") or [])
        article = Article(**{f.name: values.get(f.name) for f in fields(Article)})  # type: ignore[arg-type]
    topics = None
    if data.get("topics") is not None:
        topics = TopicMatch(queries=tuple(tuple(q) for q in data["topics"]["queries"]),
                            names=tuple(data["topics"]["names"]))
    return Extraction(article=article, reason=data.get("reason"), topics=topics)


# -- fetch state ----------------------------------------------------------------------------

STATE_FIELDS = ("source", "fetched_at", "status", "etag", "last_modified", "body_hash",
                "article_id", "next_check_at", "listed_mark")


def state_out(state: PageState) -> dict[str, str]:
    """A page's fetch state as a Redis hash (absent fields: None)."""
    return {name: str(value) for name in STATE_FIELDS
            if (value := getattr(state, name)) is not None}


def state_in(url: str, data: dict[str, str]) -> PageState:
    status = data.get("status")
    article = data.get("article_id")
    return PageState(url=url, source=data.get("source"), fetched_at=data.get("fetched_at"),
                     status=int(status) if status else None, etag=data.get("etag"),
                     last_modified=data.get("last_modified"), body_hash=data.get("body_hash"),
                     article_id=int(article) if article else None,
                     next_check_at=data.get("next_check_at"),
                     listed_mark=data.get("listed_mark"))
