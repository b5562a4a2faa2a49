"""The links of a page with their text, gathered once and shared by the stages that need
them (teaser detection, link-list and author-box cleaning): `text_content()` of every link
is one of the costlier walks over a big page."""

from __future__ import annotations

from typing import NamedTuple

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
