"""Teaser cards: the repeated link blocks a listing is made of.

A listing (a section front, a shop's category, a podcast's episode list) is a run of
blocks built from one template: a link to an item of the site (a headline, or a picture)
with its blurb, byline, date or price. An article has such runs too (related stories,
most read), but its text is not in them. `teaser_cards` finds them from the page's links
alone, without walking the whole tree: links (headlines, or pictures) whose three
nearest ancestors have the same tags and first classes, leading to at least four distinct
pages of the site, are one run; the card of each is its largest ancestor holding no other
item of a run.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from lxml.html import HtmlElement

from extract.links import Link, other_page_of_site
from extract.normalize import word_count

HEADLINE_WORDS = 4  # a link of this many words reads as a headline (a picture link counts too)
SIGNATURE_DEPTH = 3  # ancestors whose tags and classes make a card's template
CARD_DEPTH = 6  # a card is at most this many levels above its link
RUN_MIN_ITEMS = 4  # distinct items that make a run of cards, not a coincidence
# a teaser: its headline, a blurb or an excerpt up to its "read more", a byline; a block
# of more words is a text of its own (an article's body holding the one item of its run)
CARD_MAX_WORDS = 400
# a price in a card: a currency sign or code next to a number ("$1,299.99", "24,95 €")
PRICE = re.compile(r"[$€£¥]\s?\d|\d(?:[.,]\d\d)?\s?(?:€|\$|£|EUR\b|USD\b|GBP\b)")
_DIGITS = str.maketrans("", "", "0123456789")
_STOP = ("body", "html")


@dataclass
class Cards:
    items: int = 0  # distinct pages of the site linked from runs of cards
    priced: int = 0  # cards showing a price (product tiles)
    # each card's text, casefolded, without whitespace (see `echo`)
    texts: list[str] = field(default_factory=list)


def _template(element: HtmlElement) -> str:
    """An element's tag and first class, digits removed (item-3, post-1234)."""
    classes = (element.get("class") or "").split(None, 1)
    return f"{element.tag}.{classes[0].translate(_DIGITS)}" if classes else element.tag


def _item(href: str) -> str:
    """The page an address of the site leads to, however it is spelt (absolute or not,
    with a #fragment): the same item linked by its picture and its headline."""
    path = href.split("#", 1)[0]
    if path.startswith(("http:", "https:", "//")):
        path = path.split("/", 3)[3] if path.count("/") >= 3 else ""
    return path.lstrip("/")


def _inline(anchor: HtmlElement) -> bool:
    """A link in a sentence of a paragraph: running text, not a card's headline."""
    parent = anchor.getparent()
    return parent is not None and parent.tag == "p" and bool(
        (anchor.tail or "").strip() or (parent.text or "").strip())


def teaser_cards(tree: HtmlElement, links: list[Link], url: str, framed: set[HtmlElement],
                 read: bool = True) -> Cards:
    """The page's runs of teaser cards. `framed`: links of the page frame (menus, the
    page's header and footer), which are not teasers. Without `read`, only the items are
    counted (the cards' texts and prices are not read)."""
    pictures = set(tree.xpath("//img/ancestor::a[1]"))  # one pass in C, not one per link
    templates: dict[HtmlElement, str] = {}  # cards of a run share their outer ancestors
    runs: dict[tuple[str, ...], set[str]] = {}
    candidates = []
    for link in links:
        anchor = link.element
        if link.n_words < HEADLINE_WORDS and anchor not in pictures:
            continue
        if anchor in framed or not other_page_of_site(link.href, url) or _inline(anchor):
            continue
        href = _item(link.href)
        ancestors: list[HtmlElement] = []
        element = anchor.getparent()
        while element is not None and element.tag not in _STOP and len(ancestors) < CARD_DEPTH:
            ancestors.append(element)
            element = element.getparent()
        key = tuple(templates[e] if e in templates else templates.setdefault(e, _template(e))
                    for e in ancestors[:SIGNATURE_DEPTH])
        runs.setdefault(key, set()).add(href)
        candidates.append((key, href, link, ancestors))
    in_runs = [(href, link, ancestors) for key, href, link, ancestors in candidates
               if len(runs[key]) >= RUN_MIN_ITEMS]
    items = len({href for href, _, _ in in_runs})
    if not read or not in_runs:
        return Cards(items=items)
    holds: dict[HtmlElement, set[str]] = {}
    for href, _, ancestors in in_runs:
        for element in ancestors:
            holds.setdefault(element, set()).add(href)
    cards: dict[HtmlElement, tuple[list[HtmlElement], bool]] = {}
    for _, link, ancestors in in_runs:
        level = 0
        while level < len(ancestors) and len(holds[ancestors[level]]) == 1:
            level += 1
        card = ancestors[level - 1] if level else link.element
        headline = link.n_words >= HEADLINE_WORDS or (card in cards and cards[card][1])
        cards[card] = (ancestors[level:], headline)
    priced, texts = 0, []
    for card, (above, headline) in cards.items():
        # a card inside another card (a picture link in a headline's card) is read once
        if any(element in cards for element in above):
            continue
        text = card.text_content()
        if word_count(text) > CARD_MAX_WORDS:
            continue
        priced += bool(PRICE.search(text))
        if headline:
            # a run of pictures only (avatars by the posts of a forum thread, the experts'
            # faces by their answers) is no teaser: its text can be the page's own
            texts.append("".join(text.split()).casefold())
    return Cards(items=items, priced=priced, texts=texts)


def echo(paragraphs: list[tuple[str, int]], cards: Cards) -> tuple[int, int]:
    """Words of the (paragraph, words) that repeat the cards' text (a merged blob of
    teasers), and how many cards they repeat. Half a paragraph is enough (a card's date
    or byline can sit outside it), and table rules ("| title | year |") are markup."""
    if not cards.texts:
        return 0, 0
    blob = "\x00".join(cards.texts)
    starts = list(accumulate((len(text) + 1 for text in cards.texts), initial=0))
    words, echoed = 0, set()
    for paragraph, n in paragraphs:
        flat = "".join(paragraph.replace("|", " ").split()).casefold()
        half = len(flat) // 2
        if half < 8:
            continue
        # the whole line first: cards of one template can share a blurb's first half
        at = blob.find(flat)
        if at < 0:
            at = blob.find(flat[:half])
        if at < 0:
            at = blob.find(flat[half:])
        if at >= 0:
            words += n
            echoed.add(bisect_right(starts, at))
    return words, len(echoed)
