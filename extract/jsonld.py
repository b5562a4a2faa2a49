"""schema.org JSON-LD blocks of a page, flattened to the few facts extraction uses.

Metadata takes exact timestamps, language and keywords from the article object; page-type
detection takes the declared page types (an `Article` vs a `CollectionPage`,
`SearchResultsPage`, `ItemList`...). Malformed blocks are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting",
    "scholarlyarticle", "techarticle", "satiricalarticle", "socialmediaposting", "report",
    "askpublicnewsarticle", "advertisercontentarticle",
})
LISTING_TYPES = frozenset({
    "collectionpage", "searchresultspage", "itemlist", "profilepage", "blog",
})


@dataclass
class JsonLd:
    types: set[str] = field(default_factory=set)  # lower-cased @type of every object
    article: dict[str, Any] = field(default_factory=dict)  # the first article object

    @property
    def is_article(self) -> bool:
        return bool(self.types & ARTICLE_TYPES)

    @property
    def listing_types(self) -> set[str]:
        return self.types & LISTING_TYPES

    def get(self, key: str) -> Any:
        return self.article.get(key)


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _objects(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(node.get(key), list | dict):
                yield from _objects(node[key])


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def read_jsonld(tree: HtmlElement) -> JsonLd:
    result = JsonLd()
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for obj in _objects(data):
            types = _types(obj)
            result.types |= types
            if types & ARTICLE_TYPES and not result.article:
                result.article = obj
    return result


def as_text(value: Any) -> str | None:
    """A JSON-LD value as one string: str, first of a list, or an object's name."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return value.strip() if isinstance(value, str) and value.strip() else None
