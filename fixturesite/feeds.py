"""Feeds (RSS 2.0, RSS 1.0, Atom), sitemaps (index, urlset, Google News) and robots.txt.

Every URL is absolute, built from the site's base URL at serve time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xesc

from fixturesite.context import SiteContext
from fixturesite.model import ArticleView

LinkFn = Callable[[ArticleView], str]


def _summary(view: ArticleView) -> str:
    first = view.paragraphs[0] if view.paragraphs else ""
    return first if len(first) < 300 else first[:297].rsplit(" ", 1)[0] + "…"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rss2(ctx: SiteContext, title: str, path: str, items: list[ArticleView],
         link: LinkFn, description: str, full: bool = False, language: str = "en-US") -> str:
    """An RSS 2.0 feed (WordPress-like, with dc:creator and content:encoded when `full`)."""
    entries = []
    for view in items:
        content = ""
        if full:
            html = "".join(f"<p>{xesc(p)}</p>" for p in view.paragraphs)
            content = f"\n      <content:encoded><![CDATA[{html}]]></content:encoded>"
        cats = "".join(f"\n      <category><![CDATA[{t}]]></category>" for t in view.data.tags)
        entries.append(f"""    <item>
      <title>{xesc(view.title)}</title>
      <link>{xesc(link(view))}</link>
      <dc:creator><![CDATA[{view.data.author}]]></dc:creator>
      <pubDate>{format_datetime(view.published, usegmt=True)}</pubDate>{cats}
      <guid isPermaLink="false">{xesc(ctx.article_url(view))}</guid>
      <description><![CDATA[{_summary(view)}]]></description>{content}
    </item>""")
    built = max([v.modified for v in items], default=ctx.now)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
  <channel>
    <title>{xesc(title)}</title>
    <atom:link href="{xesc(ctx.url(path))}" rel="self" type="application/rss+xml" />
    <link>{xesc(ctx.url("/"))}</link>
    <description>{xesc(description)}</description>
    <lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>
    <language>{language}</language>
    <sy:updatePeriod>hourly</sy:updatePeriod>
    <sy:updateFrequency>1</sy:updateFrequency>
{chr(10).join(entries)}
  </channel>
</rss>
"""


def atom(ctx: SiteContext, title: str, path: str, items: list[ArticleView],
         link: LinkFn) -> str:
    """An Atom 1.0 feed."""
    entries = []
    for view in items:
        entries.append(f"""  <entry>
    <title type="html">{xesc(view.title)}</title>
    <link rel="alternate" type="text/html" href="{xesc(link(view))}" />
    <id>{xesc(ctx.article_url(view))}</id>
    <author><name>{xesc(view.data.author)}</name></author>
    <published>{_iso(view.published)}</published>
    <updated>{_iso(view.modified)}</updated>
    <summary type="html">{xesc(_summary(view))}</summary>
  </entry>""")
    updated = max([v.modified for v in items], default=ctx.now)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">
  <title type="text">{xesc(title)}</title>
  <id>{xesc(ctx.url(path))}</id>
  <updated>{_iso(updated)}</updated>
  <link rel="alternate" type="text/html" href="{xesc(ctx.url("/"))}" />
  <link rel="self" type="application/atom+xml" href="{xesc(ctx.url(path))}" />
{chr(10).join(entries)}
</feed>
"""


def rss1(ctx: SiteContext, title: str, path: str, items: list[ArticleView],
         link: LinkFn, description: str) -> str:
    """An RSS 1.0 (RDF) feed."""
    seq = "\n".join(f'        <rdf:li rdf:resource="{xesc(link(v))}" />' for v in items)
    entries = "\n".join(f"""  <item rdf:about="{xesc(link(v))}">
    <title>{xesc(v.title)}</title>
    <link>{xesc(link(v))}</link>
    <description>{xesc(_summary(v))}</description>
    <dc:creator>{xesc(v.data.author)}</dc:creator>
    <dc:date>{_iso(v.published)}</dc:date>
  </item>""" for v in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{xesc(ctx.url(path))}">
    <title>{xesc(title)}</title>
    <link>{xesc(ctx.url("/"))}</link>
    <description>{xesc(description)}</description>
    <items>
      <rdf:Seq>
{seq}
      </rdf:Seq>
    </items>
  </channel>
{entries}
</rdf:RDF>
"""


def sitemap_index(ctx: SiteContext, paths: list[str]) -> str:
    """A sitemap index listing the site's sitemaps, lastmod = the newest article."""
    lastmod = _iso(max([v.modified for v in ctx.articles], default=ctx.now))
    entries = "\n".join(
        f"  <sitemap>\n    <loc>{xesc(ctx.url(p))}</loc>\n    <lastmod>{lastmod}</lastmod>\n"
        "  </sitemap>" for p in paths)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</sitemapindex>
"""


def urlset(ctx: SiteContext, items: list[ArticleView]) -> str:
    """A regular sitemap of the articles with lastmod."""
    entries = "\n".join(f"""  <url>
    <loc>{xesc(ctx.article_url(v))}</loc>
    <lastmod>{_iso(v.modified)}</lastmod>
  </url>""" for v in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</urlset>
"""


def news_sitemap(ctx: SiteContext, items: list[ArticleView], name: str) -> str:
    """A Google News sitemap (news:publication_date, news:title) with lastmod."""
    entries = "\n".join(f"""  <url>
    <loc>{xesc(ctx.article_url(v))}</loc>
    <lastmod>{_iso(v.modified)}</lastmod>
    <news:news>
      <news:publication>
        <news:name>{xesc(name)}</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>{_iso(v.published)}</news:publication_date>
      <news:title>{xesc(v.title)}</news:title>
    </news:news>
  </url>""" for v in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{entries}
</urlset>
"""


def robots(ctx: SiteContext, disallow: list[str], sitemap: str) -> str:
    lines = ["User-agent: *"] + [f"Disallow: {p}" for p in disallow]
    return "\n".join(lines) + f"\n\nSitemap: {ctx.url(sitemap)}\n"
