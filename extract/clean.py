"""Structural cleaning of the raw page tree, before trafilatura sees it.

trafilatura's own pruning knows the common theme class names; what leaks past it on real
news pages (see /work/shared/seeds) is page furniture recognisable by its *shape*:

- widgets with an e-mail field: newsletter boxes and their prompts ("Sign up...");
- runs of items that are each nothing but a link to another story ("More Read",
  "Related Articles", "You may also like"), with the short label above them;
- in-body promos: a short line that is mostly one link to another page of the site,
  at most a short label besides ("Read more: <headline>", "ALSO READ <headline>",
  "<Sign up for our newsletter>"), and a short label line right above one;
- counter widgets: several "label + number" cells (reaction counters, share counts),
  with the question above them;
- hidden text (display:none, [hidden], screen-reader-only): honeypot fields such as
  Gravity Forms' "This field is for validation purposes", accessibility labels;
- blocks whose class/id names them as newsletter, related, author bio, reactions, photo
  credit or form furniture, in `TOKEN_RULES` (data, not code).

Every removal goes through one guard: never the element holding the page title, never a
block holding most of the page's long paragraphs, so a theme that puts "newsletter" on
its page wrapper cannot empty the page. Post-extraction cleaning is in extract.postclean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml.etree import XPath, strip_elements
from lxml.html import HtmlElement
from trafilatura.xml import delete_element

from extract.links import Link, other_page_of_site, page_links
from extract.normalize import word_count

# rule name -> class/id tokens (regex alternatives, matched as whole dash/underscore tokens)
TOKEN_RULES: dict[str, tuple[str, ...]] = {
    "newsletter": ("newsletter", "subscribe", "subscription", "sign-?up", "opt-?in",
                   "mailchimp", "mc4wp", "mailpoet", "convertkit", "email-?(?:signup|capture)"),
    "related": ("related", "more-read", "also-like", "you-may-like", "may-also-like",
                "recommended", "read-next", "more-stories", "most-read", "most-popular",
                "trending", "popular-posts", "jp-relatedposts", "yarpp", "crp_related"),
    "author-bio": ("bio", "biography", "author-?bio", "about-?(?:the-)?author", "author-?box",
                   "author-?info", "writer", "contributor"),
    "reactions": ("reactions?", "emoji", "emotions?", "vote-?buttons?", "likes?-?count",
                  "claps?"),
    "credit": ("credits?", "photo-?credit", "image-?credit", "caption-?credit"),
    "form": (r"gform\w*", r"gfield\w*", r"wpforms\w*", r"wpcf7\w*", "validation_container",
             "honeypot", "comment-?respond", "comment-?form"),
    # not a bare "hidden": Bootstrap's hidden-xs/-md hide content on some screens only
    "hidden": ("screen-reader-text", "sr-only", "visually-?hidden", "is-hidden"),
}
TOKEN_ELEMENTS = ("div", "section", "aside", "p", "span", "ul", "ol", "li", "form", "figure",
                  "figcaption", "article", "footer", "label", "nav", "header", "dl")
INERT_ELEMENTS = ("script", "style", "noscript", "svg", "template", "link")
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
EMAIL_FIELD = re.compile(r"e-?mail", re.I)
COUNTER_CELL = re.compile(r"^\D{1,24}?\s*\d[\d.,]*\s*[kKmM]?$|^\d[\d.,]*\s*[kKmM]?\s*\D{1,24}$")
WIDGET_MAX_WORDS = 80  # an e-mail widget's text; more means we climbed into real content
HIDDEN_MAX_WORDS = 60
COUNTER_MIN_CELLS = 3
COUNTER_MAX_CELLS = 12
COUNTER_ELEMENTS = frozenset({"div", "section", "aside", "ul", "p"})
LABEL_MAX_WORDS = 8  # a heading/prompt above a link list or a counter widget
LINK_ITEM_MIN_WORDS = 3  # a story link; shorter links are menus and tags (trafilatura's job)
LONG_PARAGRAPH = 10  # words: a paragraph of running text, for the guard
PROMO_BLOCKS = frozenset({"p", "div", "blockquote"})  # not li or headings: listicles link those
PROMO_LABEL_MAX_WORDS = 4  # "Read more:", "ALSO READ", "Related stories:"
PROMO_LABEL_ABOVE_MAX_WORDS = 3  # a label on a line of its own: "ALSO READ", "Related:"
PROMO_BARE_LABEL_MAX_WORDS = 2  # "관련기사", "See also": no colon needed
PROMO_MIN_LINK_WORDS = 3
_WORD = re.compile(r"\w")
BIO_MAX_WORDS = 120  # an author box; more means we climbed into the article
SELF_INTRO = re.compile(r"^(?:i[’']?m|i am|about)\s+")
AUTHOR_LINK = re.compile(r"/(?:authors?|writers?|contributors?)/", re.I)


def _token_pattern(rules: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    groups = "|".join(f"(?P<{name.replace('-', '_')}>{'|'.join(tokens)})"
                      for name, tokens in rules.items())
    # matched against lower-cased names: much faster than re.IGNORECASE
    return re.compile(f"(?:^|[\\s_-])(?:{groups})(?:$|[\\s_-])")


# one regex for all rules, one pass over the tree: XPath with EXSLT regexes is ~10x slower
_TOKENS = _token_pattern(TOKEN_RULES)
_INPUT_XPATH = XPath(".//input")


def _words(element: HtmlElement) -> int:
    return word_count(element.text_content())


class Guard:
    """Decides whether removing an element is safe (keeps the title and the article body)."""

    def __init__(self, tree: HtmlElement) -> None:
        self.root = tree
        h1s = tree.findall(".//h1")
        title = h1s[0] if len(h1s) == 1 else None
        self.protected = {title, *title.iterancestors()} if title is not None else set()
        self.long = {p: n for p in tree.iter("p")
                     if (n := word_count(p.text_content())) >= LONG_PARAGRAPH}
        self.long_total = sum(self.long.values())

    def allows(self, element: HtmlElement) -> bool:
        if element.tag in ("html", "body", "main") or element.getparent() is None:
            return False
        if element in self.protected:
            return False
        if not self.long_total:
            return True
        inside = sum(self.long.get(p, 0) for p in element.iter("p"))
        return inside <= 0.5 * self.long_total


def _remove(elements: Iterable[HtmlElement], guard: Guard) -> int:
    removed = 0
    for element in list(elements):
        if element.getparent() is not None and guard.allows(element):
            delete_element(element, keep_tail=False)
            removed += 1
    return removed


def _label_before(element: HtmlElement) -> HtmlElement | None:
    """The short heading or prompt right above a widget, if any."""
    previous = element.getprevious()
    if previous is None or previous.tag not in ("h2", "h3", "h4", "h5", "h6", "p", "div",
                                                 "span", "strong", "header"):
        return None
    text = previous.text_content().strip()
    if not text or word_count(text) > LABEL_MAX_WORDS or previous.find(".//a") is not None:
        return None
    return previous


def _is_hidden(element: HtmlElement) -> bool:
    get = element.get
    style = get("style")
    return (get("hidden") is not None or get("aria-hidden") == "true"
            or (style is not None and HIDDEN_STYLE.search(style) is not None))


def token_matches(tree: HtmlElement) -> dict[str, list[HtmlElement]]:
    """Elements named as furniture by their class/id, hidden elements, and blocks shaped
    like counter widgets, by rule (one pass over the tree)."""
    found: dict[str, list[HtmlElement]] = {}
    for element in tree.iter(*TOKEN_ELEMENTS):
        if _is_hidden(element):
            # small hidden things are honeypots and labels; a big hidden block may be
            # collapsed article text behind a "read more" button: trafilatura decides
            if _words(element) <= HIDDEN_MAX_WORDS:
                found.setdefault("hidden", []).append(element)
            continue
        cls, ident = element.get("class"), element.get("id")
        if (cls or ident) and (match := _TOKENS.search(f"{cls or ''} {ident or ''}".lower())):
            found.setdefault(str(match.lastgroup).replace("_", "-"), []).append(element)
        elif _is_person(element):
            found.setdefault("author-bio", []).append(element)
        elif COUNTER_MIN_CELLS <= len(element) <= COUNTER_MAX_CELLS and _is_counter(element):
            found.setdefault("counters", []).extend(_with_label(element))
    return found


def _is_person(element: HtmlElement) -> bool:
    """A schema.org Person block with more than a name in it: an author bio."""
    return (element.tag in ("div", "section", "aside")
            and (element.get("itemprop") == "author"
                 or "schema.org/Person" in (element.get("itemtype") or ""))
            and _words(element) > LABEL_MAX_WORDS)


def _outermost(start: HtmlElement, max_words: int, guard: Guard) -> HtmlElement | None:
    """The largest ancestor of `start` with at most `max_words` words that may be removed."""
    widget = None
    for ancestor in start.iterancestors():
        if ancestor.tag in ("body", "html", "main", "article") or not guard.allows(ancestor) \
                or _words(ancestor) > max_words:
            break
        widget = ancestor
    return widget


def email_widgets(tree: HtmlElement, guard: Guard) -> Iterator[HtmlElement]:
    """The outermost small block around each e-mail input (a newsletter or sign-up box)."""
    for field in _INPUT_XPATH(tree):
        described = " ".join(field.get(a, "") for a in ("type", "name", "id", "placeholder"))
        if EMAIL_FIELD.search(described) and (
                widget := _outermost(field, WIDGET_MAX_WORDS, guard)) is not None:
            yield widget


def _is_bio(box: HtmlElement, name: str) -> bool:
    if box.tag not in ("div", "section", "aside", "footer", "li"):
        return False
    if box.find(".//img") is not None:
        return True
    folded = name.casefold()
    return any(SELF_INTRO.sub("", p.text_content().strip().casefold()).startswith(folded)
               for p in box.iter("p") if word_count(p.text_content()) > LABEL_MAX_WORDS)


def author_boxes(links: list[Link], guard: Guard) -> Iterator[HtmlElement]:
    """Author bios: a small block holding a link to the author's page and a portrait or a
    paragraph starting with the author's name (schema.org Person blocks: token_matches)."""
    for link in links:
        if not link.words or link.n_words > 5 or not (
                link.rel == "author" or AUTHOR_LINK.search(link.href)):
            continue
        name = link.text
        box = _outermost(link.element, BIO_MAX_WORDS, guard)
        if box is not None and _is_bio(box, name):
            yield box


