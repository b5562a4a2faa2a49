"""Shared helpers of the store tests (no tests here): small article pages and their ingest."""

from __future__ import annotations

import html as html_lib
from pathlib import Path

from extract import extract_page
from store import IngestResult, RawPage, Store

CONTENT_TYPE = "text/html; charset=utf-8"
TOPICS = {"nk-russia": '("north korea" OR pyongyang OR dprk OR "kim jong un")'
                       " AND (russia OR moscow OR putin OR kremlin)"}

NK = [
    "North Korea has sent troops to Russia, officials in Pyongyang and Moscow said on Monday,"
    " in a move that deepens the alliance between the two countries considerably.",
    "The deployment follows a treaty signed in June that includes a mutual defence clause,"
    " according to statements published by state media in both capitals.",
    "Analysts say the move gives Kim Jong Un access to military technology and hard currency,"
    " while Moscow gains manpower for its war in Ukraine.",
    "South Korea's intelligence service said it was monitoring the situation closely and"
    " warned of further escalation on the peninsula in the coming months.",
]
BANKS = [
    "Central banks across Europe held interest rates steady on Thursday, saying inflation had"
    " not yet fallen far enough for them to begin cutting borrowing costs.",
    "Economists had expected the pause after wage growth surprised on the upside in the"
    " spring, keeping services prices higher than policymakers had hoped.",
    "Markets now price the first cut for September, although several governors warned that"
    " the timing would depend on data published over the summer months.",
    "Mortgage lenders said they would keep their fixed rates unchanged for now, pending a"
    " clearer signal from the central banks about the path of policy.",
]
UPDATE = ("Update: Seoul's foreign ministry summoned the Russian ambassador on Tuesday to"
          " protest against the deployment, officials said.")


def page_html(title: str, paragraphs: list[str], canonical: str | None = None,
              chrome: str = "") -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'{link}<meta property="og:type" content="article"></head><body>'
            f'<nav><a href="/">Home</a> <a href="/world/">World</a></nav>'
            f"<main><article><h1>{title}</h1>{body}</article></main>{chrome}"
            "<footer><p>Copyright Example News</p></footer></body></html>").encode()


def raw(url: str, body: bytes, source: str = "a", final_url: str | None = None,
        headers: dict[str, str] | None = None) -> RawPage:
    return RawPage(url=url, final_url=final_url or url, status=200,
                   headers={"content-type": CONTENT_TYPE, **(headers or {})}, body=body,
                   source=source)


def ingest(store: Store, url: str, body: bytes, source: str = "a",
           final_url: str | None = None) -> IngestResult:
    """Extract and ingest one page the way the crawler does."""
    page = raw(url, body, source, final_url)
    return store.ingest(page, extract_page(page.body, page.final_url, CONTENT_TYPE))


def open_store(tmp_path: Path, topics: dict[str, str] | None = None, **kwargs: object) -> Store:
    return Store.open(tmp_path / "data" / "nw.db", events_log=tmp_path / "data" / "events.jsonl",
                      topics=TOPICS if topics is None else topics, **kwargs)  # type: ignore[arg-type]


def event_kinds(store: Store) -> list[tuple[str, str | None]]:
    return [(row["kind"], row["url"]) for row in
            store.conn.execute("SELECT kind, url FROM events ORDER BY id")]
