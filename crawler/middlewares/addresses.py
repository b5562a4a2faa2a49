"""Refuse requests to schemes other than http(s) and to private network addresses.

A feed, a listing page or a redirect may point anywhere; only what a source names and
what it leads to on the public internet is fetched. Loopback, private and link-local
addresses are refused unless the source's own configured URLs live on that very
address (as tests and the demo do with 127.0.0.1). Every request passes through here,
redirects and robots.txt included, because each is scheduled as a new request.

One engine crawls many sources: a request names its source in its meta
(crawler.configure.SOURCE_META) and is judged by that source's own configuration. A
request without one (robots.txt, asked for a host a source request already reached) is
judged by every configured source together.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.configure import SOURCE_META
from crawler.counting import count_request
from crawler.reactor import the_reactor

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newswatch.config import Config, Source

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "0.0.0.0/8", "::1/128", "::/128", "fc00::/7", "fe80::/10",
))
ALLOWED_SCHEMES = ("http", "https")


class RefusedRequest(IgnoreRequest):
    """A request to a forbidden scheme or address; counted as error kind `refused`."""


def is_private(address: IPAddress) -> bool:
    return any(address in net for net in PRIVATE_NETWORKS if address.version == net.version)


def ip_literal(host: str) -> IPAddress | None:
    """The address `host` spells, if it is one (an IPv4-mapped IPv6 address as IPv4)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


class AddressGuardMiddleware:
    """Downloader middleware: scheme allow-list and private-address refusal."""

    def __init__(self, crawler: Crawler, configured_urls: tuple[str, ...]) -> None:
        self.crawler = crawler
        self.configured_urls = configured_urls  # a request's default: its source's own
        self._allowed: dict[tuple[str, ...], set[IPAddress]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        source: Source | None = crawler.settings.get("NEWSWATCH_SOURCE")
        if source is not None:
            return cls(crawler, source.configured_urls)
        config: Config | None = crawler.settings.get("NEWSWATCH_CONFIG")
        every = config.sources.values() if config is not None else ()
        return cls(crawler, tuple(u for s in every for u in s.configured_urls))

    async def process_request(self, request: Request) -> None:
        await self.checked_address(request)

    async def checked_address(self, request: Request) -> IPAddress | None:
        """The address the request may be sent to (None: its host does not resolve);
        raises RefusedRequest (counted) for a forbidden scheme or address."""
        parts = urlsplit(request.url)
        if parts.scheme not in ALLOWED_SCHEMES:
            self._refuse(request, f"scheme {parts.scheme!r} is not http or https")
        host = parts.hostname or ""
        address = ip_literal(host)
        if address is None:
            address = await self._resolve(host)
        if address is None or not is_private(address):
            return address
        source: Source | None = request.meta.get(SOURCE_META)
        urls = source.configured_urls if source is not None else self.configured_urls
        if address in await self._allowed_private(urls):
            return address
        self._refuse(request, f"{host} is a private or loopback address ({address}), fetched "
                              "only for a source whose own configured URLs are on it")

    def _refuse(self, request: Request, why: str) -> NoReturn:
        count_request(self.crawler, request, "refused")
        # the spider reports the failed page once, as a warning naming its source; the
        # refused URL (a redirect's target, say) travels in the exception's message
        logger.info("refused %s: %s", request.url, why)
        raise RefusedRequest(f"refused {request.url}: {why}")

    async def _allowed_private(self, urls: tuple[str, ...]) -> set[IPAddress]:
        # The private addresses a source's own configuration points at, resolved once.
        if urls not in self._allowed:
            allowed = set()
            for host in {urlsplit(u).hostname or "" for u in urls}:
                address = ip_literal(host) or await self._resolve(host)
                if address is not None and is_private(address):
                    allowed.add(address)
            self._allowed[urls] = allowed
        return self._allowed[urls]

    async def _resolve(self, host: str) -> IPAddress | None:
        """The address the downloader will connect to (same resolver, same cache)."""
        if not host:
            return None
        try:
            resolved = await maybe_deferred_to_future(the_reactor().resolve(host))
        except Exception:
            # Unresolvable: let the download fail and be counted as a DNS error.
            return None
        return ip_literal(str(resolved))
