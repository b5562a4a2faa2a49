"""Discovery parsing (crawler.discovery): pure functions, no Scrapy, no network."""

from __future__ import annotations

import gzip
import re
import time
from datetime import UTC, datetime

import pytest

from crawler.discovery import (
    DiscoveryError,
    Link,
    absolute_http_url,
    changed_since,
    parse_date,
    parse_document,
)
from crawler.listing import parse_listing
from newswatch.fixtures import FixtureSites

BASE = "http://news.example/"
BASES = {"m31": "http://127.0.0.1:8000", "westjournal": "http://127.0.0.1:8001",
         "analysis": "http://127.0.0.1:8002",
         "koreanews": "http://127.0.0.1:8003", "rusnews": "http://127.0.0.1:8004"}

RSS2 = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>http://news.example/</link>
<item><title>a</title><link>http://news.example/2024/a/</link>
  <pubDate>Mon, 19 May 2025 08:15:00 GMT</pubDate></item>
<item><title>b</title><guid>http://news.example/2024/b/</guid></item>
<item><title>c</title><guid isPermaLink="false">tag:news.example,2024:c</guid></item>
<item><title>d</title><link>/2024/d/#comments</link></item>
<item><title>e</title><link>javascript:alert(1)</link></item>
</channel></rss>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://news.example/feed.rdf"><title>t</title></channel>
<item rdf:about="http://news.example/x/"><title>x</title><link>http://news.example/x/</link></item>
<item rdf:about="http://news.example/y/"><title>y</title></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><link rel="self" href="http://news.example/self/"/>
  <link rel="alternate" href="http://news.example/a/"/><updated>2025-05-19T08:15:00Z</updated></entry>
<entry><title>b</title><link href="b/"/></entry>
</feed>"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://news.example/a/</loc><lastmod>2025-05-19T08:15:00+02:00</lastmod></url>
<url><loc>http://news.example/b/</loc><news:news>
  <news:publication_date>2025-05-20</news:publication_date></news:news></url>
<url><loc>http://news.example/c/</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://news.example/post-sitemap.xml</loc><lastmod>2025-05-19</lastmod></sitemap>
<sitemap><loc>http://news.example/news-sitemap.xml.gz</loc></sitemap>
</sitemapindex>"""


def urls(links: list[Link]) -> list[str]:
    return [link.url for link in links]


def test_rss2_links_guid_permalinks_and_relative_links() -> None:
    found = parse_document(RSS2, BASE + "feed/")
    assert found.kind == "feed" and not found.recovered
    assert urls(found.links) == ["http://news.example/2024/a/", "http://news.example/2024/b/",
                                 "http://news.example/2024/d/"]
    # pubDate is a publication date: an edited article keeps it, so it is no lastmod
    assert all(link.lastmod is None for link in found.links)


def test_rss1_rdf_links_fall_back_to_rdf_about() -> None:
    found = parse_document(RSS1, BASE + "feed.rdf")
    assert found.kind == "feed"
    assert urls(found.links) == ["http://news.example/x/", "http://news.example/y/"]


def test_atom_alternate_links_and_updated() -> None:
    found = parse_document(ATOM, BASE + "atom/")
    assert urls(found.links) == ["http://news.example/a/", "http://news.example/atom/b/"]
    assert found.links[0].lastmod == datetime(2025, 5, 19, 8, 15, tzinfo=UTC)
    assert found.links[1].lastmod is None


def test_sitemap_lastmod_and_news_publication_date() -> None:
    found = parse_document(SITEMAP, BASE + "sitemap.xml")
    assert found.kind == "sitemap"
    a, b, c = found.links
    assert a[:2] == ("http://news.example/a/", datetime(2025, 5, 19, 6, 15, tzinfo=UTC))
    # a bare date is read as the end of that day: never skip a page dated today too early
    assert b[:2] == ("http://news.example/b/", datetime(2025, 5, 20, 23, 59, 59, tzinfo=UTC))
    assert c[:2] == ("http://news.example/c/", None)
    assert a.mark and len({a.mark, b.mark, c.mark}) == 3  # each entry read on its own


def test_sitemap_index_and_gzipped_sitemap() -> None:
    found = parse_document(INDEX, BASE + "sitemap_index.xml")
    assert found.kind == "index"
    assert urls(found.links) == ["http://news.example/post-sitemap.xml",
                                 "http://news.example/news-sitemap.xml.gz"]
    assert urls(parse_document(gzip.compress(SITEMAP), BASE).links)[0] == "http://news.example/a/"


@pytest.mark.parametrize(("site", "path", "kind", "count"), [
    ("m31", "/feed/", "feed", 4), ("m31", "/feed/atom/", "feed", 4),
    ("m31", "/sitemap_index.xml", "index", 2), ("m31", "/news-sitemap.xml", "sitemap", 4),
    ("westjournal", "/feed.rdf", "feed", 4), ("westjournal", "/feed/atom.xml", "feed", 4),
    ("westjournal", "/sitemaps/news.xml", "sitemap", 4),
])
def test_fixture_site_documents(site: str, path: str, kind: str, count: int) -> None:
    resp = FixtureSites().render(site, path, 0, BASES)
    found = parse_document(resp.body, BASES[site] + path)
    assert (found.kind, len(found.links)) == (kind, count)
    assert all(link.url.startswith(BASES[site] + "/") for link in found.links)


@pytest.mark.parametrize("body", [b"", b"<html><body>not a feed</body></html>",
                                  b"\x1f\x8bnot really gzip", b"\x00\x01\x02"])
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_document(body, BASE)


def test_malformed_feed_is_recovered_and_flagged() -> None:
    broken = b"<rss><channel><item><link>http://news.example/a/</link></item><item><link>"
    found = parse_document(broken, BASE)
    assert found.recovered
    assert urls(found.links) == ["http://news.example/a/"]


def test_external_entity_is_not_resolved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss><channel><item><link>&xxe;</link></item>
<item><link>http://news.example/ok/</link><title>&xxe;</title></item></channel></rss>""".encode()
    found = parse_document(xxe, BASE)
    assert urls(found.links) == ["http://news.example/ok/"]
    assert "TOP-SECRET" not in repr(found)


