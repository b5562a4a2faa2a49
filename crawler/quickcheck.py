"""Quick re-checks: the conditional GET of a page we hold, sent outside Scrapy's pipeline.

A long-lived engine asks again for known articles far more often than it fetches new
ones, and nearly every answer is a 304. Through Scrapy each such request costs about
3 CPU-ms (scheduler, downloader middlewares, the Twisted HTTP client, spider middlewares,
the item pipeline); the same exchange over a kept-alive connection costs well under 0.1.
So a re-check of a page whose ETag or Last-Modified we hold goes out here first, under
the same rules:
- the address guard and robots.txt decide (the middlewares themselves are asked);
- it takes a turn in the site's download slot (crawler.downloader), so the site's delay
  and concurrency hold across these requests and Scrapy's together;
- it carries the source's User-Agent and timeout, Scrapy's default headers and its
  Accept-Encoding (servers key ETags by encoding).
Only a 304 is taken here. Any other answer, an error or a timeout sends the page the full
way through Scrapy (redirects, retries, errors counted, extraction), which asks again:
a changed page costs one request more, the many unchanged ones a fraction of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

from crawler import outcomes as oc
from crawler.configure import SOURCE_META
from crawler.counting import count_request
from crawler.downloader import SiteDownloader
from crawler.middlewares.addresses import AddressGuardMiddleware, IPAddress
from crawler.middlewares.conditional import KNOWN_BODY_META, KNOWN_STATE_META, PAGE_META
from crawler.pipelines import IngestPipeline

if TYPE_CHECKING:
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler
    from scrapy.http import Request

    from store.model import PageState

logger = logging.getLogger(__name__)

IDLE_SECONDS = 10.0  # a kept-alive connection unused this long is closed
IDLE_PER_SITE = 4  # kept-alive connections kept per site at most
ADDRESS_SECONDS = 60.0  # how long the address guard's verdict on a host is reused
ADDRESSES_KEPT = 50_000  # verdicts kept at most (all dropped past it)
DEFAULT_PORTS = {"http": 80, "https": 443}
EXCHANGE_ERRORS = (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                   TimeoutError, ValueError)

Key = tuple[str, str, int, str]  # scheme, address connected to, port, host name (TLS SNI)
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names, repeated headers joined with ", "
    reusable: bool  # the connection may carry the next request


def parse_head(head: bytes) -> Answer:
    """The status line and headers of an HTTP/1.x answer (ValueError if malformed)."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"malformed header line: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    # A 304 has no body whatever its headers say; a server that sends one anyway, or
    # says it closes, gets a new connection next time.
    reusable = (status == 304 and version == "HTTP/1.1"
                and "close" not in headers.get("connection", "").lower()
                and headers.get("content-length", "0") == "0"
                and "transfer-encoding" not in headers)
    return Answer(status, headers, reusable)


