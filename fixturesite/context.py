"""What a site template gets to render one page: the state's articles, URLs, page chrome."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from typing import Any, TypeVar

from fixturesite.model import ArticleView

T = TypeVar("T")


class Chrome:
    """Deterministic pseudo-random page chrome (counters, orders, ads, nonces).

    Seeded from (site, path, state) so a page is byte-stable within a state, or additionally
    from a per-request variant so every fetch differs (churn).
    """

    def __init__(self, *seed: Any) -> None:
        digest = hashlib.sha256(repr(seed).encode()).digest()
        self._rng = random.Random(int.from_bytes(digest[:8], "big"))

    def count(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def shuffled(self, items: list[T]) -> list[T]:
        out = list(items)
        self._rng.shuffle(out)
        return out

    def pick(self, items: list[T]) -> T:
        return self._rng.choice(items)

    def nonce(self, length: int = 10) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))


@dataclass
class Page:
    """A rendered page before HTTP framing."""

    body: str | bytes
    content_type: str
    last_modified: datetime
    status: int = 200
    is_article: bool = False


@dataclass
class SiteContext:
    site: str
    state: int
    now: datetime  # the state's clock
    bases: dict[str, str]
    articles: list[ArticleView]  # this site's listed articles in this state, newest first
    chrome: Chrome
    everything: dict[str, list[ArticleView]]  # every site's articles in this state
    authors: dict[str, dict[str, str]]  # name -> {"role": ..., "bio": ...}
    hidden: list[ArticleView]  # pages that exist but are not listed (robots-disallowed)

    def url(self, path: str, site: str | None = None) -> str:
        return self.bases[site or self.site].rstrip("/") + path

    def article_url(self, view: ArticleView) -> str:
        return self.url(view.path, view.site)

    def link(self, view: ArticleView) -> str:
        """The link listings and feeds use: with tracking parameters from the article's
        `tracking_from_state` on, as newsletters and social buttons add them."""
        url = self.article_url(view)
        start = view.get("tracking_from_state")
        if start is not None and self.state >= start:
            url += "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly#comments"
        return url

    def tags(self) -> list[str]:
        seen: dict[str, None] = {}
        for view in self.articles:
            for tag in view.data.tags:
                seen.setdefault(tag, None)
        return list(seen)

    def tagged(self, tag: str) -> list[ArticleView]:
        return [v for v in self.articles if tag in v.data.tags]

    def ago(self, minutes: int) -> str:
        """A frame date like "23 minutes ago" relative to the state's clock."""
        if minutes < 60:
            return f"{minutes} minutes ago"
        return f"{minutes // 60} hours ago"

    def before(self, minutes: int) -> datetime:
        return self.now - timedelta(minutes=minutes)


def esc(text: str) -> str:
    return escape(text, quote=True)


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def paginate(items: list[T], page: int, per_page: int) -> tuple[list[T], int]:
    """Items on 1-based `page` and the page count (at least 1)."""
    pages = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page: page * per_page], pages
