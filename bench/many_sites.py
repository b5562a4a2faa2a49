"""Many small news sites on 127.0.0.1, one port each, for the daemon-at-scale benchmark.

    python -m bench.many_sites --sites 1000 [--bad 0.05] [--seed 7]

One asyncio process serves N sites, site i on its own port of 127.0.0.1 (the daemon keys
per-host politeness and learned boilerplate by host:port, so each port is its own site).
Each site has
    /robots.txt         allow all
    /feed.xml           RSS 2.0 listing the site's articles (newest first), ETag +
                        Last-Modified, 304 to If-None-Match / If-Modified-Since
    /a/<k>.html         article k = 0..9 (and 10.. once published), ETag/304 too
in one of the three fixture templates (m31, westjournal, analysis: site i uses template
i % 3). Article texts are generated per (site, k) by an order-2 word Markov chain over the
fixture articles' sentences, in 6-10 paragraphs of about 2-3 sentences plus a unique
dateline paragraph, so no two articles anywhere are near-duplicates and no paragraph
recurs on several pages of one site (which the store would learn as boilerplate). Every
third article (and every published one) is on the SPEC's nk-russia topic (it carries one
or two real fixture sentences naming North Korea and Russia); the others are generated
from the sentences that do not name North Korea. Pages are rendered on demand (never
cached: a 10,000 site run would not fit), but ETag and Last-Modified come from the
article's identity, so a 304 costs no rendering.

Bad sites (`--bad FRACTION`, spread evenly over the indexes, modes taken in turn):
    hang     accept, read the request, never answer (the client's timeout ends it)
    slow     the status line after 5 s, then one byte of the response every 2 s
    reset    close the connection with a TCP RST as soon as a request arrives
    garbage  200 text/html with 2-20 kB of random bytes, on every path
    badfeed  robots.txt and articles fine, the feed a truncated XML document

Sites listen on the free ports from --base-port (20000) up, below the kernel's ephemeral
port range, so 10,000 listeners leave that range to the daemon's outgoing connections.
Idle keep-alive connections are closed after --keepalive seconds (default 60).

Control: an HTTP port on 127.0.0.1 (printed on start-up, with every site's port, as one
JSON line on stdout):
    GET /info                         sites, ports, bad modes, open-file limit
    GET /publish?site=I               publish a new on-topic article on site I (a feed item
                                      and a page); answers its URL, title, time (epoch s)
    GET /bad?site=I&mode=M            set site I's mode (good, hang, slow, reset, garbage,
                                      badfeed)
    GET /stats[?per_site=1]           request counters (total, by status, by kind, per site)
    GET /quit                         stop serving
The process raises its open-file soft limit to the hard limit when N sites need it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import random
import re
import resource
import signal
import socket
import struct
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from hashlib import sha1
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from newswatch.fixtures import FixtureSites

if TYPE_CHECKING:
    from fixturesite.context import SiteContext
    from fixturesite.model import ArticleData, ArticleView


def _fixturesite(module: str) -> Any:
    """A module of the fixture sites' package: `fixturesite`, or `newswatch.fixturesite`
    where it lived before."""
    try:
        return importlib.import_module(f"fixturesite.{module}")
    except ImportError:
        return importlib.import_module(f"newswatch.fixturesite.{module}")


feeds = _fixturesite("feeds")
_catalog = _fixturesite("catalog")
_context = _fixturesite("context")
_model = _fixturesite("model")

HOST = "127.0.0.1"
ARTICLES = 10  # articles per site at start
TEMPLATES = ("m31", "westjournal", "analysis")
BAD_MODES = ("hang", "slow", "reset", "garbage", "badfeed")
MODES = ("good", *BAD_MODES)
KEEP_EXTRAS = {"read_minutes", "figure"}  # fixture extras that do not repeat fixture text
NK = re.compile(r"north korea|pyongyang|dprk|kim jong un", re.I)
RU = re.compile(r"russia|moscow|putin|kremlin", re.I)
CITIES = ("Seoul", "Vladivostok", "Tokyo", "Washington", "Brussels", "Beijing", "Kyiv",
          "Berlin", "London", "Geneva", "Singapore", "Ottawa", "Canberra", "Warsaw")
HANG_LIMIT_S = 900.0  # a hanging connection is dropped by the server after this long
FEED_ITEMS = 30  # newest items listed in a feed
# Sites take the free ports from here up, under the kernel's ephemeral range (32768-60999
# here): binding thousands of listeners to port 0 fills that range, which makes every
# further bind and every outgoing connect() search long for a free port (10,000 port-0
# binds took 11 s of kernel time, most of it in the last 4,000).
BASE_PORT = 20000


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def raise_nofile(needed: int) -> tuple[int, int, bool]:
    """Raise RLIMIT_NOFILE's soft limit towards `needed` (at most the hard limit).
    Returns (soft, hard, raised)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft, hard, False
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target, hard, True


