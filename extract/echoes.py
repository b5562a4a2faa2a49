"""Text the extracted paragraphs say twice: the page's title, and a second copy of the article.

- The title echo: a body that opens with the page's headline repeats what the record
  stores as `title` (trafilatura keeps the `<h1>` when it sits inside the article's
  block). Only the first paragraph is compared: a section heading that happens to
  restate the title further down is the author's.
- A second copy: responsive themes, tabbed layouts and hidden print views render the
  article (or a long part of it) twice, and trafilatura reads both. A run of paragraphs
  identical to an earlier run is a copy when it is long (`COPY_MIN_PARAGRAPHS`) and holds
  a large share of the text (`COPY_MIN_SHARE`): short repeated runs are the article's own
  (a meal plan's identical days, a table's repeated rows, a chorus) and are kept.

Pure functions over normalised paragraphs (extract.normalize), compared case-folded; the
title by its words only, as headings and `<title>`s punctuate it differently.
"""

from __future__ import annotations

from extract.fingerprint import words
from extract.normalize import word_count

COPY_MIN_PARAGRAPHS = 3
COPY_MIN_SHARE = 0.25


def drop_title_echo(paragraphs: list[str], titles: list[str]) -> list[str]:
    """`paragraphs` without its first one when that one is one of `titles` (the page's
    `<h1>` headings and its metadata title), word for word."""
    if not paragraphs:
        return paragraphs
    first = words(paragraphs[0])
    if first and any(first == words(title) for title in titles if title):
        return paragraphs[1:]
    return paragraphs


def _copy_length(keys: list[str], start: int, earlier: int) -> int:
    """How many paragraphs from `start` repeat those from `earlier`, without overlap."""
    length = 0
    while (start + length < len(keys) and earlier + length < start
           and keys[earlier + length] == keys[start + length]):
        length += 1
    return length


def drop_second_copies(paragraphs: list[str]) -> list[str]:
    """`paragraphs` without the runs that repeat an earlier run and hold at least
    `COPY_MIN_SHARE` of the words; the first copy stays."""
    keys = [p.casefold() for p in paragraphs]  # paragraphs come whitespace-normalised
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    if len(first) == len(keys):
        return paragraphs  # nothing repeats: most pages
    counts = [word_count(p) for p in paragraphs]
    total = sum(counts)
    dropped: set[int] = set()
    index = 0
    while index < len(keys):
        earlier = first[keys[index]]
        if earlier < index:
            length = _copy_length(keys, index, earlier)
            if (length >= COPY_MIN_PARAGRAPHS
                    and sum(counts[index:index + length]) >= COPY_MIN_SHARE * total):
                dropped.update(range(index, index + length))
                index += length
                continue
        index += 1
    if not dropped:
        return paragraphs
    return [p for i, p in enumerate(paragraphs) if i not in dropped]