def _link_item(link: Link) -> HtmlElement:
    """The largest element around a link that holds nothing but the link's text."""
    text = link.text
    item = link.element
    for ancestor in item.iterancestors():
        if ancestor.tag in ("body", "html") or (ancestor.text or "").strip() or \
                (item.tail or "").strip():
            break
        # Structural checks before text_content(): reading the whole text of every
        # ancestor of every link costs quadratic time on pages with hundreds of links.
        if any(child is not item and _has_text(child) for child in ancestor):
            break
        if " ".join(ancestor.text_content().split()) != text:
            break
        item = ancestor
    return item


def _has_text(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str):  # comments, processing instructions
        return bool((element.tail or "").strip())
    return bool(element.text_content().strip() or (element.tail or "").strip())


def link_lists(links: list[Link], url: str = "") -> Iterator[HtmlElement]:
    """Runs of >= 2 adjacent siblings that are each one story link, plus their label.

    With the page's url, only links to other pages of the site count: a list of links to
    other sites or documents (sources, commits, downloads) is the article's own."""
    items = dict.fromkeys(_link_item(link) for link in links
                          if link.n_words >= LINK_ITEM_MIN_WORDS
                          and (not url or other_page_of_site(link.href, url)))  # ordered set
    seen: set[HtmlElement] = set()
    for item in items:
        if item in seen:
            continue
        run = [item]
        sibling = item.getnext()
        while sibling is not None and sibling in items and not (run[-1].tail or "").strip():
            run.append(sibling)
            sibling = sibling.getnext()
        seen.update(run)
        parent = run[0].getparent()
        # links inside running text ("<a>X</a>, said <a>Y</a>") are not a list
        if len(run) < 2 or parent is None or (parent.text or "").strip() or \
                any((i.tail or "").strip() for i in run[:-1]):
            continue
        if len(run) == len(parent) and parent.tag not in ("body", "p"):
            yield from _with_label(parent)
        else:
            label = _label_before(run[0])
            yield from ([label] if label is not None else []) + run


