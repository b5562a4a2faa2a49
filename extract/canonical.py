"""The canonical URL of a page: one identifier for every URL variant of the same article.

`canonicalize_url` normalises one URL with w3lib (lower-case scheme and host, path
percent-encoding normalised, query parameters sorted), drops the default port, removes
tracking parameters by courlan's list (utm_*, fbclid, gclid, mc_cid...) and drops the
fragment. Other query
parameters are kept. It is idempotent.

`page_canonical_url` picks the page's own claim, `<link rel=canonical>` then `og:url`, then
the fetched URL. A claim is trusted only when it stays on the fetched URL's site (same host,
ignoring a leading "www.", same port) and does not point a deep page at the site's home
page: a cross-site canonical on a syndicated copy must not fold the copy into the
original's URL (the store records it as a `copy` instead), and a theme that sets every
page's canonical to "/" must not merge a whole site into one article.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from courlan.clean import TRACKERS_RE
from lxml.html import HtmlElement
from w3lib.url import canonicalize_url as w3_canonicalize_url
from w3lib.url import url_query_cleaner

_DEFAULT_PORT = {"http": re.compile(r":80$"), "https": re.compile(r":443$")}

_CANONICAL_XPATHS = (
    './/head/link[@rel="canonical"]/@href',
    './/link[@rel="canonical"]/@href',
    './/meta[@property="og:url"]/@content',
)


@lru_cache(maxsize=4096)  # one page's URLs are canonicalised several times on their way
def canonicalize_url(url: str) -> str:
    """Normalised URL without tracking parameters and fragment; never raises.

    >>> canonicalize_url("HTTP://Example.com:80/a/?utm_source=x&id=3#top")
    'http://example.com/a/?id=3'
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        trackers = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)
                    if TRACKERS_RE.search(name.lower())]
        if trackers:
            url = url_query_cleaner(url, trackers, remove=True, unique=False,
                                    keep_fragments=True)
        # w3lib, not courlan.normalize_url: courlan HTML-unescapes the query first, so
        # "?id=0&section=1" would come out as "?id=0§ion=1".
        parts = urlsplit(w3_canonicalize_url(url))
    except ValueError:
        return url
    netloc = _DEFAULT_PORT.get(parts.scheme, re.compile("$^")).sub("", parts.netloc)
    path = parts.path or ("/" if parts.scheme in ("http", "https") and netloc else "")
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


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
