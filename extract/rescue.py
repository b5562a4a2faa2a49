"""Article content that trafilatura would discard for how it is marked up, not for what
it is: run on the cleaned tree, before trafilatura.

Data tables in blocks with furniture names. trafilatura drops blocks whose class or id
carries a furniture word ("embed", "slide", "meta", "banner", "teaser", "link"...), before
looking at what they hold. Some site builders name every custom block that way: Webflow
wraps each piece of custom HTML in `div.w-embed`, so a comparison table set in one
vanished from the text (modern-dev 0019, 0061). A table of three or more rows is article
content wherever it sits, except in the page frame (menus, headers, footers, sidebars), so
such a block loses the class tokens and id that get it discarded, and keeps the others
(trafilatura finds the main container by names such as "content"). trafilatura still
drops link-heavy tables (navigation grids, widgets of links). Modern-dev F1 +0.0017,
aeb-dev unchanged.

Lists of links to other sites. trafilatura drops a list made of links as navigation; a
list of links to the site's own pages is that (extract.clean removes it too), but a list
of links elsewhere is the article's sources, references or reading. Its links are
unwrapped (the stored text has no links), so trafilatura weighs it as text. Modern-dev
+0.0007, aeb-dev +0.0002 (10 pages better, 4 worse).

Headings linked to their own page or to another site. A section title that is an anchor
or a permalink (`<h2><a href="#pricing">Pricing</a></h2>`) looks like a linked teaser
headline to precision mode, which drops it. Unlinked, it stays. Modern-dev +0.0005 (8
pages better, 1 worse), aeb-dev unchanged. So does a section title linked to the work,
course or product the section presents on another site (`<h3><a href="https://studio.
example/work">Disarmed by ...</a></h3>`): teasers link to the site's own stories.
Modern-dev +0.0008, aeb-dev +0.0005 (12 pages better, none worse).

Tried and dropped: un-naming any named block holding half the page's running text (an
article in a "banner" section). It lost on 7 modern-dev pages: trafilatura keeps a page
whose discards would remove most of its text whole, and un-naming the big block let the
smaller discards through.
"""

from __future__ import annotations

from functools import lru_cache

from lxml.html import HtmlElement, fromstring
from trafilatura.xpaths import (
    OVERALL_DISCARD_XPATH,
    PRECISION_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

from extract.links import other_site, same_page

# the discards by class/id name (the hidden-element and caption rules are not names)
_BY_NAME = (OVERALL_DISCARD_XPATH[0], *TEASER_DISCARD_XPATH, *PRECISION_DISCARD_XPATH[1:])
_FRAME = frozenset({"nav", "header", "footer", "aside"})
# what trafilatura's discards look at, before its conversion of lists to list/item
_BLOCKS = frozenset({"div", "section", "span", "p", "ul", "ol", "li"})
TABLE_MIN_ROWS = 3


@lru_cache(maxsize=4096)
def _discarded(attribute: str, value: str) -> bool:
    """Whether trafilatura discards a block for this one class token, id or role."""
    probe = fromstring("<div><div></div></div>")
    probe[0].set(attribute, value)
    return any(xpath(probe) for xpath in _BY_NAME)


def _unname(block: HtmlElement) -> bool:
    """Drop the class tokens, id and role that get the block discarded, keep the others
    (trafilatura finds the main container by names such as "content" and "article");
    whether there were any."""
    found = False
    for name in ("id", "role"):
        if (value := block.get(name)) is not None and _discarded(name, value):
            del block.attrib[name]
            found = True
    if (classes := block.get("class")) is not None:
        kept = [token for token in classes.split() if not _discarded("class", token)]
        if len(kept) < len(classes.split()):
            block.set("class", " ".join(kept))
            found = True
    return found


def keep_data_tables(tree: HtmlElement) -> int:
    """Unname the blocks around data tables that trafilatura would discard by name;
    returns how many. A page without tables costs one search for them."""
    unnamed = 0
    for table in tree.iter("table"):
        if len(table.findall(".//tr")) < TABLE_MIN_ROWS:
            continue
        blocks = list(table.iterancestors())
        if any(block.tag in _FRAME for block in blocks):
            continue
        unnamed += sum(_unname(block) for block in blocks if block.tag in _BLOCKS)
    return unnamed


SOURCE_LIST_SHARE = 0.8  # of a list's links that go to other sites


def keep_source_lists(tree: HtmlElement, url: str) -> int:
    """Unlink the links of lists that point to other sites (sources, references, reading
    elsewhere), outside the page frame; returns how many lists.

    trafilatura drops a list made of links as link-heavy navigation; a list of links to
    the site's own pages is that (extract.clean removes it too), a list of links elsewhere
    is part of the article. The text is the same without the links (newswatch stores no
    links), and trafilatura weighs it as text."""
    kept = 0
    for block in list(tree.iter("ul", "ol")):
        anchors = [a for item in block if item.tag == "li" for a in item.iter("a")]
        if len(anchors) < 2 or any(ancestor.tag in _FRAME for ancestor in block.iterancestors()):
            continue
        if sum(other_site(a.get("href") or "", url) for a in anchors) \
                < SOURCE_LIST_SHARE * len(anchors):
            continue
        for anchor in anchors:
            anchor.drop_tag()
        kept += 1
    return kept


HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def keep_anchored_headings(tree: HtmlElement, url: str) -> int:
    """Unlink the links of headings to their own page (a table of contents' anchors, a
    permalink on every section title) or to another site (what the section presents);
    returns how many. Precision mode drops a heading that is a link as a teaser's; these
    are the article's section titles."""
    anchors = [a for heading in tree.iter(*HEADINGS) for a in heading.iter("a")
               if same_page(href := a.get("href") or "", url) or other_site(href, url)]
    for anchor in anchors:
        anchor.drop_tag()
    return len(anchors)