def request_bytes(url: str, headers: list[tuple[str, str]]) -> bytes:
    """A GET of `url` (already escaped, as Scrapy keeps it) with `headers`; ValueError
    for a value that would break the header block."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rpartition("@")[2]
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers:
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class ConditionalClient:
    """HTTP/1.1 exchanges that read only an answer's head, over kept-alive connections."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS,
                 per_site: int = IDLE_PER_SITE) -> None:
        self.idle_seconds = idle_seconds
        self.per_site = per_site
        self._idle: dict[Key, list[tuple[Streams, float]]] = {}
        self._sweep: asyncio.TimerHandle | None = None
        # Scrapy's default context factory does not verify certificates either: a page
        # Scrapy fetched must not fail here for a certificate Scrapy accepted
        self._tls = ssl.create_default_context()
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE

    async def ask(self, key: Key, request: bytes, timeout: float) -> Answer:
        """Send `request`, read the answer's head; raises one of EXCHANGE_ERRORS."""
        async with asyncio.timeout(timeout):
            streams = self._take(key)
            if streams is not None:
                with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                    return await self._exchange(key, streams, request)
                # the server closed the kept connection meanwhile: once more, on a new one
            return await self._exchange(key, await self._open(key), request)

    async def _open(self, key: Key) -> Streams:
        scheme, address, port, host = key
        tls = self._tls if scheme == "https" else None
        return await asyncio.open_connection(address, port, ssl=tls,
                                             server_hostname=host if tls else None)

    async def _exchange(self, key: Key, streams: Streams, request: bytes) -> Answer:
        reader, writer = streams
        try:
            writer.write(request)
            answer = parse_head(await reader.readuntil(b"\r\n\r\n"))
        except BaseException:
            writer.close()
            raise
        if answer.reusable:
            self._give_back(key, streams)
        else:
            writer.close()
        return answer

    def _take(self, key: Key) -> Streams | None:
        kept = self._idle.get(key)
        while kept:
            streams, since = kept.pop()
            if monotonic() - since < self.idle_seconds and not streams[0].at_eof():
                return streams
            streams[1].close()
        return None

    def _give_back(self, key: Key, streams: Streams) -> None:
        kept = self._idle.setdefault(key, [])
        if len(kept) >= self.per_site:
            streams[1].close()
            return
        kept.append((streams, monotonic()))
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(self.idle_seconds,
                                                                self._close_idle)

    def _close_idle(self) -> None:
        self._sweep = None
        oldest = monotonic() - self.idle_seconds
        for key, kept in list(self._idle.items()):
            for streams, since in kept:
                if since <= oldest:
                    streams[1].close()
            kept[:] = [(s, t) for s, t in kept if t > oldest]
            if not kept:
                del self._idle[key]
        if self._idle:
            self._sweep = asyncio.get_running_loop().call_later(self.idle_seconds,
                                                                self._close_idle)

    def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for kept in self._idle.values():
            for streams, _ in kept:
                streams[1].close()
        self._idle.clear()

    @property
    def kept(self) -> int:
        return sum(len(kept) for kept in self._idle.values())


