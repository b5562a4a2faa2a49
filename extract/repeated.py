"""Repetition-based cleaning: paragraphs that recur across pages of one site are boilerplate.

A newsletter pitch, a standing disclaimer or an author bio that survives structural
cleaning shows up, word for word, on many articles of the same site; article paragraphs do
not. Extraction itself stays a pure, one-page-at-a-time function (it runs in worker
processes), so the knowledge is passed in, not accumulated:

    keys = learn_boilerplate(texts_of_other_pages_of_the_site)     # frozenset[str]
    extract_page(html, url, boilerplate=keys)                        # drops those paragraphs

`learn_boilerplate` counts, for every normalised paragraph, the number of *distinct* pages
it appears on and keeps those seen on at least `min_pages` (a paragraph repeated inside one
page counts once). The caller decides which texts to learn from (e.g. the store's latest
texts of a source) and when to relearn; the keys are stable hashes, so they can be stored.
With `boilerplate=None` nothing is learned or dropped here and structural cleaning
(extract.clean) does the work alone.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from extract.normalize import normalize_paragraph, split_paragraphs

MIN_PAGES = 3  # distinct pages a paragraph must appear on to count as boilerplate
MIN_WORDS = 1  # shorter paragraphs are still boilerplate when they repeat ("Advertisement")


def paragraph_key(paragraph: str) -> str:
    """Stable key of a paragraph: hash of its normalised, case-folded text."""
    folded = normalize_paragraph(paragraph).casefold()
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=10).hexdigest()


def learn_boilerplate(texts: Iterable[str], min_pages: int = MIN_PAGES) -> frozenset[str]:
    """Keys of the paragraphs that occur on at least `min_pages` of the given page texts."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({paragraph_key(p) for p in split_paragraphs(text)
                       if len(p.split()) >= MIN_WORDS})
    return frozenset(key for key, n in counts.items() if n >= min_pages)


def drop_boilerplate(paragraphs: list[str], boilerplate: frozenset[str]) -> list[str]:
    return [p for p in paragraphs if paragraph_key(p) not in boilerplate]
