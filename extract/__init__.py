"""Raw page -> clean article record (trafilatura plus newswatch's cleaning).

    from extract import extract_article, extract_page
    article = extract_article(html, url)          # Article, or None if not an article
    result = extract_page(html, url, content_type=None, boilerplate=None)
    result.article, result.reason                  # never raises

See extract.core for the stages.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract.core import extract_article, extract_page
    from extract.record import Article, Extraction
    from extract.repeated import learn_boilerplate

__all__ = ["Article", "Extraction", "extract_article", "extract_page", "learn_boilerplate"]
# Loaded on first use: the light modules (extract.stems, used by config loading) must not
# pull trafilatura into every CLI command.
_HOMES = {"extract_article": "extract.core", "extract_page": "extract.core",
          "Article": "extract.record", "Extraction": "extract.record",
          "learn_boilerplate": "extract.repeated"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")