class QuickCheck:
    """Re-checks of held pages and documents for the `news` spider: `check` answers the
    headers of a 304, or None when the request must go the full way."""

    def __init__(self, crawler: Crawler, client: ConditionalClient | None = None) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.client = client or ConditionalClient()
        # behind a proxy every request goes Scrapy's way (its proxy middleware)
        self.enabled = (settings.getbool("NEWSWATCH_QUICK_RECHECK")
                        and settings.getbool("NEWSWATCH_CONDITIONAL_GET")
                        and not any(k in urllib.request.getproxies() for k in DEFAULT_PORTS))
        defaults: dict[str, Any] = settings.getdict("DEFAULT_REQUEST_HEADERS")
        self.defaults = [(str(k), str(v)) for k, v in defaults.items()]
        self.encodings = b", ".join(ACCEPTED_ENCODINGS).decode("latin-1")
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self._found = False
        self._guard: AddressGuardMiddleware | None = None
        self._robots: RobotsTxtMiddleware | None = None
        self.pipeline: IngestPipeline | None = None
        self._addresses: dict[tuple[str, str], tuple[IPAddress | None, float]] = {}

    def ready(self) -> bool:
        """On, in an engine that has the components a quick re-check asks."""
        return self.enabled and self._downloader() is not None

    def eligible(self, request: Request) -> bool:
        """A page whose stored state (looked up already) holds validators and a body
        (asked of a `ready` QuickCheck; proxies switch quick re-checks off altogether)."""
        state: PageState | None = request.meta.get(KNOWN_STATE_META)
        return (state is not None and bool(state.body_hash)
                and bool(state.etag or state.last_modified))

    def _engine(self) -> ExecutionEngine | None:
        try:
            return self.crawler.engine
        except RuntimeError:  # Scrapy 2.19: "engine is not set yet" (no crawl started)
            return None

    @contextlib.contextmanager
    def in_progress(self) -> Iterator[None]:
        """Count a quick re-check among the engine's requests in progress, which its
        close waits for (Scrapy's own downloads are counted there too)."""
        slot = getattr(self._engine(), "_slot", None)
        token = object()
        if slot is not None:
            slot.add_request(token)
        try:
            yield
        finally:
            if slot is not None:
                slot.remove_request(token)

    def _wake_engine(self) -> None:
        """Scrapy's own requests waited for room under the global cap: look again now."""
        nextcall = getattr(getattr(self._engine(), "_slot", None), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _downloader(self) -> SiteDownloader | None:
        """The engine's downloader, once its guard middleware and the ingest pipeline
        (where a 304 goes) are found; None without them, or in a Scrapy whose inner
        parts (a download slot's queue, the engine's requests in progress) differ from
        those this was written against (2.14 and later)."""
        engine = self._engine()
        slot = getattr(engine, "_slot", None)  # set once the spider is open
        if engine is None or slot is None or not isinstance(engine.downloader, SiteDownloader):
            return None
        downloader = engine.downloader
        if not self._found:
            self._found = True
            if not (downloader.supports_turns() and callable(getattr(slot, "add_request", None))):
                logger.info("quick re-checks off: this Scrapy's engine is not the expected one")
                return None
            for mw in downloader.middleware.middlewares:
                if isinstance(mw, AddressGuardMiddleware):
                    self._guard = mw
                elif isinstance(mw, RobotsTxtMiddleware):
                    self._robots = mw
            itemproc = getattr(engine.scraper, "itemproc", None)
            for pipeline in getattr(itemproc, "middlewares", ()):
                if isinstance(pipeline, IngestPipeline):
                    self.pipeline = pipeline
        if self._guard is None or self.pipeline is None:
            return None
        return downloader

    async def check(self, request: Request) -> dict[str, str] | None:
        """The headers of a 304 for `request` (lower-case names), or None: send it the
        full way. Raises what the address guard or robots.txt raise (IgnoreRequest), for
        the request's errback."""
        downloader = self._downloader()
        if downloader is None or self._guard is None:
            return None
        address = await self._address(request)
        if self._robots is not None:
            await self._robots.process_request(request)
        state: PageState = request.meta[KNOWN_STATE_META]
        parts = urlsplit(request.url)
        if address is None or parts.hostname is None:
            return None
        try:
            data = request_bytes(request.url, self._headers(request, state))
        except ValueError:
            return None
        key = (parts.scheme, str(address), parts.port or DEFAULT_PORTS[parts.scheme],
               parts.hostname)
        slot, token = await downloader.take_turn(request)
        try:
            answer: Answer | None = await self.client.ask(
                key, data, float(request.meta.get("download_timeout", self.timeout)))
        except EXCHANGE_ERRORS:
            answer = None
        finally:
            if downloader.end_turn(slot, token):
                self._wake_engine()
        if answer is None or answer.status != 304:
            count_request(self.crawler, request, oc.QUICK_FULL_WAY)
            return None
        count_request(self.crawler, request, "conditional")
        count_request(self.crawler, request, oc.QUICK_304)
        if request.meta.get(PAGE_META):
            request.meta[KNOWN_BODY_META] = state.body_hash
        return answer.headers

    async def _address(self, request: Request) -> IPAddress | None:
        """The guard's verdict, kept a while per host and source: a run re-checks many
        pages of one host within seconds."""
        assert self._guard is not None
        source = request.meta.get(SOURCE_META)
        key = (urlsplit(request.url).netloc, source.name if source is not None else "")
        kept = self._addresses.get(key)
        now = monotonic()
        if kept is not None and now - kept[1] < ADDRESS_SECONDS:
            return kept[0]
        address = await self._guard.checked_address(request)
        if len(self._addresses) >= ADDRESSES_KEPT:
            self._addresses.clear()
        self._addresses[key] = (address, now)
        return address

    def _headers(self, request: Request, state: PageState) -> list[tuple[str, str]]:
        headers = dict(self.defaults)
        for name, values in request.headers.items():
            headers[name.decode("latin-1")] = values[-1].decode("latin-1")
        headers.setdefault("Accept-Encoding", self.encodings)
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return list(headers.items())

    def close(self) -> None:
        self.client.close()
