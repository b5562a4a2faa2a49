"""Discovery parsing: feeds and sitemaps -> the article links they name (listing pages:
crawler.listing).

Pure functions over bytes/str, testable without Scrapy or the network. XML is parsed
with a hardened lxml parser: no DTD loading, no entity expansion, no network access,
no huge-tree mode, so an XXE or billion-laughs feed yields nothing instead of local
files or a hung process.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal, NamedTuple
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

MAX_XML_BYTES = 50 * 1024 * 1024  # a gzipped sitemap may not inflate beyond this
MAX_LINKS = 50_000  # the sitemap protocol's own per-file limit

Kind = Literal["feed", "sitemap", "index"]


class Link(NamedTuple):
    """A discovered URL and, when the source says so, when it last changed (UTC).

    `mark` sums up how the document described the page (its feed item or sitemap entry,
    its anchor text on a listing): a different mark than last time is a sign the page
    changed, so it is re-requested before its next scheduled revisit.
    """

    url: str
    lastmod: datetime | None = None
    mark: str | None = None


def mark_of(text: str) -> str:
    """A short digest of an entry's whitespace-normalised text."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def _entry_mark(el: etree._Element) -> str:
    return mark_of(" ".join(t for t in el.itertext() if isinstance(t, str)))


@dataclass
class Discovered:
    """What one feed or sitemap document lists."""

    kind: Kind
    links: list[Link] = field(default_factory=list)
    recovered: bool = False  # the XML was malformed and parsed in recovery mode


class DiscoveryError(ValueError):
    """The document is not a feed or sitemap we can read."""


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, recover=recover,
                           remove_comments=True, remove_pis=True)


def parse_document(body: bytes, base_url: str) -> Discovered:
    """Parse a feed (RSS 2.0, RSS 1.0, Atom), a sitemap, a sitemap index or a news sitemap.

    The kind is detected from the root element, so a source's `feed` and `sitemap`
    addresses may point at either. Raises DiscoveryError when nothing usable is found.
    """
    body = _gunzip(body)
    root, recovered = _parse_xml(body)
    name = localname(root).lower()
    if name in ("rss", "rdf", "channel"):
        found = Discovered("feed", _rss_links(root, base_url))
    elif name == "feed":
        found = Discovered("feed", _atom_links(root, base_url))
    elif name == "urlset":
        found = Discovered("sitemap", _sitemap_links(root, base_url, "url"))
    elif name == "sitemapindex":
        found = Discovered("index", _sitemap_links(root, base_url, "sitemap"))
    else:
        raise DiscoveryError(f"not a feed or sitemap (root element <{name}>)")
    found.recovered = recovered
    found.links = _dedupe(found.links)[:MAX_LINKS]
    if recovered and not found.links:
        raise DiscoveryError("malformed XML, nothing recoverable")
    return found


