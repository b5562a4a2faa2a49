"""The links of a page with their text, gathered once and shared by the stages that need
them (teaser detection, link-list and author-box cleaning): `text_content()` of every link
is one of the costlier walks over a big page."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from extract.normalize import word_count


class Link(NamedTuple):
    element: HtmlElement
    words: list[str]  # the link's visible text, split on whitespace
    href: str
    rel: str
    n_words: int  # word_count of the text (CJK-aware)

    @property
    def text(self) -> str:
        return " ".join(self.words)


def page_links(tree: HtmlElement) -> list[Link]:
    links = []
    for a in tree.iter("a"):
        text = a.text_content()
        links.append(Link(a, text.split(), a.get("href") or "", a.get("rel") or "",
                          word_count(text)))
    return links


FILE_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|csv|jpe?g|png|gif|mp[34])(?:[?#]|$)",
                       re.I)


# links to these are follow/share buttons, never an article's sources
SOCIAL_HOST = re.compile(
    r"(?:^|\.)(?:facebook|twitter|x|instagram|linkedin|youtube|tiktok|pinterest|reddit|"
    r"whatsapp|telegram|t|threads|bsky|mastodon|flipboard|vk|ok|weibo|line)\.[a-z.]+$", re.I)


def other_site(href: str, url: str) -> bool:
    """Whether `href` on the page at `url` is an absolute link to another site (other than
    a social network's)."""
    if not href.startswith(("http://", "https://", "//")):
        return False
    host = (urlsplit(href).hostname or "").removeprefix("www.")
    here = _site_of(url).host
    return bool(host) and not _same_site(host, here) and not SOCIAL_HOST.search(host)


def _same_site(host: str, other: str) -> bool:
    return not host or other == host or other.endswith("." + host) or \
        host.endswith("." + other)


def same_page(href: str, url: str) -> bool:
    """Whether `href` on the page at `url` leads to a place on that page (an anchor, the
    page's own address: a table of contents, a permalink; an empty href is the page)."""
    return _site_of(url).same_page(href.strip())


def other_page_of_site(href: str, url: str) -> bool:
    """Whether `href` on the page at `url` leads to another web page of the same site: not
    a file (PDF, image...), not another site, not a place on the same page."""
    return _site_of(url).other_page(href)


@lru_cache(maxsize=4)
def _site_of(url: str) -> _SiteOf:
    # the page being extracted asks for each of its links up to three times (teasers,
    # related lists, promos) and menus repeat the same addresses
    return _SiteOf(url)


class _SiteOf:
    """The page's address, parsed once, and the answers of `other_page_of_site` for it,
    kept per link."""

    def __init__(self, url: str) -> None:
        self.url = url
        here = urlsplit(url)
        self.here = (here.path, here.query)
        self.address = (here.netloc, here.path)
        self.host = (here.hostname or "").removeprefix("www.")
        self.answers: dict[str, bool] = {}

    def other_page(self, href: str) -> bool:
        answer = self.answers.get(href)
        if answer is None:
            answer = self.answers[href] = self._other_page(href)
        return answer

    def same_page(self, href: str) -> bool:
        if not href or href.startswith("#"):
            return True
        target = urlsplit(urljoin(self.url, href))
        return (target.netloc, target.path) == self.address

    def _other_page(self, href: str) -> bool:
        if not href or href.startswith("#"):
            return False
        if href.startswith("/") and not href.startswith("//") and "/." not in href:
            # most links are to a path of the site: what urljoin would give, 30x cheaper
            path, _, query = href.partition("#")[0].partition("?")
            return not FILE_LINK.search(path) and (path, query) != self.here
        target = urlsplit(urljoin(self.url, href))
        if target.scheme not in ("http", "https", "") or FILE_LINK.search(target.path):
            return False
        if (target.path, target.query) == self.here:
            return False
        return _same_site(self.host, (target.hostname or "").removeprefix("www."))
