"""A topic's `new` and `updated` events as an Atom feed (RFC 4287).

One function renders it, for both places that offer it: Datasette's `.atom`
output of the `topic_feed` canned query (`newswatch serve`,
/newswatch/topic_feed.atom?topic=NAME) and `newswatch feed TOPIC`.  The rows
come from that canned query's SQL in metadata.yml, so the two are the same feed.

    conn = store.db.connect("data/newswatch.db", read_only=True)
    xml = topic_feed(conn, "nk-russia")          # bytes, UTF-8

Entry ids are tag URIs with the event id (tag:newswatch,2024:event/42): stable
however often the feed is rebuilt, wherever it is served from.  Timestamps are
written in UTC; a timestamp without a zone is read as UTC (the store writes
UTC), an unreadable one as the epoch, so no row can make the feed fail.  An
empty or unknown topic gives a valid feed without entries.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from lxml import etree

from store.datasette_app import canned_query

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
QUERY = "topic_feed"  # the canned query in metadata.yml
TAG = "tag:newswatch,2024:"  # RFC 4151 tag URI prefix of feed and entry ids
EPOCH = "1970-01-01T00:00:00Z"
LEAD = 300  # characters of a new story's first paragraph in its entry


def topic_feed(conn: sqlite3.Connection, topic: str, *, now: datetime | None = None) -> bytes:
    """The Atom feed of `topic`, from the store behind `conn` (as `newswatch feed` writes it)."""
    sql = canned_query(QUERY)["sql"]
    rows = [dict(row) for row in conn.execute(sql, {"topic": topic})]
    return render_atom(rows, topic, now=now)


def render_atom(rows: Iterable[Mapping[str, Any]], topic: str, *, self_url: str | None = None,
                story_url: Callable[[int], str] | None = None,
                now: datetime | None = None) -> bytes:
    """Atom XML for rows of the `topic_feed` query (newest first).

    self_url: where the feed is served (its rel="self" link); story_url: the URL of an
    article's story view in Datasette, linked from each entry (rel="related").
    """
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _sub(feed, "id", TAG + "topic/" + quote(topic, safe=""))
    _sub(feed, "title", f"newswatch: {topic}")
    _sub(feed, "subtitle", f"New and updated stories on the topic {topic!r}")
    entries = [_entry(row, story_url) for row in rows]
    stamps = [stamp for stamp, _ in entries if stamp != EPOCH]
    _sub(feed, "updated", max(stamps) if stamps else atom_time(now or datetime.now(UTC)))
    _sub(_sub(feed, "author"), "name", "newswatch")
    _sub(feed, "generator", "newswatch")
    if self_url:
        _link(feed, self_url, rel="self", type="application/atom+xml")
    for _, entry in entries:
        feed.append(entry)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True))


def atom_time(value: object) -> str:
    """An RFC 3339 UTC timestamp; naive values are UTC, unreadable ones the epoch."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return EPOCH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_url(url: object) -> str | None:
    """`url` if it is an http(s) URL, else None (never a javascript: or data: link)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _entry(row: Mapping[str, Any], story_url: Callable[[int], str] | None
           ) -> tuple[str, etree._Element]:
    detail = _json_object(row.get("detail"))
    title = row.get("title") or "(untitled)"
    updated = atom_time(row.get("at"))
    entry = etree.Element(f"{{{ATOM_NS}}}entry")
    _sub(entry, "id", f"{TAG}event/{row['id']}")
    _sub(entry, "title", f"Updated: {title}" if row.get("kind") == "updated" else title)
    _sub(entry, "updated", updated)
    _sub(entry, "published", updated)
    link = safe_url(row.get("url"))
    if link:
        _link(entry, link, rel="alternate", type="text/html")
    if story_url is not None and row.get("article_id") is not None:
        _link(entry, story_url(int(row["article_id"])), rel="related", type="text/html",
              title="Story in newswatch: versions, copies, events")
    _sub(_sub(entry, "author"), "name", str(row.get("source") or "newswatch"))
    for topic in _json_list(row.get("topics")):
        etree.SubElement(entry, f"{{{ATOM_NS}}}category", term=str(topic))
    summary = _summary(row, detail)
    if summary:
        _sub(entry, "summary", summary)
    _sub(entry, "content", _content_html(row, detail, link), type="html")
    return updated, entry


def _summary(row: Mapping[str, Any], detail: dict[str, Any]) -> str:
    if row.get("kind") == "updated":
        return str(detail.get("summary") or "updated")
    return _lead(row.get("lead"))


def _content_html(row: Mapping[str, Any], detail: dict[str, Any], link: str | None) -> str:
    """The entry's HTML body (escaped here; lxml escapes it again as XML text)."""
    esc = html.escape
    parts = [f"<p>{esc(str(row.get('kind') or 'event')).capitalize()} on "
             f"{esc(str(row.get('source') or '?'))}</p>"]
    if row.get("kind") == "updated":
        parts.append(f"<p><strong>{esc(str(detail.get('summary') or ''))}</strong></p>")
        if detail.get("old_title") is not None:
            parts.append(f"<p>Headline was: <del>{esc(str(detail['old_title']))}</del><br>"
                         f"now: <ins>{esc(str(detail.get('new_title') or ''))}</ins></p>")
        for label, tag, key in (("Added", "ins", "added"), ("Removed", "del", "removed")):
            for paragraph in _json_list(detail.get(key)):
                parts.append(f"<p>{label}: <{tag}>{esc(str(paragraph))}</{tag}></p>")
        for pair in _json_list(detail.get("changed")):
            if isinstance(pair, dict):
                parts.append(f"<p>Changed: <del>{esc(str(pair.get('old', '')))}</del><br>"
                             f"to: <ins>{esc(str(pair.get('new', '')))}</ins></p>")
    else:
        lead = _lead(row.get("lead"))
        if lead:
            parts.append(f"<blockquote><p>{esc(lead)}</p></blockquote>")
    if link:
        parts.append(f'<p><a href="{esc(link)}">{esc(link)}</a></p>')
    return "\n".join(parts)


def _lead(text: object) -> str:
    if not isinstance(text, str):
        return ""
    first = next((p.strip() for p in text.split("\n\n") if p.strip()), "")
    first = " ".join(first.split())
    return first if len(first) <= LEAD else first[:LEAD - 1] + "…"


def _json_object(value: object) -> dict[str, Any]:
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _json_list(value: object) -> list[Any]:
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return loaded if isinstance(loaded, list) else []


def _sub(parent: etree._Element, name: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", **attrs)
    if text is not None:
        element.text = _xml_text(text)
    return element


def _link(parent: etree._Element, href: str, **attrs: str) -> None:
    etree.SubElement(parent, f"{{{ATOM_NS}}}link", href=_xml_text(href), **attrs)


def _xml_text(text: str) -> str:
    """Drop the characters XML 1.0 cannot hold (control characters, lone surrogates)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (
        "\x20" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" or ch >= "\U00010000"))
