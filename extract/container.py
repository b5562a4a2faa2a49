"""Text around the article's container: page furniture that trafilatura read with it.

trafilatura picks the block holding the article and, on many layouts, a larger one that
also holds what surrounds it: above, the page header's byline, date, reading time, kicker
and table-of-contents label; below, a call to action, a newsletter form's blurb, an author
box, the site's "about us". Each paragraph of the text is traced back to the page element
it came from (in document order, by its words); the article's container is the innermost
element (not a table or list: those are parts of the article) holding `CORE_SHARE` of the
words traced. Paragraphs from elsewhere on the page are dropped:

- after the last paragraph inside the container: all of them;
- before the first one: the lines that are not sentences (at most `LEAD_MAX_WORDS` words,
  no closing punctuation). A standfirst set in the page header is a sentence and stays.

The share is high on purpose: an FAQ or a summary box that continues the article in a
block of its own holds more than a tenth of the text and stays. Paragraphs that cannot be
traced (lines of a `<br>`-split block, text in bare `<div>`s) are kept.
"""

from __future__ import annotations

from bisect import bisect_left

from lxml.html import HtmlElement

from extract.normalize import BULLETS, strip_bullet, word_count

CORE_SHARE = 0.9
LEAD_MAX_WORDS = 12
SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
# the elements trafilatura turns into paragraphs, headings, list items and table rows (a
# row is one line of the text: its cells are never lines of their own)
BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote",
          "figcaption", "pre", "tr")
# parts of the article, never its container: the notes after a table of results are the
# article's, though the table holds nine tenths of its words
PARTS = frozenset((*BLOCKS, "td", "th", "table", "thead", "tbody", "tfoot", "ul", "ol", "dl",
                   "figure"))


def _line_key(text: str) -> str:
    # whitespace and a leading bullet folded as the paragraphs were: cheap enough for
    # every block of a page (matching word by word, by regular expression, cost 1 ms
    # a page more)
    line = " ".join(text.split())
    return strip_bullet(line) if line[:1] in BULLETS else line


def _paragraph_key(paragraph: str) -> str:
    # a table row's cells are its words, pipes apart
    if paragraph.startswith("|"):
        paragraph = paragraph.replace("|", " ")
    return _line_key(paragraph)


def _block_keys(tree: HtmlElement) -> tuple[list[HtmlElement], dict[str, list[int]]]:
    blocks: list[HtmlElement] = []
    where: dict[str, list[int]] = {}
    for element in tree.iter(*BLOCKS):
        text = " ".join(element.itertext()) if element.tag == "tr" else element.text_content()
        if key := _line_key(text):
            where.setdefault(key, []).append(len(blocks))
        blocks.append(element)
    return blocks, where


def trace(paragraphs: list[str], tree: HtmlElement) -> list[HtmlElement | None]:
    """The element each paragraph came from, in document order (None: not found). Of
    nested elements with the same words (a `<li>` holding one `<p>`), the innermost."""
    blocks, where = _block_keys(tree)
    traced: list[HtmlElement | None] = []
    after = 0
    for paragraph in paragraphs:
        places = where.get(_paragraph_key(paragraph), [])
        at = bisect_left(places, after)
        if at == len(places):
            traced.append(None)
            continue
        while at + 1 < len(places) and places[at + 1] == places[at] + 1 \
                and _inside(blocks[places[at + 1]], blocks[places[at]]):
            at += 1
        traced.append(blocks[places[at]])
        after = places[at] + 1
    return traced


def _container(traced: list[HtmlElement | None], words: list[int]) -> HtmlElement | None:
    held: dict[HtmlElement, int] = {}
    total = 0
    for element, count in zip(traced, words, strict=True):
        if element is None:
            continue
        total += count
        for ancestor in (element, *element.iterancestors()):
            held[ancestor] = held.get(ancestor, 0) + count
    # the elements holding the share are nested in one another: the innermost holds least
    candidates = [e for e, count in held.items()
                  if count >= CORE_SHARE * total and e.tag not in PARTS]
    return min(candidates, key=lambda e: (held[e], -_depth(e)), default=None)


def _depth(element: HtmlElement) -> int:
    return sum(1 for _ in element.iterancestors())


def _inside(element: HtmlElement, container: HtmlElement) -> bool:
    return element is container or any(a is container for a in element.iterancestors())


def _is_line(paragraph: str) -> bool:
    return word_count(paragraph) <= LEAD_MAX_WORDS and not paragraph.endswith(SENTENCE_END)


def drop_outside(paragraphs: list[str], tree: HtmlElement) -> list[str]:
    """`paragraphs` without those from elsewhere on the page than the article's container:
    after it, and the lines that are not sentences before it (`tree`: the page the text
    was extracted from)."""
    traced = trace(paragraphs, tree)
    container = _container(traced, [word_count(p) for p in paragraphs])
    if container is None:
        return paragraphs
    # the container is an ancestor of a traced paragraph, so one at least is inside
    inside = [e is not None and _inside(e, container) for e in traced]
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    kept = [p for i, (p, e) in enumerate(zip(paragraphs, traced, strict=True))
            if e is None or inside[i] or first <= i <= last
            or (i < first and not _is_line(p))]
    return kept if len(kept) < len(paragraphs) else paragraphs
