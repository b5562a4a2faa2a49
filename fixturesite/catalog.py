"""FixtureSites: the fixture sites' articles per timeline state, rendered on request."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qsl, urlsplit

from fixturesite import analysis, encodings, koreanews, m31, rusnews, westjournal
from fixturesite.context import Chrome, Page, SiteContext, http_date
from fixturesite.model import (
    ArticleData,
    ArticleView,
    apply_edits,
    load_article,
    parse_time,
)

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures"
SITES: dict[str, ModuleType] = {"m31": m31, "westjournal": westjournal, "analysis": analysis,
                                "koreanews": koreanews, "rusnews": rusnews}

NOT_FOUND = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found</title></head>
<body><h1>404 Not Found</h1><p>The page you requested could not be found.</p></body></html>
"""


@dataclass
class FixtureResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class FixtureSites:
    """The fixture sites under `root` (default FIXTURES_DIR), all timeline states."""

    def __init__(self, root: Path | str = FIXTURES_DIR) -> None:
        self.root = Path(root)
        timeline = json.loads((self.root / "timeline.json").read_text(encoding="utf-8"))
        self.timeline: list[dict] = timeline["states"]
        self.authors: dict[str, dict[str, str]] = json.loads(
            (self.root / "authors.json").read_text(encoding="utf-8"))
        self.articles: list[ArticleData] = [
            load_article(p) for p in sorted((self.root / "articles").glob("*/*.json"))]
        self._by_id = {a.id: a for a in self.articles}
        self._views = lru_cache(maxsize=None)(self._resolve_state)

    @property
    def names(self) -> list[str]:
        return list(SITES)

    @property
    def state_count(self) -> int:
        return len(self.timeline)

    def state_time(self, state: int) -> datetime:
        return parse_time(self.timeline[state]["at"])

    # -- resolving articles per state ------------------------------------------------------

    def view(self, data: ArticleData, state: int) -> ArticleView:
        title, body, modified = apply_edits(data, state)
        original = None
        if data.copy_of:
            original = self.view(self._by_id[data.copy_of], state)
            title, body = original.title, original.body
        published = parse_time(data.published)
        return ArticleView(data=data, title=title, body=body, published=published,
                           modified=parse_time(modified) if modified else published,
                           version=data.version_at(state), original=original)

    def _resolve_state(self, state: int) -> dict[str, list[ArticleView]]:
        out: dict[str, list[ArticleView]] = {name: [] for name in SITES}
        for data in self.articles:
            if data.exists(state):
                out[data.site].append(self.view(data, state))
        for views in out.values():
            views.sort(key=lambda v: (v.published, v.path), reverse=True)
        return out

    def views(self, site: str, state: int) -> list[ArticleView]:
        """Every article page of `site` that exists in `state` (listed or not)."""
        return list(self._views(state)[site])

    def context(self, site: str, state: int, bases: dict[str, str]) -> SiteContext:
        every = self._views(state)
        listed = {s: [v for v in vs if not v.data.disallowed] for s, vs in every.items()}
        return SiteContext(
            site=site, state=state, now=self.state_time(state), bases=bases,
            articles=listed[site], chrome=Chrome(site, state), everything=listed,
            authors=self.authors, hidden=[v for v in every[site] if v.data.disallowed])

    # -- rendering -------------------------------------------------------------------------

    def page(self, site: str, path: str, state: int, bases: dict[str, str],
             variant: int | None = None) -> Page | None:
        """The page at `path` (may carry a query) or None when there is none."""
        parts = urlsplit(path)
        ctx = self.context(site, state, bases)
        for view in self._views(state)[site]:
            if view.path == parts.path:
                # Some sites' chrome only churns, it does not change from state to state.
                when = None if getattr(SITES[site], "STABLE_ACROSS_STATES", False) else state
                seed = (site, view.path, when, variant)
                html = SITES[site].article(ctx, view, Chrome(*seed))
                return Page(html, "text/html; charset=utf-8", view.modified, is_article=True)
        if site == "analysis" and (enc := encodings.page(parts.path)) is not None:
            return enc
        return SITES[site].route(ctx, parts.path, dict(parse_qsl(parts.query)))

    def render(self, site: str, path: str, state: int, bases: dict[str, str],
               variant: int | None = None) -> FixtureResponse:
        """Status, headers and body for `path` on `site` in `state`; 404 for unknown paths.

        `variant` (the server's per-request counter when churning) reseeds the chrome of
        article pages so every fetch differs.
        """
        if site not in SITES or not 0 <= state < self.state_count:
            raise ValueError(f"no such site/state: {site!r} {state}")
        page = self.page(site, path, state, bases, variant)
        if page is None:
            page = Page(NOT_FOUND, "text/html; charset=utf-8", self.state_time(0), status=404)
        body = page.body.encode("utf-8") if isinstance(page.body, str) else page.body
        headers = {
            "Content-Type": page.content_type,
            "Content-Length": str(len(body)),
            "Last-Modified": http_date(page.last_modified),
            "ETag": etag_of(body),
        }
        return FixtureResponse(page.status, headers, body)

    def non_articles(self, state: int) -> list[tuple[str, str]]:
        """Listing, tag, search, feed and sitemap pages of every site in `state`."""
        bases = {name: f"http://{name}.invalid" for name in SITES}
        return [(site, path) for site, module in SITES.items()
                for path in module.non_article_paths(self.context(site, state, bases))]

    def article_paths(self, state: int) -> list[tuple[str, str]]:
        return [(v.site, v.path) for vs in self._views(state).values() for v in vs]
