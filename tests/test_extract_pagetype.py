"""Not-an-article detection: feeds, sitemaps, error, search, listing, tag and index pages are
rejected with a reason; article pages (with or without declarations) are not."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from extract import extract_page

STORY = [f"Paragraph {n}: the regional council approved the harbour plan after months of "
         f"debate, and residents now expect construction to begin in the spring." for n in range(5)]


def teaser(n: int) -> str:
    return (f'<article class="card"><h2><a href="/2024/05/story-{n}/">Story number {n} about '
            f'the harbour plan</a></h2><p>A short summary of story {n}, written to make you '
            f"click.</p><p>By Staff | May {n}, 2024</p></article>")


def listing(body_class: str = "", head: str = "", h1: str = "Latest news") -> str:
    cards = "".join(teaser(n) for n in range(1, 7))
    return (f"<!DOCTYPE html><html><head><title>{h1}</title>{head}</head><body "
            f'class="{body_class}"><main><h1>{h1}</h1>{cards}</main></body></html>')


def story_page(head: str = "", extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (f"<!DOCTYPE html><html><head><title>Harbour plan approved</title>{head}</head>"
            f"<body><article><h1>Harbour plan approved</h1>{body}</article>{extra}</body></html>")


def reason(html: str | bytes, url: str = "https://site.example/x/",
           content_type: str | None = None) -> str | None:
    result = extract_page(html, url, content_type)
    assert (result.article is None) == (result.reason is not None)
    return result.reason


@pytest.mark.parametrize(("content_type", "kind"), [
    ("application/rss+xml; charset=utf-8", "feed"), ("application/atom+xml", "feed"),
    ("application/json", "JSON"), ("image/png", "not an HTML page"),
    ("application/pdf", "PDF"),
])
def test_non_html_content_types(content_type: str, kind: str) -> None:
    assert kind in (reason(story_page(), content_type=content_type) or "")


@pytest.mark.parametrize(("body", "kind"), [
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
     "feed"),
    ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
     "feed"),
    ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>', "feed"),
    ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
     "<url><loc>https://site.example/a/</loc></url></urlset>", "sitemap"),
    ('<?xml version="1.0"?><sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>',
     "sitemap"),
    ("User-agent: *\nDisallow: /private/\n", "no markup"),
])
def test_xml_documents_and_plain_text(body: str, kind: str) -> None:
    assert kind in (reason(body.encode(), content_type="text/xml") or "")


def test_error_page() -> None:
    html = ("<html><head><title>Page not found</title></head><body><h1>404 Not Found</h1>"
            "<p>The page you requested could not be found.</p></body></html>")
    assert reason(html) == "error page"


@pytest.mark.parametrize(("url", "body_class"), [
    ("https://site.example/?s=harbour", ""),
    ("https://site.example/search/harbour", ""),
    ("https://site.example/results", "search search-results"),
])
def test_search_pages(url: str, body_class: str) -> None:
    assert "search page" in (reason(listing(body_class), url) or "")


@pytest.mark.parametrize(("url", "body_class", "head"), [
    ("https://site.example/x/", "archive category category-news", ""),
    ("https://site.example/x/", "archive tag tag-harbour", ""),
    ("https://site.example/x/", "home blog paged paged-2", ""),
    ("https://site.example/x/", "", '<script type="application/ld+json">'
     + json.dumps({"@context": "https://schema.org", "@type": "CollectionPage"}) + "</script>"),
    ("https://site.example/tag/harbour/", "", ""),
    ("https://site.example/category/news/page/3/", "", ""),
    ("https://site.example/latest/?page=2", "", ""),
    ("https://site.example/", "", ""),  # no declaration at all: linked headlines, no story
])
def test_listing_pages(url: str, body_class: str, head: str) -> None:
    assert "listing page" in (reason(listing(body_class, head), url) or "")


def test_teaser_blob_is_rejected_even_when_declared_an_article() -> None:
    """A CMS that marks every page og:type=article still has its index rejected by its text."""
    items = "".join(f'<li><a href="/a/{n}">Story number {n} about the harbour plan and the '
                    f"ferries</a> — Staff, {n} May 2024</li>" for n in range(1, 8))
    html = (f'<html><head><meta property="og:type" content="article"></head><body><main>'
            f'<h1>Archive</h1><ul class="posts">{items}</ul></main></body></html>')
    assert "links to stories" in (reason(html) or "")


def test_article_with_related_teasers_is_kept() -> None:
    related = "<section>" + "".join(teaser(n) for n in range(1, 5)) + "</section>"
    assert reason(story_page(extra=related), "https://site.example/2024/05/harbour/") is None


def test_article_without_any_declaration_is_kept() -> None:
    assert reason(story_page(), "https://site.example/news/harbour-plan-approved") is None


def test_article_under_an_index_like_url_is_kept_when_it_declares_itself() -> None:
    head = '<meta property="og:type" content="article">'
    assert reason(story_page(head), "https://site.example/category/news/") is None


def test_too_little_text() -> None:
    html = ("<html><body><article><h1>Gallery</h1><p>Photos from the day.</p></article>"
            "</body></html>")
    assert (reason(html) or "").startswith("too little text")


@pytest.mark.parametrize("junk", [b"", b"\x00\xff\xfe garbage", b"<html", "<<<>>>&&&",
                                  b"\x1f\x8b\x08\x00 not really gzip"])
def test_junk_never_raises(junk: bytes | str) -> None:
    assert reason(junk) is not None


def test_article_under_a_paginated_url_is_kept_without_any_declaration() -> None:
    """Some Korean news CMSes serve articles at `?idx=123&page=1`: a URL is never evidence
    alone; the page has running text and no teaser cards."""
    assert reason(story_page(), "https://news.example.kr/news/view.php?idx=1234&page=1") is None


def test_index_url_with_a_text_of_story_links_and_no_running_text() -> None:
    """A tag page or front page with two items: too few cards for the shape rule, but its
    URL is an index's and its text is links to stories with no paragraph of running text."""
    cards = "".join(teaser(n) for n in range(1, 3))
    html = (f"<!DOCTYPE html><html><head><title>Tagged harbour</title></head><body><main>"
            f"<h1>Tagged harbour</h1>{cards}<p>Our newsroom covers the harbour, the ferries "
            f"and the council.</p></main></body></html>")
    for url in ("https://site.example/tag/harbour/", "https://site.example/"):
        assert "listing page" in (reason(html, url) or ""), url
    assert reason(html, "https://site.example/2024/05/harbour/") is None


