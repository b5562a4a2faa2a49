"""m31: a WordPress magazine (Foxiz-like theme) modelled on M31GlobalNews.

Paths: articles /YYYY/MM/slug/, home / and /page/N/, /category/<slug>/[page/N/],
/tag/<tag>/, search /?s=..., /feed/ (RSS 2.0), /feed/atom/, /sitemap_index.xml ->
/post-sitemap.xml + /news-sitemap.xml, /robots.txt (Disallow: /preview/).
"""

# ruff: noqa: E501  (HTML templates read better with their markup on one line)

from __future__ import annotations

import json
import re
from html import escape

from fixturesite import feeds
from fixturesite import m31_chrome as ui
from fixturesite.blocks import block_html
from fixturesite.context import Chrome, Page, SiteContext, esc, paginate
from fixturesite.model import ArticleView

NAME = ui.NAME
PER_PAGE = 2
DISALLOW = ["/preview/", "/wp-admin/"]


def post_id(view: ArticleView) -> int:
    return int(view.get("post_id", 1000 + sum(map(ord, view.path)) % 997))


def long_date(view_date: object) -> str:
    return f"{view_date:%B} {view_date.day}, {view_date:%Y}"  # type: ignore[attr-defined]


def author_box(ctx: SiteContext, name: str, short: bool) -> str:
    info = ctx.authors.get(name, {"role": "", "bio": ""})
    bio = info["bio"]
    if short:
        bio = bio[:180].rsplit(" ", 1)[0] + "..."
    css = "author-tooltip" if short else "author-box"
    return (f'<div class="{css}"><span class="by">By</span><a class="author-name" '
            f'href="{ctx.url("/author/" + ui.slug(name) + "/")}">{esc(name)}</a>'
            f'<p class="author-job">{esc(info["role"])}</p><p class="author-bio">{esc(bio)}</p>'
            '<span class="follow">Follow:</span></div>')