def test_external_dtd_is_not_fetched() -> None:
    # an unroutable address: a parser that tried the network would hang or fail here
    doc = b"""<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://10.255.255.1/evil.dtd">
<rss><channel><item><link>http://news.example/a/</link></item></channel></rss>"""
    started = time.monotonic()
    assert urls(parse_document(doc, BASE).links) == ["http://news.example/a/"]
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(("item", "links"), [
    ("<link>http://news.example/a/</link><title>&l9;</title>", ["http://news.example/a/"]),
    ("<title>&l9;</title><link>http://news.example/a/</link>", None),
])
def test_entity_expansion_bomb_is_not_expanded(item: str, links: list[str] | None) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{entities}]>
<rss><channel><item>{item}</item></channel></rss>""".encode()
    started = time.monotonic()
    if links is None:  # nothing readable before the bomb: a malformed document
        with pytest.raises(DiscoveryError):
            parse_document(bomb, BASE)
    else:  # what came before it is kept, flagged as recovered
        found = parse_document(bomb, BASE)
        assert found.recovered and urls(found.links) == links
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-05-19T08:15:00Z", datetime(2025, 5, 19, 8, 15, tzinfo=UTC)),
    ("2025-05-19T10:15:00+02:00", datetime(2025, 5, 19, 8, 15, tzinfo=UTC)),
    ("2025-05-19T08:15:00", datetime(2025, 5, 19, 8, 15, tzinfo=UTC)),
    ("Mon, 19 May 2025 08:15:00 GMT", datetime(2025, 5, 19, 8, 15, tzinfo=UTC)),
    ("2025-05-19", datetime(2025, 5, 19, 23, 59, 59, tzinfo=UTC)),
    ("yesterday", None), ("", None), (None, None),
])
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_changed_since_prefers_the_pages_own_last_modified() -> None:
    lastmod = datetime(2025, 6, 5, 10, 20, tzinfo=UTC)
    # the copy we hold was last modified before: changed
    assert changed_since(lastmod, "Fri, 25 Oct 2024 11:05:00 GMT", "2030-01-01T00:00:00Z")
    # the copy we hold is that version: unchanged, whatever our own clock said
    assert not changed_since(lastmod, "Thu, 05 Jun 2025 10:20:00 GMT", "2020-01-01T00:00:00Z")
    # no Last-Modified kept: our fetch time decides
    assert not changed_since(lastmod, None, "2025-06-06T00:00:00Z")
    assert changed_since(lastmod, None, "2025-06-01T00:00:00Z")
    # unknown on either side: fetch
    assert changed_since(None, "Thu, 05 Jun 2025 10:20:00 GMT", None)
    assert changed_since(lastmod, None, None)


@pytest.mark.parametrize(("url", "expected"), [
    ("/a/b/#frag", "http://news.example/a/b/"),
    ("https://other.example/x", "https://other.example/x"),
    ("mailto:x@news.example", None), ("javascript:void(0)", None), ("ftp://news.example/", None),
    ("file:///etc/passwd", None), ("http://[::1", None), ("", None), (None, None),
])
def test_absolute_http_url(url: str | None, expected: str | None) -> None:
    assert absolute_http_url(url, BASE) == expected


FOLLOW = [re.compile(r"/\d{4}/\d{2}/[a-z0-9-]+/?$")]


def test_listing_links_follow_regex_hosts_and_next_page() -> None:
    html = """<html><head><base href="http://news.example/sub/"></head><body>
    <a href="/2025/05/story-one/">one</a> <a href="/2025/05/story-one/#comments">again</a>
    <a href="2025/06/story-two/">two, relative to base</a>
    <a href="http://elsewhere.example/2025/05/offsite/">offsite</a>
    <a href="https://www.news.example/2025/07/same-site/">www. is the same site</a>
    <a href="/tag/korea/">tag</a> <a href="/about/">about</a>
    <div class="nav-previous"><a href="/page/2/">Older posts</a></div></body></html>"""
    listing = parse_listing(html, BASE, FOLLOW, {"news.example"})
    assert listing.links == ["http://news.example/2025/05/story-one/",
                             "http://news.example/sub/2025/06/story-two/",
                             "https://www.news.example/2025/07/same-site/"]
    assert listing.next_page == "http://news.example/page/2/"


def test_listing_next_page_must_stay_on_the_sources_hosts() -> None:
    html = '<a rel="next" href="http://elsewhere.example/page/2/">Next</a>'
    assert parse_listing(html, BASE, FOLLOW, {"news.example"}).next_page is None


@pytest.mark.parametrize(("site", "path", "next_path", "count"), [
    ("m31", "/", "/page/2/", 3),
    ("m31", "/category/geopolitics/", None, 3),
    ("westjournal", "/latest/", "/latest/?page=2", 3),
])
def test_fixture_listing_pages(site: str, path: str, next_path: str | None, count: int) -> None:
    body = FixtureSites().render(site, path, 0, BASES).body.decode()
    follow = [re.compile(r"/\d{4}/\d{2}/[a-z0-9-]+/$"), re.compile(r"/news/[a-z0-9-]+/$")]
    listing = parse_listing(body, BASES[site] + path, follow, {"127.0.0.1"})
    articles = [u for u in listing.links if "/preview/" not in u]
    assert len(articles) == count
    assert listing.next_page == (BASES[site] + next_path if next_path else None)