def promo_lines(links: list[Link], url: str) -> Iterator[HtmlElement]:
    """In-body promos: the smallest block around a link to another page of the site that
    holds nothing else but a label of a few words; and such a label standing alone above.

    By structure, not by wording: whatever the label says ("Read more", "Читайте также",
    "관련기사"), a line that is one link to another page and a few words is not prose."""
    for link in links:
        if link.n_words < PROMO_MIN_LINK_WORDS or not other_page_of_site(link.href, url):
            continue
        block = next((a for a in link.element.iterancestors() if a.tag in PROMO_BLOCKS), None)
        if block is None or block.find(".//img") is not None:
            continue
        if any(a is not link.element and a.get("href") for a in block.iter("a")) or \
                not _is_promo_text(" ".join(block.text_content().split()), link.text):
            continue
        label = block.getprevious()
        if label is not None and label.tag in PROMO_BLOCKS and label.find(".//a") is None \
                and 0 < _words(label) <= PROMO_LABEL_ABOVE_MAX_WORDS \
                and _is_label(label.text_content()):
            yield label
        yield block


def _is_promo_text(line: str, link_text: str) -> bool:
    """The line is the link, maybe after a label and before a closing mark or arrow: not a
    sentence that merely ends in a link ("... and <a>unclosed links</a>")."""
    at = line.find(link_text)
    if at < 0 or _WORD.search(line[at + len(link_text):]):
        return False
    label = line[:at].strip(" \t[(")
    return not label or (word_count(label) <= PROMO_LABEL_MAX_WORDS and (
        _is_label(label) or word_count(label) <= PROMO_BARE_LABEL_MAX_WORDS))


