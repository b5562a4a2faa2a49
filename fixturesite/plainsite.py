"""A plain local-language news site: one template, its words supplied per site.

The Korean (`koreanews`) and Russian (`rusnews`) fixture sites are written in their own
language, chrome included (navigation, related links, newsletter box, footer), so a
monitor meets the inflected forms a topic query in those languages has to match.

Paths: articles at their own path, home `/` (every article as a teaser card, newest first), `/rss.xml`
(RSS 2.0 with the full text), `/sitemap-index.xml` -> `/sitemap.xml` + `/sitemap-news.xml`,
`/robots.txt`.
"""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fixturesite import feeds
from fixturesite.blocks import block_html
from fixturesite.context import Chrome, Page, SiteContext, esc
from fixturesite.model import ArticleView


@dataclass(frozen=True)
class Words:
    """What the site says, in its language."""

    key: str  # the site's name in FixtureSites
    name: str
    lang: str  # html lang and the feed's <language>
    tagline: str
    nav: tuple[str, ...]  # section names in the menu
    by: str  # byline prefix
    related: str  # heading of the related-articles box
    newsletter: str  # newsletter box prompt
    subscribe: str  # its button
    footer: str
    date: Callable[[datetime], str]
    disallow: tuple[str, ...] = ("/admin/",)

    @property
    def boilerplate(self) -> list[str]:
        """Chrome lines every article page shows (the expectations' must-not lines)."""
        return [self.newsletter, self.footer]


def head(words: Words, ctx: SiteContext, title: str, extra: str = "") -> str:
    menu = " ".join(f'<a href="{ctx.url("/")}#s{i}">{esc(s)}</a>' for i, s in enumerate(words.nav))
    return f"""<!DOCTYPE html>
<html lang="{words.lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} | {esc(words.name)}</title>
<link rel="alternate" type="application/rss+xml" href="{ctx.url("/rss.xml")}">
{extra}
</head>
<body>
<header class="masthead"><p class="logo"><a href="{ctx.url("/")}">{esc(words.name)}</a> <span>{esc(words.tagline)}</span></p>
<nav class="menu">{menu}</nav></header>"""


def tail(words: Words, ctx: SiteContext, chrome: Chrome) -> str:
    return f"""<aside class="newsletter"><form action="{ctx.url("/subscribe")}" method="post"><p>{esc(words.newsletter)}</p>
<input type="email" name="email"><input type="hidden" name="token" value="{chrome.nonce(12)}"><button>{esc(words.subscribe)}</button></form></aside>
<footer><p>{esc(words.footer)}</p></footer>
</body>
</html>
"""


def article(words: Words, ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
    url = ctx.article_url(view)
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": view.title,
          "author": {"@type": "Person", "name": view.data.author},
          "datePublished": view.published.isoformat(), "dateModified": view.modified.isoformat(),
          "inLanguage": words.lang, "mainEntityOfPage": url}
    meta = f"""<link rel="canonical" href="{url}">
<meta property="og:title" content="{esc(view.title)}">
<meta property="og:type" content="article">
<meta name="author" content="{esc(view.data.author)}">
<meta name="description" content="{esc(view.paragraphs[0][:120])}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>"""
    body = "\n".join(block_html(b) for b in view.body)
    others = chrome.shuffled([v for v in ctx.articles if v.path != view.path])
    related = "".join(f'<li><a href="{ctx.link(v)}">{esc(v.title)}</a></li>' for v in others)
    return f"""{head(words, ctx, view.title, meta)}
<main>
<article>
<p class="section">{esc(view.data.section)}</p>
<h1>{esc(view.title)}</h1>
<p class="byline">{esc(words.by)} {esc(view.data.author)} · <time datetime="{view.published.isoformat()}">{words.date(view.published)}</time></p>
<div class="article-body">
{body}
</div>
</article>
<aside class="related"><h2>{esc(words.related)}</h2><ul>{related}</ul></aside>
</main>
{tail(words, ctx, chrome)}"""


def teaser(view: ArticleView) -> str:
    """The first sentence or so of the article, as a front page shows it."""
    first = view.paragraphs[0]
    return first if len(first) <= 80 else first[:80].rsplit(" ", 1)[0] + "…"


def route(words: Words, ctx: SiteContext, path: str) -> Page | None:
    """Non-article pages of the site; None for an unknown path (404)."""
    chrome = Chrome(words.key, path)
    xml = "application/xml; charset=utf-8"
    if path == "/":
        cards = "\n".join(
            f'<article class="teaser"><p class="section">{esc(v.data.section)}</p><h2><a href="{ctx.link(v)}">{esc(v.title)}</a></h2>'
            f'<p class="summary">{esc(teaser(v))}</p><p class="meta">{esc(v.data.author)} · <time datetime="{v.published.isoformat()}">{words.date(v.published)}</time></p></article>'
            for v in ctx.articles)
        html = f"""{head(words, ctx, words.name)}
<main class="front"><h1>{esc(words.tagline)}</h1>
{cards}
</main>
{tail(words, ctx, chrome)}"""
        return Page(html, "text/html; charset=utf-8", ctx.now)
    if path == "/rss.xml":
        text = feeds.rss2(ctx, words.name, path, ctx.articles, ctx.link, words.tagline,
                          full=True, language=words.lang)
        return Page(text, "application/rss+xml; charset=utf-8", ctx.now)
    if path == "/sitemap-index.xml":
        return Page(feeds.sitemap_index(ctx, ["/sitemap.xml", "/sitemap-news.xml"]), xml, ctx.now)
    if path == "/sitemap.xml":
        return Page(feeds.urlset(ctx, ctx.articles), xml, ctx.now)
    if path == "/sitemap-news.xml":
        return Page(feeds.news_sitemap(ctx, ctx.articles, words.name), xml, ctx.now)
    if path == "/robots.txt":
        return Page(feeds.robots(ctx, list(words.disallow), "/sitemap-index.xml"),
                    "text/plain; charset=utf-8", ctx.now)
    return None


def non_article_paths(ctx: SiteContext) -> list[str]:
    return ["/", "/rss.xml", "/sitemap-index.xml", "/sitemap.xml", "/sitemap-news.xml"]


class PlainSite:
    """The functions FixtureSites calls on a site module, for one site's words."""

    STABLE_ACROSS_STATES = True  # only churn changes its article pages

    def __init__(self, words: Words) -> None:
        self.words = words

    def article(self, ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
        return article(self.words, ctx, view, chrome)

    def route(self, ctx: SiteContext, path: str, query: dict[str, str]) -> Page | None:
        return route(self.words, ctx, path)

    non_article_paths = staticmethod(non_article_paths)