def jsonld(ctx: SiteContext, view: ArticleView) -> str:
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "headline": view.title, "datePublished": view.published.isoformat(),
        "dateModified": view.modified.isoformat(),
        "author": {"@type": "Person", "name": view.data.author,
                   "url": ctx.url("/author/" + ui.slug(view.data.author) + "/")},
        "publisher": {"@type": "Organization", "name": NAME},
        "mainEntityOfPage": ctx.article_url(view), "articleSection": view.data.section,
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def body_html(ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
    heads = [b["h2"] for b in view.body if isinstance(b, dict)]
    toc = "".join(f'<a href="#h-{ui.slug(h)}">{esc(h)}</a>' for h in heads)
    more = "".join(f'<div class="p-wrap"><a href="{ctx.url(f"/?p={pid}")}">{esc(t)}</a></div>'
                   for t, pid in chrome.shuffled(ui.MORE_READ) if t != view.title)
    fig = view.get("figure")
    out: list[str] = []
    paras = 0
    for block in view.body:
        if isinstance(block, dict) and "h2" in block:
            out.append(f'<h2 id="h-{ui.slug(block["h2"])}" class="wp-block-heading">'
                       f'{esc(block["h2"])}</h2>')
            continue
        out.append(block_html(block))
        paras += 1
        if paras == 1 and heads:
            out.append(f'<div class="ruby-table-contents rbtoc"><div class="toc-header">'
                       f'<span class="h3">Contents</span></div><div class="toc-content">{toc}'
                       "</div></div>")
        if paras == 1 and fig:
            out.append(f'<figure class="wp-block-image size-large"><img src="{ctx.url(fig["src"])}"'
                       f' alt="{esc(fig["alt"])}"><figcaption>{esc(fig["caption"])} | '
                       f'{esc(fig["credit"])}</figcaption></figure>')
        if paras == 4:
            out.append(f'<div class="related-sec more-read"><div class="inner"><h4 '
                       f'class="related-header">More Read</h4>{more}</div></div>')
        if paras in ui.PROMO_AFTER:
            out.append(promo(ctx, chrome))
    out.append(f'<p><a href="{ctx.url("/newsletter/")}">{ui.NEWSLETTER_LINE}</a></p>')
    if view.get("signoff"):
        out.append(f"<p><strong>{esc(view.get('signoff'))}</strong></p>")
    return "\n".join(out)


def promo(ctx: SiteContext, chrome: Chrome) -> str:
    """One in-body promo line: a label and a linked headline, both drawn by the chrome."""
    title, pid = chrome.pick(ui.PROMOS)
    label = chrome.pick(ui.PROMO_LABELS)
    link = f'<a href="{ctx.url(f"/?p={pid}")}">{esc(title)}</a>'
    if chrome.pick([True, False]):
        return f"<p><strong>{esc(label)}</strong> {link}</p>"
    return f"<p>{esc(label.upper())} {link}</p>"


def article(ctx: SiteContext, view: ArticleView, chrome: Chrome) -> str:
    url = ctx.article_url(view)
    pid = post_id(view)
    meta = f"""<link rel="canonical" href="{url}" />
<link rel="shortlink" href="{ctx.url(f"/?p={pid}")}" />
<meta property="og:type" content="article" />
<meta property="og:title" content="{esc(view.title)}" />
<meta property="og:description" content="{esc(view.get("dek", ""))}" />
<meta property="og:url" content="{url}" />
<meta property="og:site_name" content="{NAME}" />
<meta property="article:published_time" content="{view.published.isoformat()}" />
<meta property="article:modified_time" content="{view.modified.isoformat()}" />
<meta name="author" content="{esc(view.data.author)}" />
{jsonld(ctx, view)}"""
    section = view.data.section
    highlights = "".join(f"<li>{esc(h)}</li>" for h in view.get("highlights", []))
    box = f'<div class="s-highlights"><h4>Highlights</h4><ul>{highlights}</ul></div>' \
        if highlights else ""
    tags = "".join(f'<a href="{ctx.url("/tag/" + t + "/")}" rel="tag">{esc(t.replace("-", " ").title())}'
                   "</a>" for t in view.data.tags)
    others = [v for v in ctx.articles if v.path != view.path]
    prev_next = "".join(
        f'<div class="nav-el"><span class="nav-label">{label}</span><a href="{ctx.article_url(v)}">'
        f"{esc(v.title)}</a></div>" for label, v in zip(["Previous Article", "Next Article"],
                                                         others[:2], strict=False))
    cat = ui.slug(section)
    return f"""{ui.head(ctx, view.title, meta)}
<body class="post-template-default single single-post postid-{pid} single-format-standard">
{ui.header(ctx, chrome, view.title)}
<div class="breadcrumb-wrap"><nav class="breadcrumb"><a href="{ctx.url("/")}">Home</a> | <a href="{ctx.url("/article-library/")}">Archives</a> | <a href="{ctx.url(f"/category/{cat}/")}">{esc(section)}</a></nav></div>
<div class="single-standard-wrap"><main id="primary" class="site-main">
<article id="post-{pid}" class="post-{pid} post type-post status-publish format-standard has-post-thumbnail category-{cat}">
<header class="single-header">
<div class="p-categories"><a class="p-category" href="{ctx.url(f"/category/{cat}/")}">{esc(section)}</a></div>
<h1 class="s-title">{esc(view.title)}</h1>
<h2 class="s-tagline">{esc(view.get("dek", ""))}</h2>
<div class="single-meta"><span class="meta-label">By</span> <a class="meta-author" rel="author" href="{ctx.url("/author/" + ui.slug(view.data.author) + "/")}">{esc(view.data.author)}</a>
{author_box(ctx, view.data.author, short=True)}
<span class="meta-updated">Last updated: <time class="updated" datetime="{view.modified.isoformat()}">{long_date(view.modified)}</time></span>
<span class="meta-read">{view.get("read_minutes", 5)} Min Read</span>
<span class="meta-views">{chrome.count(200, 9000)} Views</span>
<a class="share-action" href="#">SHARE</a></div>
</header>
{box}
<div class="entry-content rbct clearfix is-highlight-shares">
{body_html(ctx, view, chrome)}
</div>
<div class="efoot"><span class="blabel">TAGGED:</span>{tags}</div>
{ui.newsletter_box()}
<div class="sharing-bar"><span>Share</span><a href="#">Facebook</a><a href="#">X</a><a href="#">Copy Link</a></div>
{ui.reactions(chrome)}
{author_box(ctx, view.data.author, short=False)}
<nav class="single-post-nav">{prev_next}</nav>
{ui.comment_form(ctx, chrome, pid)}
</article></main>
{ui.sidebar(ctx, chrome)}</div>
{ui.also_like(ctx, chrome)}
{ui.footer(ctx)}
<script>var foxizCoreParams = {{"ajaxurl":"/wp-admin/admin-ajax.php","nonce":"{chrome.nonce()}","postViews":{chrome.count(200, 9000)}}};</script>
</body></html>
"""


def listing(ctx: SiteContext, title: str, items: list[ArticleView], page: int, base: str,
            chrome: Chrome) -> Page | None:
    shown, pages = paginate(items, page, PER_PAGE)
    if page > pages:
        return None
    cards = "".join(f"""<article class="p-wrap p-grid"><h3 class="entry-title"><a class="p-url" href="{ctx.link(v)}">{esc(v.title)}</a></h3>
<p class="entry-summary">{esc(v.get("dek", ""))}</p><div class="p-meta"><span class="meta-author">By {esc(v.data.author)}</span> <time datetime="{v.published.isoformat()}">{long_date(v.published)}</time></div></article>
""" for v in shown)
    nav = ""
    if page < pages:
        nav += f'<a class="next page-numbers" href="{ctx.url(f"{base}page/{page + 1}/")}">Next</a>'
    if page > 1:
        prev = base if page == 2 else f"{base}page/{page - 1}/"
        nav = f'<a class="prev page-numbers" href="{ctx.url(prev)}">Previous</a>' + nav
    preview = "".join(f'<li><a href="{ctx.article_url(v)}">{esc(v.title)}</a> <em>(members '
                      "preview)</em></li>" for v in ctx.hidden)
    body = f"""{ui.head(ctx, title)}
<body class="archive category">
{ui.header(ctx, chrome, None)}
<main id="primary" class="site-main"><header class="archive-header"><h1 class="archive-title">{esc(title)}</h1></header>
<div class="block-wrap block-grid">{cards}</div>
<nav class="pagination-wrap">{nav}</nav>
<section class="members-preview"><h4>Coming soon for members</h4><ul>{preview}</ul></section>
</main>
{ui.sidebar(ctx, chrome)}
{ui.footer(ctx)}
</body></html>
"""
    return Page(body, "text/html; charset=utf-8", ctx.now)


def _page_no(path: str, base: str) -> int | None:
    match = re.fullmatch(re.escape(base) + r"(?:page/(\d+)/)?", path)
    if not match:
        return None
    return int(match.group(1) or 1)


def route(ctx: SiteContext, path: str, query: dict[str, str]) -> Page | None:
    """Non-article pages of the site; None for an unknown path (404)."""
    chrome = Chrome("m31", path, ctx.state)
    xml = "application/xml; charset=utf-8"
    items = ctx.articles
    if path == "/" and "s" in query:
        words = query["s"].lower()
        hits = [v for v in items if words in (v.title + " ".join(v.paragraphs)).lower()]
        return listing(ctx, f"Search Results for: {escape(query['s'])}", hits, 1, "/", chrome)
    if (page := _page_no(path, "/")) is not None:
        return listing(ctx, NAME, items, page, "/", chrome)
    if match := re.fullmatch(r"/(category|tag)/([a-z0-9-]+)/(?:page/(\d+)/)?", path):
        kind, name, page = match.group(1), match.group(2), int(match.group(3) or 1)
        if kind == "category":
            chosen = [v for v in items if ui.slug(v.data.section) == name]
            title = next((m for m in ui.MENU if ui.slug(m) == name), None)
        else:
            chosen = ctx.tagged(name)
            title = name.replace("-", " ").title() if chosen else None
        if title is None:
            return None
        return listing(ctx, f"{title} Archives", chosen, page, f"/{kind}/{name}/", chrome)
    if path == "/feed/":
        body = feeds.rss2(ctx, NAME, path, items, ctx.link, "Space, science and geopolitics",
                          full=True)
        return Page(body, "application/rss+xml; charset=utf-8", ctx.now)
    if path == "/feed/atom/":
        return Page(feeds.atom(ctx, NAME, path, items, ctx.link),
                    "application/atom+xml; charset=utf-8", ctx.now)
    if path == "/sitemap_index.xml":
        return Page(feeds.sitemap_index(ctx, ["/post-sitemap.xml", "/news-sitemap.xml"]), xml,
                    ctx.now)
    if path == "/post-sitemap.xml":
        return Page(feeds.urlset(ctx, items), xml, ctx.now)
    if path == "/news-sitemap.xml":
        return Page(feeds.news_sitemap(ctx, items, NAME), xml, ctx.now)
    if path == "/robots.txt":
        return Page(feeds.robots(ctx, DISALLOW, "/sitemap_index.xml"),
                    "text/plain; charset=utf-8", ctx.now)
    return None


def non_article_paths(ctx: SiteContext) -> list[str]:
    paths = ["/", "/?s=korea", "/feed/", "/feed/atom/", "/sitemap_index.xml",
             "/post-sitemap.xml", "/news-sitemap.xml"]
    pages = paginate(ctx.articles, 1, PER_PAGE)[1]
    paths += [f"/page/{n}/" for n in range(2, pages + 1)]
    for section in dict.fromkeys(v.data.section for v in ctx.articles):
        base = f"/category/{ui.slug(section)}/"
        count = paginate([v for v in ctx.articles if v.data.section == section], 1, PER_PAGE)[1]
        paths += [base] + [f"{base}page/{n}/" for n in range(2, count + 1)]
    paths += [f"/tag/{t}/" for t in ctx.tags()]
    return paths
