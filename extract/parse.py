"""Decoded page text -> lxml tree, as trafilatura's `load_html` parses it, faster.

lxml.html's parser looks up a Python class for every element it hands to Python (forms,
inputs and labels get classes of their own), through a Python callback: about 1.5
million calls over the 321 dev-set articles, walked by our stages and trafilatura's.
Nothing here uses the form classes, so this parser gives every element the plain
`HtmlElement` through lxml's C-level lookup: the same trees, the same texts, and about
5% less CPU a page.

The parser options and the repairs are trafilatura's (`trafilatura.utils.load_html`),
so its stages see the tree they expect.
"""

from __future__ import annotations

import logging

from lxml.etree import ElementDefaultClassLookup
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import repair_faulty_html

LOGGER = logging.getLogger(__name__)

_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                     remove_comments=True, remove_pis=True)
_PARSER.set_element_class_lookup(ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction,
    entity=HtmlEntity))


def _parse(markup: str | bytes) -> HtmlElement | None:
    try:
        return fromstring(markup, parser=_PARSER)
    except ValueError:  # a str declaring its encoding: lxml wants bytes for those
        return None
    except Exception as exc:  # libxml2 gives up on some garbage; the caller says why
        LOGGER.debug("lxml could not parse the page: %s", exc)
        return None


def parse_html(text: str) -> HtmlElement | None:
    """The page's tree, or None when `text` is not HTML (no <html> and under two
    top-level elements) or cannot be parsed."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree = _parse(text)
    if tree is None or len(tree) < 1:
        tree = _parse(text.encode("utf-8", "surrogatepass"))
    if tree is not None and "html" not in beginning and len(tree) < 2:
        return None
    return tree
