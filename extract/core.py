"""The extraction pipeline: raw page -> `Extraction` (an `Article`, or why the page is not one).

Stages, one module each, in order:

    decode       bytes -> str (header, BOM, meta charset, detection)     extract.decode
    parse        str -> lxml tree (trafilatura's loader, C-level classes)  extract.parse
    pagetype     feeds, error, search, listing and tag pages rejected     extract.pagetype
    metadata     canonical URL, title, author, dates, language, tags      extract.canonical,
                                                                          extract.metadata
    clean        page furniture removed from the tree by its structure    extract.clean
    rescue       data tables, source lists and anchored section titles    extract.rescue
                 kept from trafilatura's discards
    trafilatura  the main text: precision mode (its readability/justext   extract.cascade,
                 comparison when its own pass found well under the page's  extract.options
                 paragraph text, reusing that pass's trees); the balanced
                 mode when precision found too little to be an article
    postclean    credit lines, UI labels, echoes, trailing headings       extract.postclean
    repeated     paragraphs learned as boilerplate of the site (optional) extract.repeated
    echoes       the title opening the text, a second copy of the article  extract.echoes
    container    paragraphs from outside the article's container: after it, extract.container
                 and the bylines and dates above it
    pagetype     a text that is a blob of teasers, or too short, rejected extract.pagetype
    record       normalised text, text_hash, MinHash signature            extract.normalize,
                                                                          extract.fingerprint

`extract_page` is the one error boundary: whatever goes wrong inside becomes
`Extraction(None, reason)` with the reason logged, so one bad page never stops a crawl.
"""

from __future__ import annotations

import logging
from copy import deepcopy

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt

from extract import cascade, clean, container, echoes, pagetype, postclean, repeated, rescue
from extract.canonical import page_canonical_url
from extract.decode import decode_body
from extract.fingerprint import signature, text_hash
from extract.jsonld import read_jsonld
from extract.links import page_links
from extract.metadata import extract_page_metadata
from extract.normalize import join_paragraphs, split_paragraphs, strip_bullet, word_count
from extract.options import COMPARE_BELOW_CHARS, COMPARE_BELOW_SHARE, extractor
from extract.parse import parse_html
from extract.record import Article, Extraction

LOGGER = logging.getLogger(__name__)


class NotAnArticle(Exception):
    """Raised inside the pipeline with the reason a page is not an article."""


def _body_text(body: _Element | None) -> str:
    if body is None:
        return ""
    postclean.clean_body(body)
    return xmltotxt(body, include_formatting=False)


def _trafilatura_text(tree: HtmlElement, options: Extractor) -> str:
    document = bare_extraction(tree, options=options)  # works on a copy of the tree
    return _body_text(getattr(document, "body", None) if document is not None else None)


def _paragraphs(text: str, boilerplate: frozenset[str] | None) -> list[str]:
    paragraphs = [p for p in (strip_bullet(p) for p in split_paragraphs(text)) if p]
    if boilerplate:
        paragraphs = repeated.drop_boilerplate(paragraphs, boilerplate)
    return paragraphs


def _precision_text(tree: HtmlElement) -> str:
    """Precision mode's text: its own pass, and the readability/justext comparison when
    that pass found little, or well under the page's paragraph text (on some layouts the
    pass picks one block of a longer article: an FAQ, a box, the first section)."""
    page_words = sum(word_count(p.text_content()) for p in tree.iter("p"))
    first = cascade.fast_pass(tree)
    # cleaned on a copy: the comparison weighs the body as trafilatura's pass made it
    text = _body_text(deepcopy(first.body)) if first.found else ""
    if len(text) < COMPARE_BELOW_CHARS or word_count(text) < COMPARE_BELOW_SHARE * page_words:
        text = _body_text(cascade.compared(first))
    return text


def _article_paragraphs(tree: HtmlElement, url: str,
                        boilerplate: frozenset[str] | None) -> list[str]:
    """Precision mode's paragraphs; the balanced mode's when precision found too little.

    Precision mode prunes link-heavy and comment-like blocks, and on some layouts the
    block holding the article with them: a page is only called "too little text" when
    the balanced mode finds too little as well (on the tree as precision mode's cascade
    pruned it, which is where the balanced mode's own cascade starts too)."""
    paragraphs = _paragraphs(_precision_text(tree), boilerplate)
    if not pagetype.too_little_text(paragraphs):
        return paragraphs
    balanced = _paragraphs(_trafilatura_text(tree, extractor(fast=False, precision=False)),
                           boilerplate)
    if pagetype.too_little_text(balanced):
        return paragraphs
    LOGGER.info("read in trafilatura's balanced mode: %s: precision mode found too little "
                "text", url)
    return balanced


def _extract(html: bytes | str, url: str, content_type: str | None,
             boilerplate: frozenset[str] | None) -> Article:
    if reason := pagetype.reject_content_type(content_type):
        raise NotAnArticle(reason)
    text = decode_body(html, content_type).text
    if reason := pagetype.reject_markup(text):
        raise NotAnArticle(reason)
    tree = parse_html(text)
    if tree is None:
        raise NotAnArticle("empty or unparsable page")
    jsonld = read_jsonld(tree)
    links = page_links(tree)
    facts = pagetype.PageFacts()
    if reason := pagetype.reject_page(tree, url, jsonld, links, facts):
        raise NotAnArticle(reason)
    canonical = page_canonical_url(tree, url)
    meta = extract_page_metadata(tree, canonical or url, jsonld)
    headlines = [meta.title or "", *(h1.text_content() for h1 in tree.iter("h1"))]
    clean.clean_tree(tree, links, url)
    rescue.keep_data_tables(tree)
    rescue.keep_source_lists(tree, url)
    rescue.keep_anchored_headings(tree, url)
    paragraphs = _article_paragraphs(tree, url, boilerplate)
    paragraphs = echoes.drop_second_copies(echoes.drop_title_echo(paragraphs, headlines))
    paragraphs = container.drop_outside(paragraphs, tree)
    if reason := pagetype.reject_text(paragraphs, facts):
        raise NotAnArticle(reason)
    body = join_paragraphs(paragraphs)
    return Article(
        url=canonical,
        title=meta.title,
        author=meta.author,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        sitename=meta.sitename,
        text=body,
        text_hash=text_hash(body),
        tags=meta.tags,
        signature=signature(body),
    )


def extract_page(html: bytes | str, url: str, content_type: str | None = None,
                 boilerplate: frozenset[str] | None = None) -> Extraction:
    """Extract one page; never raises.

    html: the raw body (bytes are decoded with `content_type`'s charset, the BOM, the
    page's meta charset or detection). url: the fetched URL (after redirects).
    boilerplate: paragraph keys learned from other pages of the same site
    (`extract.repeated.learn_boilerplate`), dropped from the text.
    """
    try:
        return Extraction(_extract(html, url, content_type, boilerplate))
    except NotAnArticle as exc:
        LOGGER.info("not an article: %s: %s", url, exc)
        return Extraction(None, str(exc))
    except Exception as exc:  # the one boundary: a bad page must not stop a crawl
        LOGGER.warning("extraction failed: %s: %s: %s (the page is recorded as an error; "
                       "`newswatch extract URL` reproduces it alone)", url,
                       type(exc).__name__, exc)
        return Extraction(None, f"extraction failed: {type(exc).__name__}: {exc}")


def extract_article(html: bytes | str, url: str) -> Article | None:
    """The article record of a page, or None when it is not an article."""
    return extract_page(html, url).article
