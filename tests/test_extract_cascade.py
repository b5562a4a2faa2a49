"""extract.parse and extract.cascade do trafilatura's work faster, never differently: the
same trees as its `load_html`, the same text as its `bare_extraction` in precision mode,
with and without the readability/justext comparison, on real pages of both dev sets and
on the fixture sites' pages (the pinned trafilatura minor version is what makes this hold;
this test is what tells an upgrade broke it)."""

from __future__ import annotations

import gzip
import json
from copy import deepcopy
from pathlib import Path

import pytest
from lxml.etree import tostring
from trafilatura.utils import load_html

from extract import cascade, clean, core
from extract.decode import decode_body
from extract.links import page_links
from extract.options import extractor
from extract.parse import parse_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# the first four go through the comparison (precision mode's own pass found too little
# of the page's paragraph text), the last four do not
PAGES = ["modern-dev/0073", "modern-dev/0183", "modern-dev/1837",
         "aeb-dev/0d46122928b6f468cc4bbc694051d0dbae5702bc75a16dab82a99b58daf150a0",
         "modern-dev/0015", "modern-dev/0409",
         "aeb-dev/05844573ca7e1fba714d715bb11ca08c26e25328999c74a1cb3bc8a0e4399f0f",
         "modern-dev/0129"]


def _page(key: str) -> tuple[str, str]:
    name, page_id = key.split("/")
    folder = SHARED / name
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
    return decode_body(html, None).text, truth[page_id]["url"]


def _dev_pages() -> list[str]:
    keys = [k for k in PAGES if (SHARED / k.split("/")[0] / "html"
                                 / f"{k.split('/')[1]}.html.gz").exists()]
    assert len(keys) == len(PAGES), "the dev sets in ../shared are missing pages"
    return keys


@pytest.mark.parametrize("key", _dev_pages())
def test_parse_html_builds_trafilaturas_tree(key: str) -> None:
    text, _ = _page(key)
    ours, theirs = parse_html(text), load_html(text)
    assert ours is not None and theirs is not None
    assert tostring(ours, encoding="unicode") == tostring(theirs, encoding="unicode")


def test_parse_html_refuses_what_load_html_refuses() -> None:
    for text in ("", "just some words", "<p>one block</p>"):
        assert (parse_html(text) is None) == (load_html(text) is None), text


@pytest.mark.parametrize("key", _dev_pages())
def test_the_cascade_reads_what_bare_extraction_reads(key: str) -> None:
    text, url = _page(key)
    tree = parse_html(text)
    assert tree is not None
    clean.clean_tree(tree, page_links(tree), url)
    fast_expected = core._trafilatura_text(tree, extractor(fast=True))
    compared_expected = core._trafilatura_text(tree, extractor(fast=False))
    first = cascade.fast_pass(tree)
    assert core._body_text(deepcopy(first.body)) == fast_expected
    assert core._body_text(cascade.compared(first)) == compared_expected
    assert len(fast_expected.split()) > 100

