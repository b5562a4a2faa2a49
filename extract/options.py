"""The trafilatura options newswatch extracts with, built once and shared read-only.

Chosen by measurement on the 91 real pages of aeb-dev (`python -m bench.extraction`),
trafilatura 2.3.1, F1 over word 4-shingles:

    trafilatura alone                                      F1
    extract() defaults                                     0.962  (keeps reader comments)
    include_comments=False                                 0.965
    favor_precision=True, include_comments=False           0.975  <- chosen
    ... + fast=True (no readability/justext fallback)      0.972
    with newswatch's cleaning on top (extract.clean, .postclean)
    favor_precision=True, include_comments=False           0.9795 (P 0.974, R 0.985)
    ... + fast=True                                        0.977  (recall 0.979)

Reader comments are not the article; precision mode prunes comment containers, related
lists and link-heavy blocks the balanced mode keeps, and loses little recall.

The fallback comparison with readability/justext (fast=False) costs 20-25% of the time
and buys recall on unusual layouts, but only where trafilatura's own pass found little:
on aeb-dev exactly one page of 91 reads differently without it (213 characters instead
of 427). So the fast pass runs first and the full one only when it found fewer than
FALLBACK_BELOW characters (8 of 91 aeb-dev pages, none of the benchmark's): F1 0.9795,
the same as always running the fallback, and 0.977 for the fast pass alone.

Tables stay (data tables are article content); images, links and formatting are not part
of the stored text. Metadata is extracted separately (extract.metadata), so the shared
object carries no per-page state such as a URL or a date bound.
"""

from __future__ import annotations

from functools import lru_cache

from trafilatura.settings import Extractor

FAVOR_PRECISION = True
INCLUDE_COMMENTS = False
INCLUDE_TABLES = True
# a main text shorter than this (characters) is extracted again with the fallback comparison
FALLBACK_BELOW = 1000


@lru_cache(maxsize=2)
def extractor(fast: bool = True) -> Extractor:
    """The shared options objects (trafilatura copies them before changing anything):
    fast, and with the readability/justext fallback comparison."""
    return Extractor(
        output_format="python",
        precision=FAVOR_PRECISION,
        comments=INCLUDE_COMMENTS,
        tables=INCLUDE_TABLES,
        fast=fast,
        formatting=False,
        links=False,
        images=False,
    )
