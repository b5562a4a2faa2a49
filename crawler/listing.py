"""Listing pages -> the article links on them and the next page. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from crawler.discovery import absolute_http_url, bare_host, host_of, mark_of

_NEXT_TEXT = re.compile(r"^\s*(next( page)?|older( posts| entries)?|[›»→]+|next\s*[›»→])\s*$",
                        re.IGNORECASE)
_NEXT_CLASSES = {"next", "next-page", "nextpostslink", "pagination-next", "nav-previous",
                 "older", "older-posts"}


@dataclass
class Listing:
    """The article links and the next page of one listing page.

    `marks` holds, for each link, a digest of its longest anchor text (its headline,
    rather than a "read more" or a thumbnail link): a changed headline is the listing's
    sign that an article was edited."""

    links: list[str]
    next_page: str | None
    marks: dict[str, str] = field(default_factory=dict)


def parse_listing(html: str | bytes, base_url: str, follow: Sequence[re.Pattern[str]],
                  hosts: Iterable[str]) -> Listing:
    """Links on a listing page that match a `follow` regex and stay on the source's hosts.

    The next page is a `rel=next` link, or an anchor that reads or is classed like one
    ("Next", "Older posts", "»"), also restricted to the source's hosts.
    """
    allowed = {bare_host(h) for h in hosts}
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return Listing([], None)
    base = _base_href(doc, base_url)
    headlines: dict[str, str] = {}
    for anchor in doc.iter("a"):
        url = _on_hosts(absolute_http_url(anchor.get("href"), base), allowed)
        if url and url != base_url and any(p.search(url) for p in follow):
            text = " ".join((anchor.text_content() or "").split())
            held = headlines.get(url)
            if held is None or (len(text), text) > (len(held), held):
                headlines[url] = text
    return Listing(list(headlines), _next_page(doc, base, allowed, base_url),
                   {url: mark_of(text) for url, text in headlines.items()})


def _base_href(doc: lxml.html.HtmlElement, base_url: str) -> str:
    for base in doc.iter("base"):
        href = absolute_http_url(base.get("href"), base_url)
        if href:
            return href
    return base_url


def _on_hosts(url: str | None, allowed: set[str]) -> str | None:
    if url is None:
        return None
    return url if host_of(url) in allowed else None


def _next_page(doc: lxml.html.HtmlElement, base: str, allowed: set[str],
               current: str) -> str | None:
    candidates: list[str | None] = []
    for el in doc.iter("link", "a"):
        if "next" in (el.get("rel") or "").lower().split():
            candidates.append(el.get("href"))
    for anchor in doc.iter("a"):
        parent = anchor.getparent()
        parent_class = "" if parent is None else parent.get("class") or ""
        classes = f"{anchor.get('class') or ''} {parent_class}"
        if (_NEXT_TEXT.match(anchor.text_content() or "")
                or _NEXT_CLASSES.intersection(classes.lower().split())):
            candidates.append(anchor.get("href"))
    for href in candidates:
        url = _on_hosts(absolute_http_url(href, base), allowed)
        if url and url != current:
            return url
    return None
