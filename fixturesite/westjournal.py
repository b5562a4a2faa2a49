"""westjournal: a republishing news site (custom CMS) like the one seed 003 came from.

Paths: articles /news/<slug>/, home / and /latest/[?page=N], /section/<name>/,
/topic/<tag>/, /feed/ (RSS 2.0), /feed/atom.xml, /feed.rdf (RSS 1.0), /sitemap.xml (index)
-> /sitemaps/articles.xml + /sitemaps/news.xml, /robots.txt (Disallow: /members/ /search).
"""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime

from fixturesite import feeds
from fixturesite import westjournal_chrome as ui
from fixturesite.blocks import block_html
from fixturesite.context import Chrome, Page, SiteContext, esc, paginate
from fixturesite.model import ArticleView

NAME = ui.NAME
PER_PAGE = 3
DISALLOW = ["/members/", "/search"]


def stamp(moment: datetime) -> str:
    """Dates as this CMS prints them: "January 22, 2024 at 2:14pm"."""
    hour = moment.hour % 12 or 12
    return (f"{moment:%B} {moment.day}, {moment:%Y} at {hour}:{moment:%M}"
            f"{'am' if moment.hour < 12 else 'pm'}")


def syndication_note(ctx: SiteContext, view: ArticleView) -> str:
    if view.original is not None:
        source = esc(view.get("syndication_source", ""))
        return (f'<p class="wj-syndication"><em>This article originally appeared on '
                f'<a href="{ctx.article_url(view.original)}">{source}</a>.</em></p>')
    if view.get("syndication_line"):
        return f'<p class="wj-syndication"><em>{esc(view.get("syndication_line"))}</em></p>'
    return ""


