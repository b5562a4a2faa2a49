"""A large fixture site for the benchmarks: N article pages in the three fixture templates.

    with BigSite(pages=5000) as site:      # serves on 127.0.0.1, one port per site
        site.article_urls                   # every article URL, in a fixed order
        site.counters.snapshot()            # requests, 304s, body bytes sent so far

Articles are recombined from the fixture articles: each generated page takes the chrome and
metadata style of a fixture article of its site (dek, highlights, figure, section, tags) and
6-12 paragraphs drawn from every fixture article, plus a unique dateline paragraph, so no two
texts are near-duplicates. Listings, tag pages, feeds (newest 50 items), sitemaps and
robots.txt come from the fixture templates unchanged. Every article page is rendered once at
start-up and served from memory (with ETag, Last-Modified and 304s like the fixture server),
so the server spends little CPU per request and does not compete with what is measured.
Run it by hand: `python -m bench.bigsite --pages 500` prints the base URLs.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from newswatch.fixturesite.catalog import SITES
from newswatch.fixturesite.context import Chrome, Page, SiteContext
from newswatch.fixturesite.model import ArticleData, ArticleView, block_texts

from newswatch.fixtures import FixtureResponse, FixtureSites

HOST = "127.0.0.1"
STATE = 0
NEIGHBOURS = 8  # other stories linked from an article page (most read, next/previous)
FEED_ITEMS = 50  # real feeds carry the newest few dozen items, sitemaps carry everything
SHARE = {"m31": 0.4, "westjournal": 0.3, "analysis": 0.3}
FEEDS = {"m31": {"/feed/", "/feed/atom/"},
         "westjournal": {"/feed/", "/feed/atom.xml", "/feed.rdf"},
         "analysis": {"/rss.xml", "/atom.xml", "/index.rdf"}}
SITEMAPS = {"m31": "/sitemap_index.xml", "westjournal": "/sitemap.xml",
            "analysis": "/sitemap-index.xml"}
# extras that tie a fixture article to the timeline or to its own text
DROP_EXTRAS = {"seed", "post_id", "tracking_from_state", "footnotes", "top_link", "signoff"}


def _path(site: str, slug: str, when: datetime) -> str:
    if site == "m31":
        return f"/{when:%Y/%m}/{slug}/"
    if site == "westjournal":
        return f"/news/{slug}/"
    return f"/analysis/{slug}.html"


def generate(sites: FixtureSites, pages: int, seed: int = 7) -> list[ArticleData]:
    """`pages` article records recombined from the fixture articles."""
    rng = random.Random(seed)
    pool = [t for a in sites.articles for b in a.body if isinstance(b, str)
            for t in block_texts(b)]
    templates = {s: [a for a in sites.articles if a.site == s and a.body and not a.disallowed
                     and not a.copy_of] for s in SITES}
    counts = {s: int(pages * share) for s, share in SHARE.items()}
    counts["m31"] += pages - sum(counts.values())
    start = datetime(2025, 6, 1, 12, tzinfo=UTC)
    out: list[ArticleData] = []
    n = 0
    for site, count in counts.items():
        for _ in range(count):
            n += 1
            tpl = rng.choice(templates[site])
            when = start - timedelta(hours=3 * n + rng.randint(0, 2))
            words = tpl.title.split()
            title = " ".join(words[: rng.randint(4, max(4, len(words)))]) + f", report {n}"
            slug = f"bench-report-{n}-" + "-".join(w.lower() for w in words[:3] if w.isalnum())
            dateline = (f"Report {n} from the {tpl.section or 'news'} desk, filed on "
                        f"{when:%A %d %B %Y} at {when:%H:%M}: correspondents number {n % 97} "
                        f"and {n % 89} followed the story {rng.randint(2, 40)} days.")
            body: list[Any] = [dateline, *rng.sample(pool, rng.randint(6, 12))]
            if site == "m31":
                body.insert(3, {"h2": f"What report {n} found"})
            extra = {k: v for k, v in tpl.extra.items() if k not in DROP_EXTRAS}
            out.append(ArticleData(
                id=f"bench-{n}", site=site, path=_path(site, slug, when), title=title,
                author=tpl.author, published=when.isoformat(), modified=None,
                section=tpl.section, tags=tpl.tags, topics=(), body=tuple(body), extra=extra))
    return out


class BigSites(FixtureSites):
    """FixtureSites over generated articles (state 0 only), with O(1) page lookup."""

    def __init__(self, pages: int, seed: int = 7) -> None:
        super().__init__()
        self.articles = generate(self, pages, seed)
        self._by_id = {a.id: a for a in self.articles}
        self._views = lru_cache(maxsize=None)(self._resolve_state)
        self._contexts: dict[tuple[str, tuple[tuple[str, str], ...]], SiteContext] = {}
        self._indexes: dict[str, dict[str, ArticleView]] = {}
        self._positions: dict[str, dict[str, int]] = {}

    def index(self, site: str) -> dict[str, ArticleView]:
        return {v.path: v for v in self._views(STATE)[site]}

    def context(self, site: str, state: int, bases: dict[str, str]) -> SiteContext:
        key = (site, tuple(sorted(bases.items())))
        if key not in self._contexts:
            self._contexts[key] = super().context(site, STATE, bases)
        return self._contexts[key]

    def page(self, site: str, path: str, state: int, bases: dict[str, str],
             variant: int | None = None) -> Page | None:
        parts = urlsplit(path)
        ctx = self.context(site, STATE, bases)
        view = self._article_index(site).get(parts.path)
        if view is not None:
            # An article page shows a few other stories (most read, previous/next, trending);
            # the fixture templates list every article of the site, which at thousands of
            # articles would make each page a site index, so they get the nearest ones only.
            at = self._positions[site][view.path]
            near = ctx.articles[max(0, at - NEIGHBOURS // 2): at + NEIGHBOURS // 2 + 1]
            html = SITES[site].article(replace(ctx, articles=near), view,
                                       Chrome(site, view.path, STATE, None))
            return Page(html, "text/html; charset=utf-8", view.modified, is_article=True)
        if parts.path in FEEDS[site]:
            ctx = replace(ctx, articles=ctx.articles[:FEED_ITEMS])
        return SITES[site].route(ctx, parts.path, dict(parse_qsl(parts.query)))

    def _article_index(self, site: str) -> dict[str, ArticleView]:
        if site not in self._indexes:
            self._indexes[site] = self.index(site)
            listed = self._views(STATE)[site]
            self._positions[site] = {v.path: i for i, v in enumerate(listed)}
        return self._indexes[site]


@dataclass
class Counters:
    """What the server sent: the bench measures re-ingest bytes from these."""

    requests: int = 0
    ok: int = 0
    not_modified: int = 0
    other: int = 0
    conditional: int = 0  # requests carrying If-None-Match or If-Modified-Since
    body_bytes: int = 0

    def snapshot(self) -> dict[str, int]:
        return dict(vars(self))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, owner: BigSite, site: str) -> None:
        self.owner, self.site = owner, site
        super().__init__((HOST, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # clients closing kept-alive connections (news-please sends Connection: close)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BenchHTTP/1.0"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        resp = owner.response(self.server.site, self.path)
        status = resp.status
        if status == 200 and _not_modified(self.headers, resp.headers):
            status = 304
        self.send_response(status)
        for name, value in resp.headers.items():
            if status != 304 or name not in ("Content-Type", "Content-Length"):
                self.send_header(name, value)
        self.end_headers()
        body = b"" if status == 304 else resp.body
        if body:
            self.wfile.write(body)
        owner.count(status, len(body), conditional=bool(
            self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")))


def _not_modified(request: Any, headers: dict[str, str]) -> bool:
    inm = request.get("If-None-Match")
    if inm is not None:
        return headers["ETag"] in {t.strip().removeprefix("W/") for t in inm.split(",")}
    ims = request.get("If-Modified-Since")
    return ims is not None and ims == headers["Last-Modified"]


class BigSite:
    """The generated sites served on 127.0.0.1 (port 0), pages cached in memory."""

    def __init__(self, pages: int = 5000, seed: int = 7) -> None:
        self.sites = BigSites(pages, seed)
        self.counters = Counters()
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], FixtureResponse] = {}
        self._servers: dict[str, _Server] = {}

    def __enter__(self) -> BigSite:
        for site in SITES:
            server = _Server(self, site)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                             daemon=True).start()
            self._servers[site] = server
        for site, path in self.article_paths:  # render up front: serving then costs little
            self.response(site, path)
        for site in SITES:
            self.response(site, SITEMAPS[site])
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    @property
    def bases(self) -> dict[str, str]:
        return {s: f"http://{HOST}:{srv.server_address[1]}" for s, srv in self._servers.items()}

    def url(self, site: str, path: str) -> str:
        return self.bases[site] + path

    @property
    def article_paths(self) -> list[tuple[str, str]]:
        return [(a.site, a.path) for a in self.sites.articles]

    @property
    def article_urls(self) -> list[str]:
        return [self.url(site, path) for site, path in self.article_paths]

    def truth(self) -> dict[str, str]:
        """URL -> the article's main text (its paragraphs), for scoring extractors."""
        out = {}
        for site in SITES:
            for path, view in self.sites.index(site).items():
                out[self.url(site, path)] = "\n\n".join(view.paragraphs)
        return out

    def sitemap_url(self, site: str) -> str:
        return self.url(site, SITEMAPS[site])

    def response(self, site: str, path: str) -> FixtureResponse:
        key = (site, path)
        resp = self._cache.get(key)
        if resp is None:
            resp = self.sites.render(site, path, STATE, self.bases)
            with self._lock:
                self._cache[key] = resp
        return resp

    def count(self, status: int, nbytes: int, conditional: bool = False) -> None:
        with self._lock:
            c = self.counters
            c.requests += 1
            c.conditional += conditional
            c.body_bytes += nbytes
            if status == 200:
                c.ok += 1
            elif status == 304:
                c.not_modified += 1
            else:
                c.other += 1

    def reset_counters(self) -> None:
        with self._lock:
            self.counters = Counters()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the generated benchmark site.")
    parser.add_argument("--pages", type=int, default=500)
    args = parser.parse_args(argv)
    with BigSite(args.pages) as site:
        for name, base in site.bases.items():
            print(f"{name:12} {base}{SITEMAPS[name]}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
