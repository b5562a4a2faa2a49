"""Find what to configure for a site: its feeds, its sitemaps, or a listing page and a
`follow` pattern for its article links (what `newswatch discover` suggests).

    finding = find_sources("https://example.org/", fetch)
    finding.suggestion()   # {"feed": [...], "sitemap": [...]} or {"start": [...], "follow": [...]}

`fetch(url) -> Page` is the caller's: it decides how to fetch politely (robots.txt,
delays, the private-address rule; see newswatch.discover.PoliteFetcher) and raises
FetchFailed when it will not or cannot. The driver asks for one URL at a time, and only
for what it needs: the page, the feeds it links to (trafilatura's feed finder), the
robots.txt `Sitemap:` lines, and common feed and sitemap paths only when those found
nothing. Everything else here is a pure function, testable without the network.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from protego import Protego
from trafilatura.feeds import FeedParameters, determine_feed

from crawler.discovery import DiscoveryError, Kind, absolute_http_url, host_of, parse_document
from crawler.listing import parse_listing
from extract.decode import decode_body

# Tried, in this order, on the site's root only when the page links to no feed ...
COMMON_FEED_PATHS = ("/feed/", "/rss.xml", "/atom.xml", "/feed.xml", "/rss/", "/index.xml")
# ... and when robots.txt names no sitemap.
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap-index.xml",
                        "/news-sitemap.xml", "/sitemap-news.xml")
MAX_LINKED = 4  # feeds linked from the page, or sitemaps named by robots.txt, checked at most
MAX_NEWS_CHILDREN = 2  # news sitemaps looked for inside one sitemap index
MIN_ARTICLE_LINKS = 2  # a follow pattern is guessed only from this many article-like links
NEWS_NAMESPACE = b"google.com/schemas/sitemap-news"

_YEAR = re.compile(r"(19|20)\d{2}")
_SHORT_NUMBER = re.compile(r"\d{1,2}")
_ID = re.compile(r"\d{5,}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}(\.[a-z]{3,5})?")  # 3+ words, optional .html
_LOOSE_SLUG = re.compile(r"[^/]*[-_][^/]*[-_][^/]*")  # 3+ words in another alphabet or case


class FetchFailed(Exception):
    """A URL was not fetched: refused, disallowed by robots.txt, or a network error."""


class FinderError(Exception):
    """The page itself could not be read, so nothing can be suggested."""


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None = None


Fetch = Callable[[str], Page]


@dataclass(frozen=True)
class Document:
    """A feed or sitemap that was fetched and read."""

    url: str
    kind: Kind  # feed | sitemap | index
    links: tuple[str, ...]
    news: bool = False  # a news sitemap (its entries carry <news:news>)

    def describe(self) -> str:
        if self.kind == "index":
            return f"sitemap index: {len(self.links)} sitemaps (the whole archive)"
        what = "feed" if self.kind == "feed" else "news sitemap" if self.news else "sitemap"
        return f"{what}: {len(self.links)} article links"


@dataclass(frozen=True)
class FollowGuess:
    """A `follow` regex for the article links of a listing page, and the links it matches."""

    pattern: str
    matches: tuple[str, ...]


@dataclass
class Finding:
    url: str  # the page, after redirects
    feeds: list[Document] = field(default_factory=list)
    sitemaps: list[Document] = field(default_factory=list)
    listing: FollowGuess | None = None
    checked: list[str] = field(default_factory=list)  # every URL asked for, in order
    skipped: dict[str, str] = field(default_factory=dict)  # URL -> why it was not fetched

    @property
    def found(self) -> bool:
        return bool(self.feeds or self.sitemaps or self.listing)

    def chosen(self) -> list[Document]:
        """The documents the suggested source reads: the first feed; a news sitemap (or,
        with no feed, the first sitemap: a whole archive is worth it only then)."""
        picked = self.feeds[:1]
        news = [doc for doc in self.sitemaps if doc.news]
        if news:
            picked.append(news[0])
        elif self.sitemaps and not self.feeds:
            picked.append(self.sitemaps[0])
        return picked

    def suggestion(self) -> dict[str, list[str]]:
        """The discovery keys of the suggested source (empty when nothing was found)."""
        keys: dict[str, list[str]] = {}
        for doc in self.chosen():
            keys.setdefault("feed" if doc.kind == "feed" else "sitemap", []).append(doc.url)
        if not keys and self.listing is not None:
            keys = {"start": [self.url], "follow": [self.listing.pattern]}
        return keys

    def others(self) -> list[Document]:
        """Feeds and sitemaps found but not chosen."""
        chosen = self.chosen()
        return [doc for doc in [*self.feeds, *self.sitemaps] if doc not in chosen]


def find_sources(url: str, fetch: Fetch) -> Finding:
    """Everything worth configuring for the site of `url`; FinderError if it cannot be read."""
    try:
        page = fetch(url)
    except FetchFailed as exc:
        raise FinderError(f"cannot fetch {url}: {exc}") from None
    if page.status != 200:
        raise FinderError(f"cannot fetch {url}: HTTP {page.status}")
    finding = Finding(page.url, checked=[url])
    seen: set[str] = {url, page.url}
    itself = read_document(page)
    if itself is not None:  # the user gave a feed or a sitemap
        _keep(finding, itself)
        _look_inside_indexes(finding, fetch, seen)
        return finding
    _check(finding, fetch, seen, feed_links(page)[:MAX_LINKED])
    origin = origin_of(page.url)
    if not finding.feeds:
        _check(finding, fetch, seen, [origin + p for p in COMMON_FEED_PATHS], want="feed")
    named = robots_sitemaps(_robots(finding, fetch, origin), origin + "/robots.txt")
    _check(finding, fetch, seen, named[:MAX_LINKED])
    if not finding.sitemaps:
        _check(finding, fetch, seen, [origin + p for p in COMMON_SITEMAP_PATHS], want="sitemap")
    _look_inside_indexes(finding, fetch, seen)
    finding.listing = guess_follow(page.body, page.url, page.content_type)
    return finding


def _check(finding: Finding, fetch: Fetch, seen: set[str], urls: Iterable[str],
           want: str | None = None) -> None:
    """Fetch and read each candidate; with `want`, stop at the first one of that kind."""
    for url in urls:
        if url in seen:
            continue
        seen.add(url)
        doc = _fetch_document(finding, fetch, url)
        if doc is None or (doc.url != url and doc.url in seen):  # redirected to a known one
            continue
        seen.add(doc.url)
        if _keep(finding, doc) and want and (doc.kind == "feed") == (want == "feed"):
            return


def _fetch_document(finding: Finding, fetch: Fetch, url: str) -> Document | None:
    finding.checked.append(url)
    try:
        page = fetch(url)
    except FetchFailed as exc:
        finding.skipped[url] = str(exc)
        return None
    return read_document(page) if page.status == 200 else None


def _keep(finding: Finding, doc: Document) -> bool:
    """Add a document unless one already found lists the very same links."""
    kept = finding.feeds if doc.kind == "feed" else finding.sitemaps
    if any(set(other.links) == set(doc.links) for other in kept):
        return False
    kept.append(doc)
    return True


def _look_inside_indexes(finding: Finding, fetch: Fetch, seen: set[str]) -> None:
    """A sitemap index often holds a news sitemap (the recent articles): find it, by name."""
    if any(doc.news for doc in finding.sitemaps):
        return
    for index in [doc for doc in finding.sitemaps if doc.kind == "index"]:
        news = [url for url in index.links if "news" in url.lower()][:MAX_NEWS_CHILDREN]
        _check(finding, fetch, seen, news)
        if any(doc.news for doc in finding.sitemaps):
            return


def _robots(finding: Finding, fetch: Fetch, origin: str) -> str:
    url = origin + "/robots.txt"
    finding.checked.append(url)
    try:
        page = fetch(url)
    except FetchFailed as exc:
        finding.skipped[url] = str(exc)
        return ""
    return decode_body(page.body, page.content_type).text if page.status == 200 else ""


def read_document(page: Page) -> Document | None:
    """The feed or sitemap `page` is, or None (an HTML page, an empty or broken one)."""
    try:
        found = parse_document(page.body, page.url)
    except DiscoveryError:
        return None
    if not found.links:
        return None
    return Document(page.url, found.kind, tuple(link.url for link in found.links),
                    news=found.kind == "sitemap" and NEWS_NAMESPACE in page.body)


def feed_links(page: Page) -> list[str]:
    """Feed URLs an HTML page names: `<link rel=alternate>` of a feed type, else anchors
    that look like feeds (trafilatura's finder; comment feeds left out)."""
    html = decode_body(page.body, page.content_type).text
    origin = origin_of(page.url)
    params = FeedParameters(origin, host_of(page.url), page.url)
    try:
        found = determine_feed(html, params)
    except (ValueError, etree.ParserError):
        return []
    return [url for url in (absolute_http_url(u, page.url) for u in found) if url]


def robots_sitemaps(robots_txt: str, robots_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, as absolute URLs."""
    if not robots_txt.strip():
        return []
    urls = (absolute_http_url(u, robots_url) for u in Protego.parse(robots_txt).sitemaps)
    return list(dict.fromkeys(u for u in urls if u))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def guess_follow(html: bytes | str, page_url: str,
                 content_type: str | None = None) -> FollowGuess | None:
    """A `follow` regex for the most common article-like link shape on a listing page.

    Each same-host link's path becomes a template: a year is `\\d{4}`, a month or day
    `\\d{2}`, a long number `\\d+`, a slug of three or more words `[a-z0-9-]+`, anything
    else stays literal (`/category/world/` is not an article). With a year in it, the
    literal segments before it are dropped (`/world/2024/10/slug/` and
    `/politics/2024/10/slug/` are one shape). The template of the most links wins.
    """
    text = html if isinstance(html, str) else decode_body(html, content_type).text
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    host = host_of(page_url)
    shapes: dict[str, set[str]] = defaultdict(set)
    for anchor in doc.iter("a"):
        url = absolute_http_url(anchor.get("href"), page_url)
        if not url or url == page_url or host_of(url) != host:
            continue
        parts = urlsplit(url)
        pattern = None if parts.query else path_pattern(parts.path)
        if pattern:
            shapes[pattern].add(url)
    ranked = sorted(shapes.items(), key=lambda kv: (len(kv[1]), len(kv[0])), reverse=True)
    if not ranked or len(ranked[0][1]) < MIN_ARTICLE_LINKS:
        return None
    pattern = ranked[0][0]
    matches = parse_listing(text, page_url, [re.compile(pattern)], [host]).links
    return FollowGuess(pattern, tuple(matches))


def path_pattern(path: str) -> str | None:
    """The regex of an article-like URL path (see guess_follow); None for other paths."""
    segments = [s for s in path.split("/") if s]
    tokens = [_token(s) for s in segments]
    kinds = [kind for kind, _ in tokens]
    if not segments or not {"slug", "id"} & set(kinds):
        return None
    if "year" in kinds:
        tokens = tokens[next(i for i, k in enumerate(kinds) if k != "literal"):]
    end = "/?$" if path.endswith("/") else "$"
    return "/" + "/".join(regex for _, regex in tokens) + end


def _token(segment: str) -> tuple[str, str]:
    """(kind, regex) of one path segment."""
    if _YEAR.fullmatch(segment):
        return "year", r"\d{4}"
    if _SHORT_NUMBER.fullmatch(segment):
        return "number", r"\d{2}" if len(segment) == 2 else r"\d{1,2}"
    if _ID.fullmatch(segment):
        return "id", r"\d+"
    slug = _SLUG.fullmatch(segment)
    if slug:
        return "slug", "[a-z0-9-]+" + re.escape(slug.group(1) or "")
    if _LOOSE_SLUG.fullmatch(segment) and len(segment) >= 12:
        return "slug", "[^/]+"
    return "literal", re.escape(segment)
