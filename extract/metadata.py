"""Article metadata from the raw page tree: title, author, dates, language, site name, tags.

trafilatura's `extract_metadata` (OpenGraph, meta tags, JSON-LD, htmldate) does the
searching; this module adds what a stored record needs on top:

- exact ISO 8601 timestamps from structured data (JSON-LD `datePublished`/`dateModified`,
  `article:published_time`, `itemprop`), falling back to htmldate's day for `published`;
- the title without the site-name suffix ("Story | Site" -> "Story");
- the language from the page's own declarations (`<html lang>`, content-language,
  `og:locale`, JSON-LD `inLanguage`) as a lower-case primary subtag;
- htmldate's upper date bound computed per call (a bound fixed when a long-running daemon
  started would reject every article published after that day).

Must run on the raw tree, before cleaning removes scripts and bylines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape, unescape
from urllib.parse import urlsplit

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.utils import line_processing

from extract.author import byline_author
from extract.jsonld import JsonLd, as_text

LOGGER = logging.getLogger(__name__)

# elements with exact timestamps, most specific first: (tag, attribute, lower-cased value)
_PUBLISHED_KEYS = (("meta", "property", "article:published_time"),
                   ("meta", "itemprop", "datepublished"), ("time", "itemprop", "datepublished"),
                   ("meta", "name", "article:published_time"), ("meta", "name", "pubdate"),
                   ("meta", "name", "publishdate"), ("meta", "name", "date"))
_MODIFIED_KEYS = (("meta", "property", "article:modified_time"),
                  ("meta", "itemprop", "datemodified"), ("time", "itemprop", "datemodified"),
                  ("meta", "property", "og:updated_time"), ("meta", "name", "last-modified"),
                  ("meta", "name", "dc.date.modified"))
_DATE_KEYS = frozenset(_PUBLISHED_KEYS + _MODIFIED_KEYS)
_DATED = XPath("//meta[@content and (@property or @itemprop or @name)]|//time[@itemprop]")
_LANGUAGE_XPATHS = (
    "/html/@lang",
    './/head/meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content',
    './/head/meta[@property="og:locale"]/@content',
)
# separators between a title and the site name; ":" is left out, headlines use it
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—·»•~/]|::)\s+")
# where a post's date is written out, if anywhere: its byline, by the title
DATE_TEXT_CHARS = 3000
DATE_TEXT_BEFORE_TITLE = 500
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer"})
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")


@dataclass
class Metadata:
    title: str | None = None
    author: str | None = None
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    sitename: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str | None = None


def iso_timestamp(value: str | None) -> str | None:
    """An ISO 8601 string normalised by datetime, or None when it does not parse."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z")
                                        else value)
    except ValueError:
        return None
    if len(value) <= 10:
        return parsed.date().isoformat()
    return parsed.isoformat()


def _structured_dates(tree: HtmlElement) -> tuple[str | None, str | None]:
    """(published, modified) from meta/time elements with exact timestamps (one XPath)."""
    found: dict[tuple[str, str, str], str] = {}
    for element in _DATED(tree):
        keys = [key for attr in ("property", "itemprop", "name")
                if (key := (element.tag, attr, (element.get(attr) or "").strip().lower()))
                in _DATE_KEYS and key not in found]
        value = element.get("content" if element.tag == "meta" else "datetime")
        if keys and (stamp := iso_timestamp(value)):
            found.update(dict.fromkeys(keys, stamp))
    published = next((found[k] for k in _PUBLISHED_KEYS if k in found), None)
    modified = next((found[k] for k in _MODIFIED_KEYS if k in found), None)
    return published, modified


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _site_keys(sitename: str | None, url: str) -> set[str]:
    keys = {_squash(sitename)} if sitename else set()
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if len(labels) >= 2 and not host.replace(".", "").isdigit():
        keys.add(_squash(labels[-2]))
    return {key for key in keys if len(key) >= 3}


def strip_site_name(title: str, sitename: str | None, url: str) -> str:
    """Drop a leading or trailing segment that names the site ("Story | Site" -> "Story")."""
    seps = list(_TITLE_SEPARATOR.finditer(title))
    if not seps:
        return title
    keys = _site_keys(sitename, url)

    def names_site(part: str) -> bool:
        squashed = _squash(part)
        return bool(squashed) and any(
            squashed in key or (key in squashed and len(squashed) <= 2 * len(key))
            for key in keys)

    if names_site(title[seps[-1].end():]):
        return title[:seps[-1].start()].strip()
    if names_site(title[:seps[0].start()]):
        return title[seps[0].end():].strip()
    return title


