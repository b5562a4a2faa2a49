"""Raw page -> clean article record (trafilatura plus newswatch's cleaning).

    from extract import extract_article, extract_page
    article = extract_article(html, url)          # Article, or None if not an article
    result = extract_page(html, url, content_type=None, boilerplate=None)
    result.article, result.reason                  # never raises

See extract.core for the stages.
"""

from extract.core import extract_article, extract_page
from extract.record import Article, Extraction
from extract.repeated import learn_boilerplate

__all__ = ["Article", "Extraction", "extract_article", "extract_page", "learn_boilerplate"]