def test_a_resource_page_linking_files_and_other_sites_is_an_article() -> None:
    """Links to PDFs and to other sites are not teasers of the site's stories."""
    items = "".join(f'<p><a href="/files/guide-{n}.pdf">Climate smart gardening guide part '
                    f'{n} (pdf)</a></p><p><a href="https://other{n}.example/">Botanic garden '
                    f"number {n} climate resources</a></p>" for n in range(1, 6))
    html = (f"<!DOCTYPE html><html><head><title>Gardening in a warming world</title></head>"
            f"<body><main><h1>Gardening in a warming world</h1><p>{STORY[0]}</p><p>{STORY[1]}"
            f"</p>{items}</main></body></html>")
    assert reason(html, "https://garden.example/climate/") is None


def test_schema_collection_page_wins_over_og_type_article() -> None:
    head = ('<meta property="og:type" content="article"><script type="application/ld+json">'
            + json.dumps({"@context": "https://schema.org", "@type": "CollectionPage"})
            + "</script>")
    assert "schema.org" in (reason(listing(head=head), "https://site.example/economy/") or "")


def _hub(blurb: Callable[[int], str], head: str = "") -> str:
    cards = "".join(
        f'<div class="c"><a href="/2024/05/story-{n}/">Story number {n} about the harbour and '
        f"the ferries</a><p>{blurb(n)}</p></div>" for n in range(1, 25))
    return (f"<!DOCTYPE html><html><head><title>Harbour hub</title>{head}</head><body><main>"
            f"<h1>Harbour</h1>{cards}</main></body></html>")


def test_a_hub_of_many_story_links_with_little_text_is_an_index() -> None:
    """Blurbs long enough to pass for paragraphs, but 24 headline links and under 20 words of
    text a link: a hub page."""
    same = _hub(lambda n: " ".join(["Some words of a short summary of this story."] * 5))
    assert "links to stories and" in (reason(same, "https://site.example/hub/harbour") or "")


def test_a_hub_saying_og_type_article_is_an_index_a_declared_article_is_kept() -> None:
    """og:type article alone is what themes say on every page; a schema.org Article is a
    declaration (a roundup of 24 linked items with their summaries is kept)."""
    def blurb(n: int) -> str:
        return " ".join(f"Summary {n} of this story, word {w}." for w in range(6))

    url = "https://site.example/hub/harbour"
    og_only = _hub(blurb, '<meta property="og:type" content="article">')
    assert (reason(og_only, url) or "").startswith("listing page"), reason(og_only, url)
    declared = _hub(blurb, '<script type="application/ld+json">{"@type": "NewsArticle", '
                           '"headline": "Harbour"}</script>')
    assert reason(declared, url) is None
