"""Text from around the article's container is dropped (extract.container): what follows the
container (a call to action, an author box, the site's "about us"), and the byline and
date lines above it; a standfirst above it, an FAQ continuing it, and the notes under a
table of results stay."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lxml.html import HtmlElement

from extract import extract_page
from extract.container import drop_outside, trace
from extract.parse import parse_html

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SENTENCE = ("The council approved the new budget for the harbour after a long debate about "
            "the cost of dredging the channel and repairing the old sea wall.")
BODY = [f"{SENTENCE} Point {i}." for i in range(12)]


def _tree(html: str) -> HtmlElement:
    tree = parse_html(html)
    assert tree is not None
    return tree


def _page(header: str, article: str, after: str) -> HtmlElement:
    return _tree(f"<html><body><main><header>{header}</header><div class='post'>{article}"
                 f"</div><div class='cta'>{after}</div></main></body></html>")


def _ps(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def test_paragraphs_are_traced_in_document_order() -> None:
    tree = _tree("<html><body><nav><p>Point 1</p></nav><div><p>Point 1</p><ul><li><p>Item"
                 "</p></li></ul></div></body></html>")
    traced = trace(["Point 1", "Item", "Missing"], tree)
    assert traced[0] is not None and traced[0].getparent().tag == "nav"
    assert traced[1] is not None and traced[1].tag == "p"  # the innermost of li > p
    assert traced[2] is None


def test_what_follows_the_container_goes() -> None:
    after = ["Ready to transform your harbour?", "Book a demo with our experts today."]
    tree = _page("", _ps(BODY), _ps(after))
    assert drop_outside([*BODY, *after], tree) == BODY


def test_bylines_above_go_a_standfirst_stays() -> None:
    lead = ["By Jane Doe", "March 3, 2026", "Harbour budget passes after a night of debate."]
    tree = _page(_ps(lead), _ps(BODY), "")
    assert drop_outside([*lead, *BODY], tree) == [lead[2], *BODY]


def test_a_block_continuing_the_article_stays() -> None:
    # an FAQ holding more than a tenth of the words is the article's, in a block of its own
    faq = [f"{SENTENCE} Question {i}?" for i in range(3)]
    tree = _page("", _ps(BODY), _ps(faq))
    assert drop_outside([*BODY, *faq], tree) == [*BODY, *faq]


def test_untraced_paragraphs_stay() -> None:
    tree = _page("", _ps(BODY), "<div>Sign up<br>for news</div>")
    text = [*BODY, "Sign up", "for news"]
    assert drop_outside(text, tree) == text


def test_notes_under_a_table_of_results_stay() -> None:
    # aeb-dev 11ea381a: a table holds nine tenths of the words; it is not the container
    rows = "".join(f"<tr><td>{i}</td><td>Driver number {i} of the season</td><td>{100 - i}"
                   f"</td></tr>" for i in range(40))
    notes = ["* Only the first twelve race for the title."]
    tree = _tree(f"<html><body><article><p>Standings.</p><table>{rows}</table>"
                 f"{_ps(notes)}</article></body></html>")
    lines = ["Standings.", *(f"| {i} | Driver number {i} of the season | {100 - i} |"
                             for i in range(40)), *notes]
    assert drop_outside(lines, tree) == lines


def test_a_real_pages_date_line_and_author_boxes_are_not_stored() -> None:
    # modern-dev 0065: a date line above the article's container, and the boxes of its
    # author and reviewers below it, which trafilatura read with the article
    folder = SHARED / "modern-dev"
    url = json.loads((folder / "ground-truth.json").read_text("utf-8"))["0065"]["url"]
    html = gzip.decompress((folder / "html" / "0065.html.gz").read_bytes())
    result = extract_page(html, url)
    assert result.article is not None, result.reason
    lines = result.article.text.split("\n\n")
    assert "July 29, 2025" not in lines
    assert "Article reviewed by:" not in lines
    assert not any(line.startswith("In his free time, Dr. Vedala") for line in lines)
    assert lines[0].startswith("The pharmacological treatment of obesity"), lines[:3]
