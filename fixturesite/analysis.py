"""analysis: a plain think-tank analysis blog (Eastgate Policy Review), minimal chrome.

Paths: articles /analysis/<slug>.html, home / and /archive/[page-N.html], /tags/<tag>.html,
/rss.xml (RSS 2.0), /atom.xml, /index.rdf (RSS 1.0), /sitemap-index.xml -> /sitemap.xml +
/sitemap-news.xml, /robots.txt (Disallow: /drafts/), encoding test pages /encoding/*.html.

Its article pages do not change between states (only churn varies them), so a monitor
re-ingesting this site meets 304s.
"""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

import re

from fixturesite import feeds
from fixturesite.blocks import block_html
from fixturesite.context import Chrome, Page, SiteContext, esc, paginate
from fixturesite.model import ArticleView

NAME = "Eastgate Policy Review"
STABLE_ACROSS_STATES = True
PER_PAGE = 3
DISALLOW = ["/drafts/", "/cgi-bin/"]
BRIEFING = "Sign up for our monthly briefing on security and the economy."
FOOTER = "© 2025 Eastgate Policy Review. The views expressed are the authors’ own."


def day(view_date: object) -> str:
    return f"{view_date.day} {view_date:%B %Y}"  # type: ignore[attr-defined]


def head(ctx: SiteContext, title: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{esc(title)} — {NAME}</title>
<link rel="stylesheet" href="{ctx.url("/style.css")}">
<link rel="alternate" type="application/atom+xml" href="{ctx.url("/atom.xml")}">
{extra}
</head>
<body>
<header><p class="site"><a href="{ctx.url("/")}">{NAME}</a></p>
<nav><a href="{ctx.url("/archive/")}">Archive</a> <a href="{ctx.url("/about.html")}">About</a> <a href="{ctx.url("/rss.xml")}">RSS</a></nav></header>"""


def tail(ctx: SiteContext, chrome: Chrome) -> str:
    return f"""<footer><form class="briefing" action="{ctx.url("/subscribe")}" method="post"><p>{BRIEFING}</p>
<input type="email" name="email"><input type="hidden" name="csrf" value="{chrome.nonce(12)}"><button>Subscribe</button></form>
<p>{FOOTER}</p></footer>
</body>
</html>
"""


def article(ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
    url = ctx.article_url(view)
    notes = view.get("footnotes", [])
    meta = f"""<link rel="canonical" href="{url}">
<meta name="author" content="{esc(view.data.author)}">
<meta name="date" content="{view.published.date().isoformat()}">
<meta name="description" content="{esc(view.paragraphs[0][:160])}">"""
    read_also = ""
    if view.get("top_link"):
        read_also = (f'<p class="read-also">Read also: <a href="{ctx.url("/archive/")}">'
                     f'{esc(view.get("top_link"))}</a></p>')
    body = "\n".join(block_html(b, footnotes=bool(notes)) for b in view.body)
    note_list = "".join(f'<li id="fn-{i}">{esc(n)} <a href="#ref-{i}">↩</a></li>'
                        for i, n in enumerate(notes, 1))
    notes_html = f'<section class="footnotes"><h2>Notes</h2><ol>{note_list}</ol></section>' \
        if notes else ""
    bio = ctx.authors.get(view.data.author, {}).get("bio", "")
    others = [v for v in ctx.articles if v.path != view.path]
    most_read = "".join(f'<li><a href="{ctx.article_url(v)}">{esc(v.title)}</a></li>'
                        for v in chrome.shuffled(others))
    tags = ", ".join(f'<a href="{ctx.url("/tags/" + t + ".html")}">{esc(t)}</a>'
                     for t in view.data.tags)
    return f"""{head(ctx, view.title, meta)}
<main>
{read_also}
<article>
<h1>{esc(view.title)}</h1>
<p class="byline">By {esc(view.data.author)} · <time datetime="{view.published.date().isoformat()}">{day(view.published)}</time></p>
{body}
{notes_html}
<p class="about-author"><em>{esc(bio)}</em></p>
<p class="tags">Filed under: {tags}</p>
</article>
<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>
</main>
{tail(ctx, chrome)}"""


def listing(ctx: SiteContext, title: str, items: list[ArticleView], page: int,
            next_path: str | None, chrome: Chrome) -> Page:
    rows = "".join(f'<li><a href="{ctx.link(v)}">{esc(v.title)}</a> — {esc(v.data.author)}, '
                   f"{day(v.published)}</li>" for v in items)
    nav = f'<p class="next"><a href="{ctx.url(next_path)}">Older posts</a></p>' \
        if next_path else ""
    body = f"""{head(ctx, title)}
<main><h1>{esc(title)}</h1><ul class="posts">{rows}</ul>{nav}</main>
{tail(ctx, chrome)}"""
    return Page(body, "text/html; charset=utf-8", ctx.now)


def route(ctx: SiteContext, path: str, query: dict[str, str]) -> Page | None:
    """Non-article pages of the site; None for an unknown path (404)."""
    chrome = Chrome("analysis", path)
    xml = "application/xml; charset=utf-8"
    items = ctx.articles
    if path == "/":
        return listing(ctx, NAME, items[:PER_PAGE], 1, "/archive/", chrome)
    if match := re.fullmatch(r"/archive/(?:page-(\d+)\.html)?", path):
        page = int(match.group(1) or 1)
        shown, pages = paginate(items, page, PER_PAGE)
        if page > pages or match.group(1) == "1":
            return None
        nxt = f"/archive/page-{page + 1}.html" if page < pages else None
        return listing(ctx, f"Archive, page {page}", shown, page, nxt, chrome)
    if match := re.fullmatch(r"/tags/([a-z0-9-]+)\.html", path):
        chosen = ctx.tagged(match.group(1))
        return listing(ctx, f"Tagged {match.group(1)}", chosen, 1, None, chrome) \
            if chosen else None
    feed_types = {"/rss.xml": "application/rss+xml", "/atom.xml": "application/atom+xml",
                  "/index.rdf": "application/rdf+xml"}
    if path in feed_types:
        if path == "/rss.xml":
            text = feeds.rss2(ctx, NAME, path, items, ctx.link, "Security and economics analysis")
        elif path == "/atom.xml":
            text = feeds.atom(ctx, NAME, path, items, ctx.link)
        else:
            text = feeds.rss1(ctx, NAME, path, items, ctx.link, "Security and economics analysis")
        return Page(text, feed_types[path] + "; charset=utf-8", ctx.now)
    if path == "/sitemap-index.xml":
        return Page(feeds.sitemap_index(ctx, ["/sitemap.xml", "/sitemap-news.xml"]), xml, ctx.now)
    if path == "/sitemap.xml":
        return Page(feeds.urlset(ctx, items), xml, ctx.now)
    if path == "/sitemap-news.xml":
        return Page(feeds.news_sitemap(ctx, items, NAME), xml, ctx.now)
    if path == "/robots.txt":
        return Page(feeds.robots(ctx, DISALLOW, "/sitemap-index.xml"),
                    "text/plain; charset=utf-8", ctx.now)
    return None


def non_article_paths(ctx: SiteContext) -> list[str]:
    paths = ["/", "/archive/", "/rss.xml", "/atom.xml", "/index.rdf", "/sitemap-index.xml",
             "/sitemap.xml", "/sitemap-news.xml"]
    pages = paginate(ctx.articles, 1, PER_PAGE)[1]
    paths += [f"/archive/page-{n}.html" for n in range(2, pages + 1)]
    paths += [f"/tags/{t}.html" for t in ctx.tags()]
    return paths
