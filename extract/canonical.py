"""The canonical URL of a page: one identifier for every URL variant of the same article.

`canonicalize_url` normalises one URL with courlan (lower-case scheme and host, default port
dropped, path percent-encoding normalised, query parameters sorted, tracking parameters
such as utm_*, fbclid, gclid, mc_cid removed) and drops the fragment. Other query
parameters are kept. It is idempotent.

`page_canonical_url` picks the page's own claim, `<link rel=canonical>` then `og:url`, then
the fetched URL. A claim is trusted only when it stays on the fetched URL's site (same host,
ignoring a leading "www.", same port) and does not point a deep page at the site's home
page: a cross-site canonical on a syndicated copy must not fold the copy into the
original's URL (the store records it as a `copy` instead), and a theme that sets every
page's canonical to "/" must not merge a whole site into one article.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from lxml.html import HtmlElement

_CANONICAL_XPATHS = (
    './/head/link[@rel="canonical"]/@href',
    './/link[@rel="canonical"]/@href',
    './/meta[@property="og:url"]/@content',
)


def canonicalize_url(url: str) -> str:
    """Normalised URL without tracking parameters and fragment; never raises.

    >>> canonicalize_url("HTTP://Example.com:80/a/?utm_source=x&id=3#top")
    'http://example.com/a/?id=3'
    """
    url = url.strip()
    try:
        normalized = normalize_url(url)
    except (ValueError, AttributeError):
        return url
    parts = urlsplit(normalized)
    path = parts.path or ("/" if parts.scheme in ("http", "https") and parts.netloc else "")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _site(netloc: str) -> str:
    host = netloc.lower()
    return host[4:] if host.startswith("www.") else host


def _acceptable(candidate: str, fetched: str) -> bool:
    cand, page = urlsplit(candidate), urlsplit(fetched)
    if cand.scheme not in ("http", "https") or not cand.netloc:
        return False
    if page.netloc and _site(cand.netloc) != _site(page.netloc):
        return False
    deep_page = page.path.strip("/") != ""
    return not (deep_page and cand.path.strip("/") == "" and not cand.query)


def page_canonical_url(tree: HtmlElement | None, url: str) -> str:
    """The canonical URL a page claims (rel=canonical, og:url), else the fetched URL."""
    if tree is not None:
        for xpath in _CANONICAL_XPATHS:
            for href in tree.xpath(xpath):
                candidate = urljoin(url, str(href).strip()) if url else str(href).strip()
                if candidate and _acceptable(candidate, url):
                    return canonicalize_url(candidate)
    return canonicalize_url(url)