def _language(tree: HtmlElement, jsonld: JsonLd) -> str | None:
    candidates = [str(v) for xpath in _LANGUAGE_XPATHS for v in tree.xpath(xpath)]
    if lang := as_text(jsonld.get("inLanguage")):
        candidates.append(lang)
    for candidate in candidates:
        if match := _LANG.match(candidate.strip().split(",")[0].strip()):
            return match[1].lower()
    return None


def _keywords(jsonld: JsonLd) -> list[str]:
    value = jsonld.get("keywords")
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def _date_bound() -> str:
    # tomorrow: a page dated in the publisher's time zone may be ahead of ours
    return (datetime.now().astimezone() + timedelta(days=1)).strftime("%Y-%m-%d")


def _text_runs(element: HtmlElement) -> Iterator[tuple[str, bool]]:
    """The visible text of `element` in page order, run by run, each with whether it
    starts a heading of level 1 (scripts, styles, menus and footers left out)."""
    if element.text and (text := element.text.strip()):
        yield text, element.tag == "h1"
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NOT_TEXT:
            yield from _text_runs(child)
        if child.tail and (tail := child.tail.strip()):
            yield tail, False


def _leading_text_page(tree: HtmlElement) -> str | None:
    """A page of just the text around the top of the article: from a little before its
    title (the first h1; a byline can sit above it), DATE_TEXT_CHARS characters."""
    body = tree.find(".//body")
    if body is None:
        return None
    runs = list(_text_runs(body))
    start = next((i for i, (_, h1) in enumerate(runs) if h1), 0)
    before = 0
    while start > 0 and before < DATE_TEXT_BEFORE_TITLE:
        start -= 1
        before += len(runs[start][0])
    kept, size = [], 0
    for text, _ in runs[start:]:
        if size > DATE_TEXT_CHARS:
            break
        kept.append(f"<p>{escape(text)}</p>")
        size += len(text)
    return "<html><body>" + "".join(kept) + "</body></html>"


def _page_date(tree: HtmlElement, url: str) -> str | None:
    """htmldate's day for a page without structured dates: its quick search (URL, meta,
    time elements, date-like markup), then its extensive one (dates written out in the
    text, read by dateparser) over the top of the page only.

    The extensive search over a whole page cost 58 ms on the 21 dev articles that need it
    (4 ms a page over all 321, the largest cost newswatch adds to trafilatura)."""
    found = find_date(tree, extensive_search=False, original_date=True, url=url or None,
                      max_date=_date_bound())
    if not found and (leading := _leading_text_page(tree)) is not None:
        found = find_date(leading, extensive_search=True, original_date=True,
                          max_date=_date_bound())
    return str(found) if found else None


def _clean(value: str | None) -> str | None:
    value = line_processing(unescape(value)) if value else None
    return value or None


def _trafilatura_fields(tree: HtmlElement) -> dict[str, str | list[str] | None]:
    """trafilatura's extract_metadata, minus what we do not store (license, categories)."""
    doc = examine_meta(tree)
    if doc.author and " " not in doc.author:
        doc.author = None  # one-word "authors" are site handles
    try:
        doc = extract_meta_json(tree, doc)
    except Exception:  # trafilatura's JSON-LD fixups can trip on odd data; it is optional
        LOGGER.debug("JSON-LD metadata failed", exc_info=True)
    tags = [t.strip() for tag in (doc.tags or []) for t in tag.split(",") if t.strip()]
    return {
        "title": doc.title or extract_title(tree),
        "author": doc.author or byline_author(tree),
        "sitename": (doc.sitename or extract_sitename(tree) or "").lstrip("@") or None,
        "description": doc.description,
        "tags": tags or [a.text_content().strip() for a in tree.iterfind('.//a[@rel="tag"]')],
    }


def extract_page_metadata(tree: HtmlElement, url: str, jsonld: JsonLd) -> Metadata:
    fields = _trafilatura_fields(tree)
    title = _clean(str(fields["title"] or "")) or as_text(jsonld.get("headline"))
    sitename = _clean(str(fields["sitename"] or ""))
    # exact timestamps from structured data first; htmldate's day only when there are none
    meta_published, meta_modified = _structured_dates(tree)
    published = (iso_timestamp(as_text(jsonld.get("datePublished"))) or meta_published
                 or _page_date(tree, url))
    modified = iso_timestamp(as_text(jsonld.get("dateModified"))) or meta_modified
    tags = [_clean(t) for t in [*(fields["tags"] or []), *_keywords(jsonld)]]
    return Metadata(
        title=strip_site_name(title, sitename, url) if title else None,
        author=_clean(str(fields["author"] or "")),
        published=str(published) if published else None,
        modified=modified,
        language=_language(tree, jsonld),
        sitename=sitename,
        tags=list(dict.fromkeys(t for t in tags if t)),
        description=_clean(str(fields["description"] or "")),
    )
