"""Fuzzing (hypothesis) of everything that reads bytes from the network: page extraction,
feed/sitemap parsing and listing-page parsing. No input may crash them; what they return
must still satisfy their contracts.

Inputs are built from grammars of the real formats (tags, attributes, entities, charset
declarations, DOCTYPEs, gzip wrappers) mixed with raw noise, so most examples get deep
into the parsers. Modest example counts in CI; `NEWSWATCH_FUZZ_EXAMPLES=N` for more.
"""

from __future__ import annotations

import gzip
import os
import re
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.discovery import MAX_LINKS, DiscoveryError, parse_document
from crawler.listing import parse_listing
from extract import extract_page
from extract.fingerprint import NUM_PERM, text_hash
from extract.record import Extraction

EXAMPLES = int(os.environ.get("NEWSWATCH_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80)
_words = st.lists(st.sampled_from(["North", "Korea", "troops", "Russia", "said", "the",
                                   "on", "Monday", "bridge", "£12m", "Пхеньян", "평양",
                                   "北朝鮮", "naïve", "\u00ad", "\u200b", "&amp;", "&nbsp;"]),
                  min_size=1, max_size=60).map(" ".join)
_urls = st.sampled_from(["/a/", "http://a.test/2025/06/story/", "https://b.test/x?utm_source=y",
                         "javascript:alert(1)", "file:///etc/passwd", "http://[::1/x",
                         "http://10.0.0.1/", "//c.test/y", "", "#top", "mailto:x@y",
                         "data:text/html,hi", "http://a.test:99999/", "?page=2",
                         "http://exa mple.com/"])
_entities = st.sampled_from(["&amp;", "&#0;", "&#x110000;", "&bogus;", "&lt;script&gt;",
                             "&#x202e;", "&sect", "&#65;", "&"])
TAGS = ["p", "div", "article", "main", "section", "h1", "h2", "span", "a", "script", "style",
        "table", "tr", "td", "ul", "li", "br", "img", "iframe", "svg", "template", "noscript",
        "nav", "footer", "aside", "time", "figure", "blockquote", "pre", "form", "input"]
ATTRS = ["class", "id", "href", "src", "datetime", "itemprop", "property", "content",
         "rel", "lang", "dir", "hidden", "style"]
CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=cp1251",
                 "text/html; charset=x-unknown", "text/html; charset=utf-16",
                 "application/xhtml+xml", "application/octet-stream", "text/plain",
                 "application/pdf", "image/png", "text/html; charset="]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(f' {name}="{draw(st.one_of(_urls, _text.map(_attr)))}"'
                    for name in draw(st.lists(st.sampled_from(ATTRS), max_size=3)))
    inner = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind < 4 and depth < 5:
            inner.append(draw(elements(depth + 1)))
        elif kind < 8:
            inner.append(draw(_words))
        elif kind == 8:
            inner.append(draw(_entities))
        else:
            inner.append(draw(_text))
    close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", "", "</div>", "</p></td>"]))
    return f"<{tag}{attrs}>{''.join(inner)}{close}"


def _attr(text: str) -> str:
    return text.replace('"', "&quot;")


@st.composite
def html_pages(draw: st.DrawFn) -> bytes:
    head = "".join(draw(st.lists(st.sampled_from([
        "<meta charset='utf-8'>", "<meta charset='bogus'>", "<meta charset='shift_jis'>",
        "<meta property='og:type' content='article'>", "<title>T &amp; t</title>",
        "<link rel='canonical' href='http://a.test/c/'>",
        "<link rel='canonical' href='javascript:x'>", "<meta name='author' content='A'>",
        "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\":"
        " [1, {\"x\": null}], \"datePublished\": \"2025-13-45\"}</script>",
        "<script type='application/ld+json'>{broken json</script>",
        "<meta property='article:published_time' content='yesterday'>",
        "<base href='ftp://x/'>"]), max_size=6)))
    body = "".join(draw(st.lists(elements(), max_size=6)))
    doc = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1251", "latin-1", "shift_jis"]))
    data = doc.encode(encoding, errors="replace")
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


def check_extraction(result: Extraction, url: str) -> None:
    assert isinstance(result, Extraction)
    if result.article is None:
        assert result.reason
        return
    article = result.article
    assert article.text.strip() and article.text_hash == text_hash(article.text)
    assert article.url.startswith(("http://", "https://")) or article.url == url
    assert article.signature is None or len(article.signature) == NUM_PERM * 8
    for stamp in (article.published, article.modified):
        assert stamp is None or isinstance(stamp, str)


@FUZZ
@given(html_pages(), st.sampled_from(CONTENT_TYPES))
def test_extraction_never_crashes_on_generated_pages(body: bytes,
                                                     content_type: str | None) -> None:
    url = "http://a.test/2025/06/story/"
    check_extraction(extract_page(body, url, content_type), url)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), _text), st.sampled_from(CONTENT_TYPES),
       st.sampled_from(["http://a.test/x/", "", "not a url", "http://[::1/x"]))