def _is_label(text: str) -> bool:
    """A line that announces something: ends with a colon or an arrow, or is in capitals."""
    text = text.strip()
    return text.endswith((":", "›", "»", "→")) or (text.isupper() and len(text) > 3)


def _with_label(block: HtmlElement) -> Iterator[HtmlElement]:
    label = _label_before(block)
    if label is not None:
        yield label
    yield block


def _is_counter(element: HtmlElement) -> bool:
    """>= 3 "label + number" cells under a question ("What do you think?" Happy 3, Sad 0...).

    The question, inside the block or right above it, tells a reaction widget from a list
    of figures in the story (results, scores)."""
    if element.tag not in COUNTER_ELEMENTS or any(len(c) > 3 for c in element) \
            or len(element.text_content()) > 400:
        return False
    cells = [text for c in element if (text := c.text_content().strip())]
    if cells and not COUNTER_CELL.match(cells[0]) and word_count(cells[0]) <= LABEL_MAX_WORDS:
        prompt = cells.pop(0)  # the question inside the block
    else:
        label = _label_before(element)
        prompt = label.text_content().strip() if label is not None else ""
    return prompt.endswith("?") and len(cells) >= COUNTER_MIN_CELLS and all(
        COUNTER_CELL.match(c) for c in cells)


def clean_tree(tree: HtmlElement, links: list[Link] | None = None,
               url: str = "") -> dict[str, int]:
    """Remove page furniture from `tree` in place; returns removals per rule.

    links: `extract.links.page_links(tree)` if the caller has it already. url: the page's
    address, to tell links to other pages of the site (in-body promos) from the rest."""
    links = page_links(tree) if links is None else links
    # code and vector art carry no text, yet trafilatura copies the tree several times
    strip_elements(tree, *INERT_ELEMENTS, with_tail=False)
    guard = Guard(tree)
    counts = {rule: _remove(elements, guard) for rule, elements in token_matches(tree).items()}
    counts["email-widget"] = _remove(email_widgets(tree, guard), guard)
    counts["author-box"] = _remove(author_boxes(links, guard), guard)
    counts["link-list"] = _remove(link_lists(links, url), guard)
    counts["promo"] = _remove(promo_lines(links, url), guard) if url else 0
    return counts