# -- content ----------------------------------------------------------------------------


class Markov:
    """An order-2 word Markov chain over sentences: new sentences in the fixtures' words.

    Every word triple it emits occurs in the fixtures, but sentences recombine at every
    shared word pair, so two generated articles share few word 3-shingles (Jaccard about
    0.05, highest 0.25 over 700,000 pairs, against the store's 0.5 copy threshold)."""

    def __init__(self, sentences: list[str]) -> None:
        self.next: dict[tuple[str, str], list[str]] = {}
        self.starts: list[tuple[str, str]] = []
        for sentence in sentences:
            w = sentence.split()
            self.starts.append((w[0], w[1]))
            for a, b, c in zip(w, w[1:], w[2:], strict=False):
                self.next.setdefault((a, b), []).append(c)

    def sentence(self, rng: random.Random, low: int = 8, high: int = 45) -> str:
        a, b = rng.choice(self.starts)
        out = [a, b]
        while len(out) < high:
            following = self.next.get((a, b))
            if not following:
                break
            c = rng.choice(following)
            out.append(c)
            a, b = b, c
            if c[-1] in ".!?”" and len(out) >= low:
                break
        text = " ".join(out)
        return text if text[-1] in ".!?”" else text.rstrip(",;:") + "."


class Corpus:
    """Article texts recombined from the fixture articles' sentences, per (site, k)."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        self.fixtures = FixtureSites()
        paragraphs = {t for a in self.fixtures.articles for b in a.body
                      if isinstance(b, str) for t in _model.block_texts(b)}
        sentences = sorted({s.strip() for p in paragraphs
                            for s in re.split(r"(?<=[.!?”])\s+(?=[A-Z“\"])", p)
                            if len(s.split()) >= 6})
        self.both = [s for s in sentences if NK.search(s) and RU.search(s)]
        self.nk = [s for s in sentences if NK.search(s)]
        self.ru = [s for s in sentences if RU.search(s) and not NK.search(s)]
        self.neutral = [s for s in sentences if not NK.search(s)]
        # on topic: every sentence; off topic: none naming North Korea
        self.chains = {True: Markov(sentences), False: Markov(self.neutral)}
        usable = [a for a in self.fixtures.articles
                  if a.body and not a.disallowed and not a.copy_of]
        # (template site, on topic) -> fixture articles lending chrome and a title
        self.models: dict[tuple[str, bool], list[ArticleData]] = {}
        for tpl in TEMPLATES:
            own = [a for a in usable if a.site == tpl]
            self.models[tpl, True] = [a for a in own if NK.search(a.title)] or \
                [a for a in usable if NK.search(a.title)]
            self.models[tpl, False] = [a for a in own if not NK.search(a.title)] or \
                [a for a in usable if not NK.search(a.title)]

    def article(self, site: int, k: int, template: str, published: datetime,
                on_topic: bool) -> ArticleData:
        rng = random.Random(f"{self.seed}:{site}:{k}")
        model = rng.choice(self.models[template, on_topic])
        chain = self.chains[on_topic]
        count = rng.randint(6, 10)
        sentences = [chain.sentence(rng) for _ in range(count * 5 // 2)]
        if on_topic:  # real sentences that match the topic query, wherever they fall
            must = [rng.choice(self.both)] if rng.random() < 0.5 else \
                [rng.choice(self.nk), rng.choice(self.ru)]
            for sentence in must:
                sentences.insert(rng.randrange(len(sentences) + 1), sentence)
        paragraphs: list[str] = []
        for left in range(count, 0, -1):
            n = max(1, round(len(sentences) / left))
            chunk, sentences = sentences[:n], sentences[n:]
            paragraphs.append(" ".join(chunk))
        city = rng.choice(CITIES)
        dateline = (f"{city}, {published:%d %B %Y}: this is report {k + 1} of desk {site}, "
                    f"filed at {published:%H:%M} by correspondent {rng.randint(2, 900)} after "
                    f"{rng.randint(2, 40)} days on the story, with {rng.randint(3, 60)} "
                    f"sources consulted in {city} and elsewhere.")
        words = model.title.split()
        title = " ".join(words[: rng.randint(min(5, len(words)), len(words))]).rstrip(",:;")
        title += f", report {site}-{k}"
        extra = {key: value for key, value in model.extra.items() if key in KEEP_EXTRAS}
        extra["dek"] = paragraphs[0].split(". ")[0][:200]
        body: list[Any] = [dateline, *paragraphs]
        if template == "m31" and len(body) > 4:
            body.insert(3, {"h2": f"What report {k + 1} of desk {site} found"})
        return _model.ArticleData(
            id=f"ms-{site}-{k}", site=template, path=f"/a/{k}.html", title=title,
            author=model.author, published=published.isoformat(), modified=None,
            section=model.section, tags=model.tags, topics=("nk-russia",) if on_topic else (),
            body=tuple(body), extra=extra)


# -- sites ------------------------------------------------------------------------------


@dataclass
class Site:
    index: int
    template: str
    mode: str = "good"
    port: int = 0
    published: list[float] = field(default_factory=list)  # epoch s of articles 10, 11, ...

    @property
    def count(self) -> int:
        return ARTICLES + len(self.published)


@dataclass
class Counters:
    requests: int = 0
    ok: int = 0
    not_modified: int = 0
    not_found: int = 0
    other: int = 0
    conditional: int = 0
    body_bytes: int = 0
    robots: int = 0
    feed: int = 0
    article: int = 0
    bad_mode_requests: int = 0
    resets: int = 0
    hangs: int = 0
    connections: int = 0
    open_connections: int = 0
    max_open_connections: int = 0
    idle_closed: int = 0
    renders: int = 0
    render_s: float = 0.0


def bad_sites(sites: int, fraction: float) -> dict[int, str]:
    """Site index -> bad mode: `fraction` of the sites, spread evenly, the modes in turn."""
    nbad = round(sites * fraction)
    if not nbad:
        return {}
    step = sites / nbad
    return {int(j * step + step / 2) % sites: BAD_MODES[j % len(BAD_MODES)]
            for j in range(nbad)}


class ManySites:
    """The sites' content and HTTP answers (no I/O here)."""

    def __init__(self, sites: int, seed: int = 7, bad: float = 0.0) -> None:
        self.corpus = Corpus(seed)
        self.epoch = datetime.now(UTC).replace(microsecond=0)
        self.sites = [Site(i, TEMPLATES[i % len(TEMPLATES)]) for i in range(sites)]
        self.counters = Counters()
        self.per_site_requests = [0] * sites
        self.per_site_304 = [0] * sites
        self._views: OrderedDict[int, list[ArticleView]] = OrderedDict()
        self.rng = random.Random(seed)
        for index, mode in bad_sites(sites, bad).items():
            self.sites[index].mode = mode

    # content per site
    def published_at(self, site: Site, k: int) -> datetime:
        if k < ARTICLES:
            return self.epoch - timedelta(hours=5 * k + 1, minutes=site.index % 53)
        return datetime.fromtimestamp(site.published[k - ARTICLES], UTC).replace(microsecond=0)

    def on_topic(self, site: Site, k: int) -> bool:
        return k >= ARTICLES or (site.index + k) % 3 == 0

    def views(self, site: Site) -> list[ArticleView]:
        """The site's articles, newest first (a small LRU: a site's requests come in bursts)."""
        cached = self._views.get(site.index)
        if cached is not None and len(cached) == site.count:
            self._views.move_to_end(site.index)
            return cached
        views = []
        for k in range(site.count):
            data = self.corpus.article(site.index, k, site.template,
                                       self.published_at(site, k), self.on_topic(site, k))
            views.append(self.corpus.fixtures.view(data, 0))
        views.sort(key=lambda v: v.published, reverse=True)
        self._views[site.index] = views
        while len(self._views) > 512:
            self._views.popitem(last=False)
        return views

    def base(self, site: Site) -> str:
        return f"http://{HOST}:{site.port}"

    def context(self, site: Site, views: list[ArticleView]) -> SiteContext:
        return _context.SiteContext(
            site=site.template, state=0, now=self.epoch, bases={site.template: self.base(site)},
            articles=views, chrome=_context.Chrome("many-sites", site.index),
            everything={site.template: views}, authors=self.corpus.fixtures.authors,
            hidden=[])

    def publish(self, index: int) -> dict[str, Any]:
        site = self.sites[index]
        now = time.time()
        site.published.append(now)
        k = site.count - 1
        view = next(v for v in self.views(site) if v.path == f"/a/{k}.html")
        return {"site": index, "k": k, "url": self.base(site) + view.path,
                "title": view.title, "published_at": now,
                "published_iso": datetime.fromtimestamp(now, UTC).isoformat()}

    # HTTP: (status, headers, body) for a GET of `path` on site `index`
    def answer(self, index: int, path: str, headers: dict[str, str]
               ) -> tuple[int, dict[str, str], bytes]:
        site = self.sites[index]
        c = self.counters
        route = urlsplit(path).path
        if route == "/robots.txt":
            c.robots += 1
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, \
                b"User-agent: *\nAllow: /\n"
        if route == "/feed.xml":
            c.feed += 1
            newest = self.published_at(site, site.count - 1)
            tag = _etag(f"feed:{site.index}:{site.count}")
            meta = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": tag,
                    "Last-Modified": http_date(newest)}
            if _not_modified(headers, tag, newest):
                return 304, meta, b""
            body = self._render(lambda: self._feed(site))
            if site.mode == "badfeed":
                body = body[: len(body) // 2] + b"<item><title>broken &amp"
            return 200, meta, body
        m = re.fullmatch(r"/a/(\d+)\.html", route)
        if m and int(m.group(1)) < site.count:
            c.article += 1
            k = int(m.group(1))
            published = self.published_at(site, k)
            tag = _etag(f"article:{site.index}:{k}:1")
            meta = {"Content-Type": "text/html; charset=utf-8", "ETag": tag,
                    "Last-Modified": http_date(published)}
            if _not_modified(headers, tag, published):
                return 304, meta, b""
            return 200, meta, self._render(lambda: self._article(site, k))
        return 404, {"Content-Type": "text/html; charset=utf-8"}, \
            b"<!DOCTYPE html><html><head><title>Not found</title></head>" \
            b"<body><h1>404 Not Found</h1></body></html>"

    def _render(self, fn: Any) -> bytes:
        started = time.process_time()
        body: bytes = fn()
        self.counters.renders += 1
        self.counters.render_s += time.process_time() - started
        return body

    def _feed(self, site: Site) -> bytes:
        views = self.views(site)[:FEED_ITEMS]
        ctx = self.context(site, views)
        name = f"Desk {site.index} News"
        return feeds.rss2(ctx, name, "/feed.xml", views, ctx.article_url,
                          f"Latest reports from desk {site.index}").encode("utf-8")

    def _article(self, site: Site, k: int) -> bytes:
        views = self.views(site)
        base = [v for v in views if int(v.path[3:-5]) < ARTICLES]  # stable chrome lists
        view = next(v for v in views if v.path == f"/a/{k}.html")
        ctx = self.context(site, base)
        chrome = _context.Chrome("many-sites", site.index, k)
        html = _catalog.SITES[site.template].article(ctx, view, chrome)
        return html.encode("utf-8")

    def count(self, index: int, status: int, nbytes: int, conditional: bool) -> None:
        c = self.counters
        c.requests += 1
        c.body_bytes += nbytes
        c.conditional += conditional
        self.per_site_requests[index] += 1
        if status == 200:
            c.ok += 1
        elif status == 304:
            c.not_modified += 1
            self.per_site_304[index] += 1
        elif status == 404:
            c.not_found += 1
        else:
            c.other += 1

    def stats(self, per_site: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = dict(vars(self.counters))
        out["render_s"] = round(out["render_s"], 3)
        out["published"] = sum(len(s.published) for s in self.sites)
        out["cpu_s"] = round(sum(os.times()[:2]), 3)
        if per_site:
            out["per_site_requests"] = self.per_site_requests
            out["per_site_304"] = self.per_site_304
        return out


def _etag(key: str) -> str:
    return '"' + sha1(key.encode()).hexdigest()[:16] + '"'


def _not_modified(headers: dict[str, str], tag: str, modified: datetime) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        return tag in {t.strip().removeprefix("W/") for t in inm.split(",")} or inm == "*"
    ims = headers.get("if-modified-since")
    if ims is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


# -- HTTP/1.1 over asyncio --------------------------------------------------------------

REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed"}


class Connection(asyncio.Protocol):
    """One client connection to one site: keep-alive, pipelining, the site's bad mode."""

    def __init__(self, server: Server, index: int) -> None:
        self.server = server
        self.index = index
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False
        self.held = False  # a hanging or slow answer in progress: no more requests read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        c = self.server.sites.counters
        c.connections += 1
        c.open_connections += 1
        c.max_open_connections = max(c.max_open_connections, c.open_connections)
        self._arm(self.server.keepalive)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.sites.counters.open_connections -= 1
        if self.timer is not None:
            self.timer.cancel()

    def _arm(self, seconds: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.server.loop.call_later(seconds, self._idle)

    def _idle(self) -> None:
        if not self.closed and self.transport is not None:
            if not self.held:
                self.server.sites.counters.idle_closed += 1
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.held:
            return
        self.buf += data
        if len(self.buf) > 65536:
            self._reply(400, {}, b"", close=True)
            return
        while not self.held and not self.closed and b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self._request(head)

    def _request(self, head: bytes) -> None:
        sites = self.server.sites
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self._reply(400, {}, b"", close=True)
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        conn = headers.get("connection", "").lower()
        close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
        mode = sites.sites[self.index].mode
        if mode in ("hang", "slow", "reset", "garbage"):
            sites.counters.bad_mode_requests += 1
            sites.count(self.index, 0 if mode != "garbage" else 200, 0, False)
        if mode == "reset":
            sites.counters.resets += 1
            assert self.transport is not None
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            self.transport.abort()
            return
        if mode == "hang":
            sites.counters.hangs += 1
            self.held = True
            self._arm(HANG_LIMIT_S)
            return
        if method not in ("GET", "HEAD"):
            self._reply(405, {"Allow": "GET, HEAD"}, b"", close=close)
            return
        if mode == "garbage":
            body = os.urandom(sites.rng.randint(2000, 20000))
            self._reply(200, {"Content-Type": "text/html; charset=utf-8"}, body, close=close,
                        head=method == "HEAD")
            return
        status, meta, body = sites.answer(self.index, target, headers)
        if mode != "slow":
            sites.count(self.index, status, 0 if method == "HEAD" else len(body),
                        "if-none-match" in headers or "if-modified-since" in headers)
        if mode == "slow":
            self.held = True
            self._arm(HANG_LIMIT_S)
            data = self._frame(status, meta, body, close=True, head=method == "HEAD")
            self.server.loop.call_later(5.0, self._trickle, data)
            return
        self._reply(status, meta, body, close=close, head=method == "HEAD")

    def _frame(self, status: int, headers: dict[str, str], body: bytes, close: bool,
               head: bool = False) -> bytes:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}", "Server: many-sites",
                 f"Date: {self.server.date()}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return data if head or status == 304 else data + body

    def _reply(self, status: int, headers: dict[str, str], body: bytes, close: bool,
               head: bool = False) -> None:
        if self.transport is None or self.closed:
            return
        self.transport.write(self._frame(status, headers, body, close, head))
        if close:
            self.closed = True
            self.transport.close()
        else:
            self._arm(self.server.keepalive)

    def _trickle(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            return
        if not data:
            self.transport.close()
            return
        self.transport.write(data[:1])
        self.server.loop.call_later(2.0, self._trickle, data[1:])


class Control(asyncio.Protocol):
    """The control port: one request per connection, JSON answers."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if b"\r\n\r\n" not in self.buf or self.transport is None:
            return
        target = self.buf.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[1]
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        try:
            status, answer = 200, self.server.control(parts.path, query)
        except (KeyError, ValueError, IndexError) as exc:
            status, answer = 400, {"error": f"{type(exc).__name__}: {exc}"}
        body = json.dumps(answer).encode()
        self.transport.write(
            f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        self.transport.close()


class Server:
    def __init__(self, sites: int, seed: int = 7, bad: float = 0.0, keepalive: float = 60.0,
                 backlog: int = 128, base_port: int = BASE_PORT) -> None:
        self.sites = ManySites(sites, seed, bad)
        self.keepalive = keepalive
        self.backlog = backlog
        self.base_port = base_port
        self.loop = asyncio.new_event_loop()
        self.stopped = asyncio.Event()
        self.nofile = raise_nofile(sites + 2000)
        self._date = (0, "")
        self.control_port = 0
        self._servers: list[asyncio.Server] = []

    def date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, http_date(datetime.fromtimestamp(now, UTC)))
        return self._date[1]

    async def start(self) -> None:
        port = self.base_port
        for site in self.sites.sites:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            while True:
                try:
                    sock.bind((HOST, port))
                    break
                except OSError:
                    if not port or port >= 65535:
                        raise
                    port += 1  # taken: the next one
            sock.listen(self.backlog)
            sock.setblocking(False)
            site.port = sock.getsockname()[1]
            port = port + 1 if port else 0
            srv = await self.loop.create_server(
                lambda index=site.index: Connection(self, index), sock=sock)  # type: ignore[misc]
            self._servers.append(srv)
        control = await self.loop.create_server(lambda: Control(self), HOST, 0)
        self._servers.append(control)
        self.control_port = control.sockets[0].getsockname()[1]

    def info(self) -> dict[str, Any]:
        return {"control": self.control_port, "sites": len(self.sites.sites),
                "ports": [s.port for s in self.sites.sites],
                "templates": [s.template for s in self.sites.sites],
                "bad": {str(s.index): s.mode for s in self.sites.sites if s.mode != "good"},
                "nofile_soft": self.nofile[0], "nofile_hard": self.nofile[1],
                "nofile_raised": self.nofile[2], "pid": os.getpid(),
                "keepalive_s": self.keepalive}

    def control(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        if path == "/info":
            return self.info()
        if path == "/publish":
            return self.sites.publish(int(query["site"]))
        if path == "/bad":
            mode = query.get("mode", "good")
            if mode not in MODES:
                raise ValueError(f"mode must be one of {', '.join(MODES)}")
            self.sites.sites[int(query["site"])].mode = mode
            return {"site": int(query["site"]), "mode": mode}
        if path == "/stats":
            return self.sites.stats(per_site=query.get("per_site") == "1")
        if path == "/quit":
            self.loop.call_soon(self.stopped.set)
            return {"stopping": True}
        raise KeyError(path)

    def run(self, ready: Any = None) -> None:
        asyncio.set_event_loop(self.loop)
        started = time.monotonic()
        self.loop.run_until_complete(self.start())
        info = self.info()
        info["startup_s"] = round(time.monotonic() - started, 2)
        if ready is not None:
            ready(info)
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.stopped.set)
        self.loop.run_until_complete(self.stopped.wait())
        for srv in self._servers:
            srv.close()
        self.loop.close()


def control_get(port: int, path: str, timeout: float = 30.0) -> Any:
    """GET `path` on a running server's control port; the decoded JSON answer."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
                     .encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"control {path}: {head[:80]!r} {body[:200]!r}")
    return json.loads(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad", type=float, default=0.0, help="fraction of bad sites")
    parser.add_argument("--keepalive", type=float, default=60.0,
                        help="seconds an idle keep-alive connection is kept open")
    parser.add_argument("--base-port", type=int, default=BASE_PORT,
                        help="sites on the free ports from this one up (0: any free port "
                             "per site, from the kernel's ephemeral range)")
    args = parser.parse_args(argv)
    server = Server(args.sites, args.seed, args.bad, args.keepalive, base_port=args.base_port)

    def ready(info: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        if sys.stderr.isatty():
            print(f"{info['sites']} sites on 127.0.0.1 ports {min(info['ports'])}-"
                  f"{max(info['ports'])}; control http://{HOST}:{info['control']}/stats "
                  f"(started in {info['startup_s']}s)", file=sys.stderr)

    server.run(ready)


if __name__ == "__main__":
    main()
