"""The article record: plain data shared by extraction, the store and the crawler."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract.topics import TopicMatch


@dataclass
class Article:
    """What extraction makes of one article page (the page-derived `articles` fields).

    Missing values are None, never placeholders.
    """

    url: str  # canonical URL
    title: str | None
    author: str | None
    published: str | None  # ISO 8601 date or datetime
    modified: str | None
    language: str | None
    sitename: str | None
    text: str  # NFC, whitespace folded, paragraphs separated by one blank line
    text_hash: str  # extract.fingerprint.text_hash(text)
    tags: list[str] = field(default_factory=list)
    signature: bytes | None = None  # near-duplicate signature: extract.fingerprint.signature(text)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("signature", None)
        return data


@dataclass
class Extraction:
    """The outcome of extracting one page: an article, or the reason it is not one."""

    article: Article | None
    reason: str | None = None  # e.g. "listing page", "error page", "too little text"
    topics: TopicMatch | None = None  # when whoever extracted also matched the topics

    @property
    def ok(self) -> bool:
        return self.article is not None
