"""Cleaning of trafilatura's output tree (its `<p>`, `<head>`, `<list>` elements), after extraction.

What structure-level cleaning cannot see in the page is visible in the extracted text:

- trailing headings: a heading with nothing after it introduced something that was
  removed ("Related Articles", "Support Our Work" above a removed form);
- credit lines: a short line that is a photo/image credit ("Image Credits: X via AFP");
- interface labels: a line that is only a UI word such as "Advertisement", "Share",
  "5 Min Read" (patterns in `UI_LABEL`, generic, not tied to any site);
- repeated lines: the same line twice in a row (a caption echoed as alt text, a
  duplicated standfirst): the first stays. Repeats further apart are left alone: recipes,
  schedules and Q&As repeat lines legitimately.

The rules work on whole lines, so an article sentence that merely mentions a credit or
an advertisement is never touched.
"""

from __future__ import annotations

import re

from lxml.etree import _Element
from trafilatura.xml import delete_element

CREDIT_LINE = re.compile(
    r"^(?:(?:image|photo|picture|video|graphic|illustration|cover|header|featured)s?"
    r"(?:\s+credits?)?|credits?|photograph(?:y|er)?|foto|bild)\s*[:|]"
    r"|^(?:photo|image|picture)s?\s+(?:by|courtesy(?:\s+of)?)\s"
    r"|\|\s*(?:image|photo|picture)s?\s+credits?\s*:", re.I)
CREDIT_MAX_WORDS = 25
UI_LABEL = re.compile(
    r"^[\s\-–—•|]*(?:advertisements?|sponsored(?: content)?|ad|"
    r"share(?: this(?: article| story| post)?)?(?: on)?|tweet|print|e-?mail|copy link|"
    r"follow(?: us)?|read more|continue reading|show more|load more|"
    r"\d+\s*min(?:ute)?s?\s*read|listen(?: to (?:this )?article)?)[\s\-–—•|:.!]*$",
    re.I)
HEADING = "head"


def _text(element: _Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _blocks(body: _Element) -> list[_Element]:
    return [child for child in body if child.tag != "graphic"]


def drop_trailing_headings(body: _Element) -> int:
    """Headings with nothing after them: labels of something that was removed."""
    removed = 0
    blocks = _blocks(body)
    while blocks and blocks[-1].tag == HEADING:
        delete_element(blocks.pop(), keep_tail=False)
        removed += 1
    return removed


def _is_noise_line(text: str) -> bool:
    if not text:
        return False
    if UI_LABEL.match(text):
        return True
    return len(text.split()) <= CREDIT_MAX_WORDS and CREDIT_LINE.search(text) is not None


def drop_noise_lines(body: _Element) -> int:
    removed = 0
    for element in list(body.iter("p", "head", "item")):
        if element.getparent() is not None and _is_noise_line(_text(element)):
            delete_element(element, keep_tail=False)
            removed += 1
    return removed


def _in_table(element: _Element) -> bool:
    return any(ancestor.tag == "table" for ancestor in element.iterancestors())


def drop_repeated_lines(body: _Element) -> int:
    """A line identical to the line before it (a caption echoed by its alt text). Table
    cells are not lines: a row says "Yes | Yes" as often as it needs."""
    removed = 0
    previous = None
    for element in list(body.iter("p", "head")):
        if _in_table(element):
            previous = None
            continue
        text = _text(element).casefold()
        if text and text == previous:
            delete_element(element, keep_tail=False)
            removed += 1
        previous = text
    return removed


def clean_body(body: _Element) -> dict[str, int]:
    """Clean trafilatura's output tree in place; returns removals per rule."""
    counts = {
        "noise-lines": drop_noise_lines(body),
        "repeated-lines": drop_repeated_lines(body),
    }
    counts["trailing-headings"] = drop_trailing_headings(body)
    return counts
