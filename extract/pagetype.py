"""Not-an-article detection: feeds, sitemaps, error, search, listing, tag and paginated pages.

A listing page run through a main-text extractor comes out as a merged blob of teasers,
which would be stored as a bogus "article". Pages are rejected with a reason, in stages:

1. `reject_content_type`: a Content-Type that is not HTML (feeds, JSON, PDF, images...);
2. `reject_markup`: an XML document (RSS, Atom, RDF, sitemap) or no markup at all;
3. `reject_page`, on the parsed page, before extraction:
   - search page: schema.org SearchResultsPage; error page: an error body class (error404),
     whatever else the page says;
   - a shop's grid: many teaser cards (extract.cards) showing a price, unless the page
     declares itself an article by more than the og:type and article:published_time that
     themes set on every page;
   and, unless the page declares itself an article (og:type article, a schema.org
   Article, article:published_time, a single-post body class, itemprop=articleBody):
   - error page: a short title/heading such as "404 Not Found", "Page not found";
   - search page: `?s=`/`?q=` queries, /search paths, a search-results body class;
   - listing page (home, section, tag, author, date archive, page N of an index): declared
     by schema.org (CollectionPage, ItemList...), by the CMS's body classes (WordPress:
     archive, category, tag, paged...), or shaped like one: >= 3 linked headlines and
     little running text outside their teaser cards (an index URL such as /tag/x/,
     /page/2/ or ?page=2 doubles the running text allowed, but is never evidence alone:
     article URLs of some CMSes carry `?idx=...&page=1`);
4. `reject_text`, on the extracted paragraphs, whatever the page declared: too little
   text (in both trafilatura modes: extract.core), a text made of the page's links to
   other stories of the site (a merged blob of teasers; a page declaring itself an article
   needs a larger share, as roundups link every item), many teaser cards and next to no
   text, or paragraphs that are mostly names linking to pages of the site (an A-Z index);
   on a page declaring itself an article by no more than og:type and
   article:published_time, a text repeating the teaser cards' blurbs, or with no sentence
   at all (a schedule, a menu); and, on a page that does not declare itself an article,
   many links to stories and no paragraph of running text (teaser blurbs, product tiles,
   link directories).

Links to files and other sites (a resource page's PDFs, a reading list) are not teasers.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from lxml.html import HtmlElement

from extract.cards import Cards, echo, teaser_cards
from extract.jsonld import JsonLd
from extract.links import Link, other_page_of_site
from extract.normalize import strip_bullet, word_count

NON_HTML_TYPES = {
    "application/rss+xml": "feed", "application/atom+xml": "feed", "application/rdf+xml": "feed",
    "application/feed+json": "feed", "application/json": "JSON document",
    "application/ld+json": "JSON document", "application/pdf": "PDF document",
    "application/zip": "archive", "application/gzip": "archive",
}
NON_HTML_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
XML_ROOTS = {"rss": "feed", "feed": "feed", "rdf:rdf": "feed", "urlset": "sitemap",
             "sitemapindex": "sitemap"}
_XML_ROOT = re.compile(r"<(?!\?|!)([a-zA-Z][\w:.-]*)")
ERROR_TITLE = re.compile(
    r"\b(?:40[0134]|410|50[0234])\b|page (?:was )?not found|not found|no longer available|"
    r"(?:doesn[’']?t|does not) exist|access denied|forbidden|server error|"
    r"seite nicht gefunden|página no encontrada|page introuvable", re.I)
ERROR_TITLE_MAX_WORDS = 8
ERROR_BODY_CLASSES = frozenset({"error404", "error-page", "page-not-found"})
SEARCH_PARAMS = frozenset({"s", "q", "query", "search", "searchterm", "keyword", "keywords"})
SEARCH_PATH = re.compile(r"/search(?:/|$|\.)", re.I)
INDEX_PATH = re.compile(
    r"^(?:/[a-z]{2}(?:-[a-z]{2})?)?/(?:category|categories|tag|tags|topic|topics|section|"
    r"sections|author|authors|archive|archives)/[^/]+/?(?:page/\d+/?)?$|/page/\d+/?$", re.I)
PAGE_PARAMS = frozenset({"page", "paged", "pg"})  # not WordPress's ?p=123: a post id
LISTING_BODY_CLASSES = frozenset({"archive", "category", "tag", "tax", "author", "date", "home",
                                  "blog", "paged", "search", "search-results", "search-page",
                                  "section-front", "listing", "tag-page", "category-page"})
ARTICLE_BODY_CLASSES = frozenset({"single", "single-post", "article-page", "post-template-default"})
OG_ARTICLE = "og:type article"
PUBLISHED_TIME = "article:published_time"
# declarations that themes and SEO plugins set on every page of a site, shop and section
# fronts included: a page with no other is judged by the cards rules below as undeclared
SITE_WIDE_SIGNALS = frozenset({OG_ARTICLE, PUBLISHED_TIME})
MIN_WORDS = 25  # below this the "article" is a stub, a gallery or a failed extraction
TEASER_MIN_WORDS = 3  # a link with at least this many words reads as a story title
STORY_LINK_MIN_WORDS = 4  # a headline link, for the running-text rule below
# an undeclared page with at least this many distinct headline links to pages of its site
# and no paragraph of at least RUNNING_PARAGRAPH_WORDS words is an index of teasers
STORY_LINKS_MIN = 5
RUNNING_PARAGRAPH_WORDS = 40
# ... and, whatever its paragraphs, an undeclared page with this many and less text than
# INDEX_WORDS_PER_STORY_LINK words a link (a hub, a front page, a shop's category). With
# every rule, 57 of modern-dev's 71 listing pages are rejected and 1 of the 321 articles
# of both dev sets (docs/extraction.md); 30 words a link would come within 1.5x of a real
# article's figure
INDEX_STORY_LINKS = 20
INDEX_WORDS_PER_STORY_LINK = 20

# share of paragraphs that are link titles in a merged blob of teasers; a page declaring
# itself an article needs more (roundups link every item: "10 things in tech today")
TEASER_SHARE = 0.3
TEASER_SHARE_DECLARED_ARTICLE = 0.5
TEASER_MIN_COUNT = 3
TEASER_TITLE_SHARE = 0.5  # of a paragraph's words that are a link title: a teaser line
HEADINGS = ("h1", "h2", "h3", "h4")
FRAME_ELEMENTS = ("a", "h1", "h2", "h3", "h4", "h5", "h6", "nav", "header", "footer", "aside",
                  "script", "style", "noscript", "form", "button", "select", "template")
TEXT_RUN_WORDS = 12  # a run of text this long is a sentence, not a label or a menu
CARD_WORDS = 80  # a teaser card (headline, blurb, byline) is smaller than this
# an undeclared page of >= 3 linked headlines is an index unless it has this much text
# outside the teaser cards: max(60 words, 10 per headline)
LISTING_MIN_RUNNING_WORDS = 60
LISTING_RUNNING_WORDS_PER_HEADLINE = 10

# Rules on the runs of teaser cards (extract.cards) and on the text, each with the nearest
# real article's figure on both dev sets (321 articles, docs/extraction.md):
# - a shop's grid, on a page not declaring itself an article beyond SITE_WIDE_SIGNALS:
#   this many cards showing a price (such articles: at most 1; any article: 7)
PRICED_CARDS = 11
# - cards and no text, whatever the page declares: this many linked items and under
#   THIN_WORDS_PER_ITEM words of text an item (nearest: 4.3 words an item with 15 items,
#   4.8 with 27)
THIN_ITEMS = 30
THIN_WORDS_PER_ITEM = 2
# - an index of names (an A-Z list), whatever the page declares: this many paragraphs
#   that are the whole label of a link to a page of the site, and this share of all
#   (articles: at most 9 such paragraphs, 10% of theirs)
LABEL_PARAGRAPHS = 20
LABEL_SHARE = 0.6
# on a page not declaring itself an article beyond SITE_WIDE_SIGNALS:
# - a text that repeats the cards (a front page of blurbs, an episode list): this share
#   of its words, repeating at least ECHO_MIN_CARDS different cards (such articles: at
#   most 2%; a roundup declaring itself an article reaches 87%, hence the restriction)
ECHO_SHARE = 0.6
ECHO_MIN_CARDS = 5
# - a text with no line this long has no sentence: a schedule, a menu, a table of names
#   and figures (such articles: 38 words at the least, 26 on one another rule rejects;
#   any article: 17, a race's results table)
SENTENCE_WORDS = 10


@dataclass
class PageFacts:
    """What the raw page says about itself, gathered before cleaning changes it."""

    article_signals: list[str] = field(default_factory=list)
    # links to other pages of the site: casefolded text -> words
    link_titles: dict[str, int] = field(default_factory=dict)
    index_url: str | None = None  # the URL looks like an index's (a hint, never evidence alone)
    story_links: int = 0  # distinct headline links to the site's pages outside the page frame
    cards: Cards = field(default_factory=Cards)
    links: list[Link] = field(default_factory=list)  # for the index-of-names rule
    url: str = ""

    @property
    def declared(self) -> bool:
        return _declared(self.article_signals)


def _declared(signals: list[str]) -> bool:
    """Whether the page declares itself an article beyond what themes set everywhere."""
    return not set(signals) <= SITE_WIDE_SIGNALS


def reject_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if kind := NON_HTML_TYPES.get(mime):
        return f"{kind}, not an HTML page (Content-Type {mime})"
    if mime.startswith(NON_HTML_PREFIXES):
        return f"not an HTML page (Content-Type {mime})"
    return None


def reject_markup(text: str) -> str | None:
    head = text[:2048].lstrip("\ufeff \t\r\n")
    match = _XML_ROOT.search(head)
    if match is None:
        return "not an HTML page (no markup)"
    root = match.group(1).lower()
    if root in XML_ROOTS:
        return f"{XML_ROOTS[root]} ({root} document), not an HTML page"
    return None


def _body_classes(tree: HtmlElement) -> set[str]:
    body = tree.find(".//body")
    return set((body.get("class") or "").lower().split()) if body is not None else set()


def _article_signals(tree: HtmlElement, jsonld: JsonLd, classes: set[str]) -> list[str]:
    signals = []
    og_type = tree.xpath('string(.//head/meta[@property="og:type"]/@content)').strip().lower()
    if og_type == "article":
        signals.append(OG_ARTICLE)
    if jsonld.is_article:
        signals.append("schema.org Article")
    # xpath, not find: ElementPath's predicates make a Python object of every element
    if tree.xpath('boolean(.//meta[@property="article:published_time"])'):
        signals.append(PUBLISHED_TIME)
    if classes & ARTICLE_BODY_CLASSES or any(c.startswith("postid-") for c in classes):
        signals.append("single-post body class")
    if tree.xpath('boolean(.//*[@itemprop="articleBody"])'):
        signals.append("itemprop articleBody")
    return signals


def _is_error(tree: HtmlElement) -> bool:
    heads = [tree.findtext(".//title") or "", *(h.text_content() for h in tree.iter("h1"))]
    return any(ERROR_TITLE.search(h) and word_count(h) <= ERROR_TITLE_MAX_WORDS
               for h in heads if h.strip())


def _search_reason(url: str, classes: set[str]) -> str | None:
    parts = urlsplit(url)
    params = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if params & SEARCH_PARAMS:
        return "search page (search query in the URL)"
    if SEARCH_PATH.search(parts.path):
        return "search page (search URL)"
    if classes & {"search", "search-results"}:
        return "search page (body class)"
    return None


def _listing_reason(tree: HtmlElement, url: str, classes: set[str]) -> str | None:
    if found := classes & LISTING_BODY_CLASSES:
        return f"listing page (body class {', '.join(sorted(found))})"
    headlines = _linked_headlines(tree)
    if len(headlines) < TEASER_MIN_COUNT:
        return None
    allowed = max(LISTING_MIN_RUNNING_WORDS, LISTING_RUNNING_WORDS_PER_HEADLINE * len(headlines))
    hint = _index_url(url)
    if _running_words(tree, headlines) < (2 * allowed if hint else allowed):
        return f"listing page ({len(headlines)} linked headlines, little other text" + (
            f"; {hint})" if hint else ")")
    return None


def _index_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return "the site's front page"
    if INDEX_PATH.search(parts.path):
        return "index URL"
    params = dict(parse_qsl(parts.query))
    if any(k.lower() in PAGE_PARAMS and v.isdigit() for k, v in params.items()):
        return "paginated URL"
    return None


def _linked_headlines(tree: HtmlElement) -> list[HtmlElement]:
    """Headings that are links to stories (a heading inside a link, or a link inside one)."""
    return [h for h in tree.iter(*HEADINGS)
            if word_count(h.text_content()) >= TEASER_MIN_WORDS
            and (h.find(".//a") is not None or any(a.tag == "a" for a in h.iterancestors()))]


def _card(headline: HtmlElement, headlines: set[HtmlElement]) -> HtmlElement:
    """The teaser block around a headline: its largest small ancestor holding no other."""
    card = headline
    for ancestor in headline.iterancestors():
        if ancestor.tag in ("body", "html") or word_count(ancestor.text_content()) > CARD_WORDS \
                or any(h in headlines and h is not headline for h in ancestor.iter(*HEADINGS)):
            break
        card = ancestor
    return card


def _running_words(tree: HtmlElement, headlines: list[HtmlElement]) -> int:
    """Words of running text outside the teaser cards: runs of text of at least
    TEXT_RUN_WORDS words, in paragraphs or not (some CMSes set articles in bare divs),
    outside links, headings and the page frame."""
    cards = {_card(h, set(headlines)) for h in headlines}
    skip = {e for card in cards for e in card.iter()}
    body = tree.find(".//body")
    if body is None:
        return 0
    for frame in body.iter(*FRAME_ELEMENTS):
        skip.update(frame.iter())
    chunks = []
    for element in body.iter():
        if element not in skip and isinstance(element.tag, str):
            chunks.append(element.text)
        # a tail is text of the parent: skipped with the parent's card or frame
        if element.getparent() not in skip:
            chunks.append(element.tail)
    return sum(words for chunk in chunks
               if chunk and (words := word_count(chunk)) >= TEXT_RUN_WORDS)


def _frame_links(tree: HtmlElement) -> set[HtmlElement]:
    """Links of the page frame: menus, and headers and footers not of an article or a
    card (a teaser's headline is often in its `<header>`); mega-menus link hundreds of
    sections."""
    return {a for frame in tree.iter("nav", "header", "footer")
            if frame.tag == "nav" or next(frame.iterancestors("article"), None) is None
            for a in frame.iter("a")}


def _story_links(links: list[Link], titles: dict[str, int], framed: set[HtmlElement]) -> int:
    """Distinct headline links (STORY_LINK_MIN_WORDS words) to pages of the site, outside
    the page frame."""
    return len({link.text.casefold() for link in links
                if link.n_words >= STORY_LINK_MIN_WORDS and link.element not in framed
                and link.text.casefold() in titles})


def _link_titles(links: list[Link], url: str) -> dict[str, int]:
    return {link.text.casefold(): link.n_words for link in links
            if link.n_words >= TEASER_MIN_WORDS and other_page_of_site(link.href, url)}


def reject_page(tree: HtmlElement, url: str, jsonld: JsonLd, links: list[Link],
                facts: PageFacts | None = None) -> str | None:
    """Why the parsed page is not an article, or None. Fills `facts` for `reject_text`."""
    classes = _body_classes(tree)
    signals = _article_signals(tree, jsonld, classes)
    framed = _frame_links(tree)
    # the rules reading the cards' prices and texts are for pages not declaring themselves
    # articles; the others only count them
    cards = teaser_cards(tree, links, url, framed, read=not _declared(signals))
    if facts is not None:
        facts.article_signals = signals
        facts.link_titles = _link_titles(links, url)
        facts.index_url = _index_url(url)
        # only pages that do not declare themselves articles are judged by it
        facts.story_links = 0 if signals else _story_links(links, facts.link_titles, framed)
        facts.cards = cards
        facts.links = links
        facts.url = url
    if "searchresultspage" in jsonld.types:
        return "search page (schema.org SearchResultsPage)"
    if classes & ERROR_BODY_CLASSES:
        return "error page (body class)"
    if (types := jsonld.listing_types) and not jsonld.is_article:
        # more specific than og:type article, which many themes set on every page
        return f"listing page (schema.org {', '.join(sorted(types))})"
    if cards.priced >= PRICED_CARDS and not _declared(signals):
        # before extraction: a shop's category is not worth reading
        return f"listing page ({cards.priced} product cards with prices)"
    if signals:
        return None
    if _is_error(tree):
        return "error page"
    return _search_reason(url, classes) or _listing_reason(tree, url, classes)


def _teasers(paragraphs: list[str], counts: list[int], link_titles: dict[str, int]) -> int:
    """Lines that are a story link, or mostly one ("Title — Author, 21 May 2025")."""
    # by length: a line is searched only for the titles making half its words or more
    by_words = sorted((n, title) for title, n in link_titles.items())
    lengths = [n for n, _ in by_words]
    count = 0
    for paragraph, words in zip(paragraphs, counts, strict=True):
        folded = paragraph.casefold()
        if folded in link_titles:
            count += 1
            continue
        shorter = by_words[bisect_left(lengths, TEASER_TITLE_SHARE * words):
                           bisect_left(lengths, words)]
        count += any(title in folded for _, title in shorter)
    return count


def _names_reason(paragraphs: list[str], counts: list[int], facts: PageFacts) -> str | None:
    """An index of names: most paragraphs are the whole label of a link to another page of
    the site (an A-Z list, a list of episodes by name)."""
    needed = max(LABEL_PARAGRAPHS, LABEL_SHARE * len(paragraphs))
    lines = [strip_bullet(p).casefold() for p in paragraphs]
    titled = sum(1 for line in lines if line in facts.link_titles)
    # the other labels are names of one or two words (with a list's bullet, three), which
    # link_titles leaves out
    short = [line for line, words in zip(lines, counts, strict=True)
             if words <= TEASER_MIN_WORDS and line not in facts.link_titles]
    if titled + len(short) < needed:
        return None
    hrefs: dict[str, list[str]] = {}
    for link in facts.links:
        if 0 < link.n_words < TEASER_MIN_WORDS:
            hrefs.setdefault(link.text.casefold(), []).append(link.href)
    labels = titled + sum(1 for line in short
                          if any(other_page_of_site(h, facts.url) for h in hrefs.get(line, ())))
    if labels < needed:
        return None
    return (f"listing page ({labels} of {len(paragraphs)} paragraphs are names linking to "
            f"pages of the site)")


def _cards_reason(paragraphs: list[str], counts: list[int], facts: PageFacts) -> str | None:
    cards, words = facts.cards, sum(counts)
    if cards.items >= THIN_ITEMS and words < THIN_WORDS_PER_ITEM * cards.items:
        return f"listing page ({cards.items} linked cards and {words} words of text)"
    if len(paragraphs) >= LABEL_PARAGRAPHS and (
            reason := _names_reason(paragraphs, counts, facts)):
        return reason
    if facts.declared:
        return None
    if cards.texts:
        echoed, echoed_cards = echo(list(zip(paragraphs, counts, strict=True)), cards)
        if echoed_cards >= ECHO_MIN_CARDS and echoed >= ECHO_SHARE * words:
            return (f"listing page ({echoed} of {words} words are the text of "
                    f"{echoed_cards} teaser cards)")
    if (longest := max(counts)) < SENTENCE_WORDS:
        return f"not an article text (no sentence: the longest line has {longest} words)"
    return None


def too_little_text(paragraphs: list[str]) -> bool:
    return sum(word_count(p) for p in paragraphs) < MIN_WORDS


def reject_text(paragraphs: list[str], facts: PageFacts) -> str | None:
    """Why the extracted text is not an article text, or None."""
    counts = [word_count(p) for p in paragraphs]
    words = sum(counts)
    if words < MIN_WORDS:
        return f"too little text ({words} words, in both trafilatura modes)"
    teasers = _teasers(paragraphs, counts, facts.link_titles)
    declared = bool(facts.article_signals)
    share = TEASER_SHARE_DECLARED_ARTICLE if declared else TEASER_SHARE
    if teasers >= TEASER_MIN_COUNT and teasers >= share * len(paragraphs):
        return f"listing page ({teasers} of {len(paragraphs)} paragraphs are links to stories)"
    if reason := _cards_reason(paragraphs, counts, facts):
        return reason
    if declared:
        return None
    stories = facts.story_links
    if stories >= INDEX_STORY_LINKS and words < INDEX_WORDS_PER_STORY_LINK * stories:
        return (f"listing page ({stories} links to stories and {words} words of text: "
                f"under {INDEX_WORDS_PER_STORY_LINK} a link)")
    longest = max(counts)
    if longest >= RUNNING_PARAGRAPH_WORDS:
        return None
    if stories >= STORY_LINKS_MIN:
        return (f"listing page ({stories} links to stories, no paragraph of running text:"
                f" the longest has {longest} words)")
    if facts.index_url and teasers:
        return (f"listing page ({facts.index_url}, {teasers} paragraphs are links to stories,"
                f" no paragraph of running text)")
    return None
