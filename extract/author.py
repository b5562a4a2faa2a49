"""The author from a page's byline markup, for pages whose metadata names none.

The same search as trafilatura's `extract_author` (its three tiers of byline selectors,
comment/sidebar/figure zones ignored, first 3-120 character match wins), done in one
XPath pre-selection plus Python regexes: trafilatura's version deep-copies the page and
runs EXSLT-regex XPaths over it, which cost more than the rest of the metadata together.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.metadata import normalize_authors
from trafilatura.utils import trim

_CANDIDATES = XPath("//*[@rel or @id or @class or @itemprop or @data-testid or "
                    "@data-component]|//author")
# any tier's words, to skip most elements with one search (the tiers' tests are exact)
_ANY_WORD = re.compile(r"author|byl|bbl|username|screenname|writer|channel-name|zuozhe|"
                       r"bianji|xiaobian|submitted-by|posted-by|journalist-name")

_T1_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_T1_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_T2_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_T2_CLASS_EXACT = frozenset({"byline", "username", "byl", "BBL"})
_T2_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_T2_CLASS = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|"
                       r"journalist-name")
_T3_ID = re.compile(r"[Aa]uthor")
_T3_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")

_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|"
                            r"embedly-instagram|article-(?:share|support)|print|category|"
                            r"meta-date|meta-reviewer")


def _attr(element: HtmlElement, name: str) -> str:
    return element.get(name) or ""


def _tier1(e: HtmlElement) -> bool:
    if e.tag == "author":
        return True
    cls = _attr(e, "class")
    return e.tag in _T1_TAGS and (
        _attr(e, "rel") == "author" or _attr(e, "id") == "author" or cls == "author"
        or _attr(e, "itemprop") == "author name"
        or _attr(e, "data-testid") in ("AuthorCard", "AuthorURL")
        or bool(_T1_CLASS.search(cls)))


def _tier2(e: HtmlElement) -> bool:
    cls = _attr(e, "class")
    return e.tag in _T2_TAGS and (
        cls in _T2_CLASS_EXACT or "author" in _attr(e, "itemprop")
        or bool(_T2_ID.search(_attr(e, "id"))) or bool(_T2_CLASS.search(cls)))


def _tier3(e: HtmlElement) -> bool:
    return ("Byline" in _attr(e, "data-component") or "author" in _attr(e, "itemprop")
            or bool(_T3_ID.search(_attr(e, "id"))) or bool(_T3_CLASS.search(_attr(e, "class"))))


def _discard_zone(node: HtmlElement) -> bool:
    if node.tag in ("time", "figure"):
        return True
    if node.tag not in _DISCARD_TAGS:
        return False
    ident, cls = _attr(node, "id"), _attr(node, "class")
    return (ident == "comments" or cls in ("comments", "title", "date")
            or bool(_DISCARD_ID.search(ident)) or bool(_DISCARD_CLASS.search(cls))
            or "Figure" in _attr(node, "data-component"))


def _discarded(e: HtmlElement) -> bool:
    return any(_discard_zone(node) for node in (e, *e.iterancestors()))


def _text(element: HtmlElement) -> list[str]:
    """itertext() without the discarded zones inside the element (a <time> in a byline)."""
    parts = [element.text or ""] if isinstance(element.tag, str) else []
    for child in element:
        if isinstance(child.tag, str) and not _discard_zone(child):
            parts.extend(_text(child))
        parts.append(child.tail or "")
    return parts


_TIERS: tuple[Callable[[HtmlElement], bool], ...] = (_tier1, _tier2, _tier3)


def byline_author(tree: HtmlElement) -> str | None:
    """The author named by the page's byline elements, or None."""
    candidates = [e for e in _CANDIDATES(tree) if isinstance(e.tag, str) and (
        e.tag == "author" or _ANY_WORD.search(" ".join(e.attrib.values()).lower()))]
    for tier in _TIERS:
        for element in candidates:
            if not tier(element) or _discarded(element):
                continue
            content = trim(" ".join(_text(element)))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content) or None
    return None
