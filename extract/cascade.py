"""trafilatura's main-text cascade in precision mode, run once per page.

`bare_extraction` in precision mode is: prune the raw tree, clean and convert a copy,
run its own extractor, and (unless `fast`) compare the result with readability/justext.
newswatch asks for the comparison only when the fast result is short or well under the
page's paragraph text (extract.options), which through `bare_extraction` meant running
the whole cascade twice on those pages. Here the comparison reuses the first run's
pruned and cleaned trees, and the tree is not copied once more on the way in.

This calls trafilatura's internals (the steps of `trafilatura.core.trafilatura_sequence`
for precision mode without comments), so pyproject pins trafilatura's minor version, and
tests/test_extract_cascade.py checks that the text equals `bare_extraction`'s, with and
without the comparison, on real pages.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.core import _forum_thread_page, _prepare_tree
from trafilatura.external import compare_extraction
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.main_extractor import extract_content
from trafilatura.xpaths import (
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    REMOVE_COMMENTS_XPATH,
)

from extract.options import extractor


@dataclass
class FastPass:
    """Precision mode's own pass over a page, kept for an optional comparison."""

    body: _Element
    text: str  # trafilatura's text of `body`, which the comparison weighs
    tree: HtmlElement  # the pruned raw tree (readability reads it)
    cleaned: HtmlElement  # the cleaned, unconverted tree (justext reads it)

    @property
    def found(self) -> bool:
        return _found(self.text)


def _found(text: str) -> bool:
    # bare_extraction returns nothing below this size
    return len(text) >= extractor(fast=True).min_output_size


def fast_pass(tree: HtmlElement) -> FastPass:
    """Precision mode's own pass over `tree`, without the comparison.

    `tree` is pruned in place as the cascade prunes it (comment containers, infinite-
    scroll appendices), which is what a later `bare_extraction` of it does first anyway;
    a forum thread is copied, since the balanced mode keeps its comments."""
    options = extractor(fast=True)
    if _forum_thread_page(tree):
        tree = copy(tree)
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    cleaned, cleaned_backup = _prepare_tree(tree, options, None)
    cleaned = prune_unwanted_nodes(cleaned, REMOVE_COMMENTS_XPATH)
    body, text = extract_content(cleaned, options)
    return FastPass(body, text, tree, cleaned_backup)


def compared(first: FastPass) -> _Element | None:
    """The body after precision mode's comparison with readability/justext: what
    `bare_extraction` without `fast` returns, from the fast pass's trees."""
    body, text = compare_extraction(first.cleaned, copy(first.tree), first.body, first.text,
                                    extractor(fast=False))
    return body if _found(text) else None