def _gunzip(body: bytes) -> bytes:
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
            data = f.read(MAX_XML_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise DiscoveryError(f"bad gzip data: {exc}") from None
    if len(data) > MAX_XML_BYTES:
        raise DiscoveryError(f"gzipped document inflates beyond {MAX_XML_BYTES} bytes")
    return data


def _parse_xml(body: bytes) -> tuple[etree._Element, bool]:
    if not body.strip():
        raise DiscoveryError("empty document")
    try:
        return etree.fromstring(body, parser=_parser(recover=False)), False
    except etree.XMLSyntaxError as exc:
        strict_error = str(exc)
    try:
        root = etree.fromstring(body, parser=_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise DiscoveryError(f"malformed XML: {strict_error}")
    return root, True


def localname(el: etree._Element) -> str:
    """An element's name without namespace or prefix ("" for comments and entities).

    Not etree.QName: recovery mode keeps an undeclared prefix in the tag ("news:news",
    common in news sitemaps that forget xmlns:news), which QName rejects with ValueError.
    """
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    """Child elements with this local name, whatever their namespace."""
    return [c for c in el if localname(c) == name]


def _child_text(el: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in _children(el, name):
            # An unexpanded entity reference (e.g. an XXE) is a child node, never text, so
            # it can never leak into a URL; the text around it is no URL either.
            if any(isinstance(node, etree._Entity) for node in child):
                continue
            if child.text and child.text.strip():
                return child.text.strip()
    return None


def _rss_links(root: etree._Element, base_url: str) -> list[Link]:
    # RSS 2.0 nests items in <channel>; RSS 1.0 (RDF) puts them next to it.
    items = [it for it in root.iter() if isinstance(it.tag, str)
             and localname(it) == "item"]
    links: list[Link] = []
    for item in items:
        url = _child_text(item, "link")
        if url is None:
            for guid in _children(item, "guid"):
                if guid.get("isPermaLink", "true").lower() != "false" and guid.text:
                    url = guid.text.strip()
        if url is None:
            url = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        # RSS pubDate is the publication date, not a modification date: an edited
        # article keeps it, so it must not be used to skip a fetch.
        _add(links, url, base_url, None, _entry_mark(item))
    return links


def _atom_links(root: etree._Element, base_url: str) -> list[Link]:
    links: list[Link] = []
    for entry in _children(root, "entry"):
        href = None
        for link in _children(entry, "link"):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                href = link.get("href")
                break
        _add(links, href, base_url, parse_date(_child_text(entry, "updated")),
             _entry_mark(entry))
    return links


def _sitemap_links(root: etree._Element, base_url: str, tag: str) -> list[Link]:
    links: list[Link] = []
    for entry in _children(root, tag):
        stamp = _child_text(entry, "lastmod")
        if stamp is None:
            for news in _children(entry, "news"):
                stamp = _child_text(news, "publication_date")
        _add(links, _child_text(entry, "loc"), base_url, parse_date(stamp), _entry_mark(entry))
    return links


def _add(links: list[Link], url: str | None, base_url: str, lastmod: datetime | None,
         mark: str | None = None) -> None:
    absolute = absolute_http_url(url, base_url)
    if absolute:
        links.append(Link(absolute, lastmod, mark))


def _dedupe(links: Iterable[Link]) -> list[Link]:
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.url, link)
    return list(seen.values())


def absolute_http_url(url: str | None, base_url: str) -> str | None:
    """`url` resolved against `base_url`, fragment dropped; None unless http(s) with a host."""
    if not url:
        return None
    url = url.strip()
    try:
        absolute = urldefrag(urljoin(base_url, url))[0]
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 / W3C datetime or RFC 822 date as an aware UTC datetime; None if unreadable.

    A bare date means "some time that day", so it is read as the day's last second:
    a page dated today is never skipped as unchanged.
    """
    if not value:
        return None
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        stamp = datetime.fromisoformat(value)
    except ValueError:
        try:
            stamp = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def changed_since(lastmod: datetime | None, last_modified: str | None,
                  fetched_at: str | None) -> bool:
    """Whether an entry dated `lastmod` may have changed since the copy we hold.

    The copy is dated by the page's own Last-Modified header when we kept one (the same
    clock as the sitemap's lastmod, so no skew), else by when we fetched it. Unknown on
    either side means "maybe": fetch it (conditional GET keeps that cheap).
    """
    if lastmod is None:
        return True
    held = parse_date(last_modified)
    if held is not None:
        return lastmod > held
    fetched = parse_date(fetched_at)
    if fetched is None:
        return True
    # a little slack for clock skew between the site and us
    return lastmod > fetched - timedelta(minutes=5)


def host_of(url: str) -> str:
    """The host a URL is on, for "the source's own hosts": lower-case, without `www.`."""
    return bare_host(urlsplit(url).hostname or "")


def bare_host(host: str) -> str:
    host = host.lower()
    return host[4:] if host.startswith("www.") else host