def article(ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
    url = ctx.article_url(view)  # a syndicated copy points canonical at itself, as many do
    byline = esc(view.data.author)
    if view.original is not None:
        byline += f", {esc(view.get('syndication_source', ''))}"
    ld = {"@context": "http://schema.org", "@type": "Article", "headline": view.title,
          "datePublished": view.published.isoformat(), "dateModified": view.modified.isoformat(),
          "author": [{"@type": "Person", "name": view.data.author}],
          "publisher": {"@type": "Organization", "name": NAME}}
    meta = f"""<link rel="canonical" href="{url}">
<meta name="description" content="{esc(view.paragraphs[0][:150])}">
<meta property="og:title" content="{esc(view.title)}">
<meta property="og:url" content="{url}">
<meta name="parsely-pub-date" content="{view.published.isoformat()}">
<meta name="sailthru.author" content="{esc(view.data.author)}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>"""
    blocks = [block_html(b) for b in view.body]
    blocks.insert(3, ui.inline_related(ctx, chrome))
    body = "\n".join(blocks)
    topics = "".join(f'<a class="wj-topic" href="{ctx.url("/topic/" + t + "/")}">{esc(t)}</a>'
                     for t in view.data.tags)
    return f"""{ui.head(ctx, view.title, meta)}
{ui.topbar(ctx, chrome)}
<div class="wj-page"><div class="wj-main">
<div class="wj-article" data-id="{zlib.crc32(view.path.encode()) % 100000}">
<div class="wj-kicker"><a href="{ctx.url("/section/" + view.data.section.lower() + "/")}">{esc(view.data.section)}</a></div>
<h1 class="wj-headline">{esc(view.title)}</h1>
<div class="wj-byline">By <span class="wj-author">{byline}</span> | <span class="wj-timestamp" data-time="{int(view.published.timestamp())}">{stamp(view.published)}</span></div>
{ui.share_bar(chrome)}
<div class="wj-article__body" itemprop="articleBody">
{body}
{syndication_note(ctx, view)}
{ui.standards()}
</div>
<div class="wj-topics">{topics}</div>
</div>
{ui.related(ctx, chrome)}
{ui.donate(chrome)}
{ui.newsletter(chrome)}
{ui.comments(chrome)}
</div>
<div class="wj-rail">{ui.sponsored(ctx, chrome)}</div></div>
<script>window.wjConfig={{"pageViewToken":"{chrome.nonce(16)}","region":"us"}};</script>
{ui.footer(ctx)}"""


def listing(ctx: SiteContext, title: str, items: list[ArticleView], page: int, base: str,
            chrome: Chrome) -> Page | None:
    shown, pages = paginate(items, page, PER_PAGE)
    if page > pages:
        return None
    cards = "".join(f"""<div class="wj-card"><a class="wj-card__link" href="{ctx.link(v)}"><h2 class="wj-card__title">{esc(v.title)}</h2></a>
<p class="wj-card__meta">{esc(v.data.author)} | {stamp(v.published)}</p></div>
""" for v in shown)
    nav = ""
    if page > 1:
        nav += f'<a class="wj-pager__prev" href="{ctx.url(base if page == 2 else f"{base}?page={page - 1}")}">Newer</a>'
    if page < pages:
        nav += f'<a class="wj-pager__next" rel="next" href="{ctx.url(f"{base}?page={page + 1}")}">Older</a>'
    body = f"""{ui.head(ctx, title)}
{ui.topbar(ctx, chrome)}
<div class="wj-page"><div class="wj-main"><h1 class="wj-listing__title">{esc(title)}</h1>
<div class="wj-cards">{cards}</div><div class="wj-pager">{nav}</div></div>
<div class="wj-rail">{ui.sponsored(ctx, chrome)}</div></div>
{ui.footer(ctx)}"""
    return Page(body, "text/html; charset=utf-8", ctx.now)


def route(ctx: SiteContext, path: str, query: dict[str, str]) -> Page | None:
    """Non-article pages of the site; None for an unknown path (404)."""
    chrome = Chrome("westjournal", path, ctx.state)
    xml = "application/xml; charset=utf-8"
    items = ctx.articles
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    if path in ("/", "/latest/"):
        return listing(ctx, "Latest News", items, page, path, chrome)
    if match := re.fullmatch(r"/(section|topic)/([a-z0-9-]+)/", path):
        kind, name = match.groups()
        chosen = (ctx.tagged(name) if kind == "topic"
                  else [v for v in items if v.data.section.lower() == name])
        if not chosen:
            return None
        return listing(ctx, name.replace("-", " ").title(), chosen, page, path, chrome)
    if path == "/feed/":
        return Page(feeds.rss2(ctx, NAME, path, items, ctx.link, "News you can share"),
                    "application/rss+xml; charset=utf-8", ctx.now)
    if path == "/feed/atom.xml":
        return Page(feeds.atom(ctx, NAME, path, items, ctx.link),
                    "application/atom+xml; charset=utf-8", ctx.now)
    if path == "/feed.rdf":
        return Page(feeds.rss1(ctx, NAME, path, items, ctx.link, "News you can share"),
                    "application/rdf+xml; charset=utf-8", ctx.now)
    if path == "/sitemap.xml":
        return Page(feeds.sitemap_index(ctx, ["/sitemaps/articles.xml", "/sitemaps/news.xml"]),
                    xml, ctx.now)
    if path == "/sitemaps/articles.xml":
        return Page(feeds.urlset(ctx, items), xml, ctx.now)
    if path == "/sitemaps/news.xml":
        return Page(feeds.news_sitemap(ctx, items, NAME), xml, ctx.now)
    if path == "/robots.txt":
        return Page(feeds.robots(ctx, DISALLOW, "/sitemap.xml"), "text/plain; charset=utf-8",
                    ctx.now)
    return None


def non_article_paths(ctx: SiteContext) -> list[str]:
    paths = ["/", "/latest/", "/feed/", "/feed/atom.xml", "/feed.rdf", "/sitemap.xml",
             "/sitemaps/articles.xml", "/sitemaps/news.xml"]
    pages = paginate(ctx.articles, 1, PER_PAGE)[1]
    paths += [f"/latest/?page={n}" for n in range(2, pages + 1)]
    paths += [f"/section/{s.lower()}/" for s in dict.fromkeys(v.data.section for v in ctx.articles)]
    paths += [f"/topic/{t}/" for t in ctx.tags()]
    return paths