def test_extraction_never_crashes_on_noise(body: bytes | str, content_type: str | None,
                                           url: str) -> None:
    check_extraction(extract_page(body, url, content_type), url)


# -- feeds and sitemaps ------------------------------------------------------------------------

ROOTS = ['<rss version="2.0"><channel>{}</channel></rss>',
         '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>',
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>',
         '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>',
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{}</rdf:RDF>',
         "<html><body>{}</body></html>", "{}"]
DOCTYPES = ["", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
            '<!DOCTYPE x SYSTEM "http://10.255.255.1/x.dtd">',
            '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
            '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>']
_dates = st.sampled_from(["2025-06-01", "2025-06-01T12:00:00Z", "Mon, 02 Jun 2025 12:00:00 GMT",
                          "yesterday", "2025-13-45", "", "99999-01-01", "0000-00-00",
                          "2025-06-01T12:00:00+25:00", "&e;", "&b;"])


@st.composite
def entries(draw: st.DrawFn) -> str:
    link = draw(st.one_of(_urls, _entities, _text.map(_attr)))
    date = draw(_dates)
    return draw(st.sampled_from([
        f"<item><title>{draw(_words)}</title><link>{link}</link><pubDate>{date}</pubDate>"
        f"<guid>{link}</guid></item>",
        f'<entry><link href="{_attr(link)}"/><link rel="self" href="/x"/>'
        f"<updated>{date}</updated></entry>",
        f"<url><loc>{link}</loc><lastmod>{date}</lastmod><news:news><news:publication_date>"
        f"{date}</news:publication_date></news:news></url>",
        f"<sitemap><loc>{link}</loc><lastmod>{date}</lastmod></sitemap>",
        f'<item rdf:about="{_attr(link)}"/>', draw(_text)]))


@st.composite
def xml_documents(draw: st.DrawFn) -> bytes:
    root = draw(st.sampled_from(ROOTS))
    doc = ('<?xml version="1.0"?>' + draw(st.sampled_from(DOCTYPES))
           + root.format("".join(draw(st.lists(entries(), max_size=8)))))
    data = doc.encode("utf-8")
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    data = data if cut is None else data[:cut]
    if draw(st.booleans()):
        data = gzip.compress(data)
        if draw(st.booleans()):
            data = data[: len(data) // 2]  # truncated gzip
    return data


@FUZZ
@given(st.one_of(xml_documents(), st.binary(max_size=2000)))
def test_feed_and_sitemap_parsing_never_crashes(body: bytes) -> None:
    try:
        found = parse_document(body, "http://a.test/feed/")
    except DiscoveryError as exc:
        assert str(exc)
        return
    assert found.kind in ("feed", "sitemap", "index")
    assert len(found.links) <= MAX_LINKS
    for link in found.links:
        assert re.match(r"^https?://[^/\s]", link.url) and "#" not in link.url
        assert "passwd" not in link.url and "root:" not in link.url
        assert link.lastmod is None or (isinstance(link.lastmod, datetime)
                                        and link.lastmod.tzinfo is not None)


@FUZZ
@given(html_pages(), st.sampled_from([[], [r"/\d{4}/\d{2}/"], ["("[:0] + ".*"]]))
def test_listing_parsing_never_crashes_and_stays_on_the_sources_hosts(
        body: bytes, follow: list[str]) -> None:
    listing = parse_listing(body, "http://a.test/list/", [re.compile(p) for p in follow],
                            {"a.test"})
    for url in [*listing.links, *([listing.next_page] if listing.next_page else [])]:
        assert url.startswith(("http://a.test", "https://a.test")), url
