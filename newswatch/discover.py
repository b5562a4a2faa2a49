"""`newswatch discover`: fetch politely, find a site's feeds and sitemaps (crawler.finder),
print the source block, and append it to the config on request.

    fetch = PoliteFetcher.for_source(fetch_settings(config_path, "example", url), url)
    finding = find_sources(url, fetch)
    print(source_block("example", finding))
    add_source(config_path, "example", source_block("example", finding))
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

from crawler.discovery import bare_host
from crawler.finder import FetchFailed, Finding, Page, origin_of
from crawler.middlewares.addresses import IPAddress, ip_literal, is_private
from newswatch.config import Source, load_config, parse_config
from newswatch.exceptions import ConfigError

NAME = re.compile(r"[A-Za-z0-9_-]+")  # a source name that needs no quoting in TOML
ALLOWED_SCHEMES = ("http", "https")


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host (and a valid port), without whitespace."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return (parts.scheme in ALLOWED_SCHEMES and bool(parts.hostname)
            and not any(c.isspace() for c in url))


def fetch_settings(config_path: Path | None, name: str, url: str) -> Source:
    """How a source `name` at `url` would be fetched: the config's [defaults] applied (the
    built-in defaults without a config). The config must already have loaded cleanly."""
    if config_path is None:
        return Source(name=name, urls=(url,))
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    raw["sources"] = {name: {"urls": [url]}}
    return parse_config(raw, config_path).sources[name]


class PoliteFetcher:
    """fetch(url) -> Page, the way a crawl fetches: one request at a time, `delay` seconds
    apart, the source's User-Agent, robots.txt obeyed (when `obey_robots`), http(s) only,
    and no loopback, private or link-local address unless the URL the user gave is on that
    very address (as with a source's own configured URLs). Raises FetchFailed."""

    def __init__(self, start_url: str, *, user_agent: str, delay: float = 0.0,
                 timeout: float = 20.0, obey_robots: bool = True,
                 max_bytes: int = 10 * 1024 * 1024,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.user_agent = user_agent
        self.delay = delay
        self.timeout = timeout
        self.obey_robots = obey_robots
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.requests: list[str] = []  # every request sent, redirects and robots.txt included
        self._last: float | None = None
        self._robots: dict[str, tuple[Page | None, Protego | None]] = {}
        host = urlsplit(start_url).hostname or ""
        self.allowed = {a for a in _addresses(host) if is_private(a)}
        self._opener = urllib.request.build_opener(_GuardedRedirects(self))

    @classmethod
    def for_source(cls, source: Source, start_url: str) -> PoliteFetcher:
        return cls(start_url, user_agent=source.user_agent, delay=source.delay,
                   timeout=source.download_timeout, obey_robots=source.obey_robots,
                   max_bytes=source.max_page_bytes)

    def __call__(self, url: str) -> Page:
        self.guard(url)
        origin = origin_of(url)
        page, rules = self._robots_of(origin)
        if url == origin + "/robots.txt":
            if page is None:
                raise FetchFailed("no robots.txt")
            return page
        if self.obey_robots and rules is not None \
                and not rules.can_fetch(url, self.user_agent):
            raise FetchFailed(f"robots.txt disallows it for user agent {self.user_agent!r}")
        return self._get(url)

    def guard(self, url: str) -> None:
        """FetchFailed unless `url` is http(s) on an address we may fetch."""
        parts = urlsplit(url)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise FetchFailed(f"scheme {parts.scheme!r} is not http or https")
        host = parts.hostname or ""
        addresses = _addresses(host)
        if not addresses:
            raise FetchFailed(f"cannot resolve {host!r}")
        for address in addresses:
            if is_private(address) and address not in self.allowed:
                raise FetchFailed(f"{host} is a private or loopback address ({address}), "
                                  "fetched only when the URL given is on it")

    def _robots_of(self, origin: str) -> tuple[Page | None, Protego | None]:
        if origin not in self._robots:
            try:
                page: Page | None = self._get(origin + "/robots.txt")
            except FetchFailed:
                page = None  # as Scrapy does: an unreachable robots.txt allows everything
            rules = None
            if page is not None and page.status == 200:
                rules = Protego.parse(page.body.decode("utf-8", "replace"))
            self._robots[origin] = (page, rules)
        return self._robots[origin]

    def _get(self, url: str) -> Page:
        self._wait()
        self.requests.append(url)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise FetchFailed(f"larger than {self.max_bytes} bytes")
                return Page(response.geturl(), response.status, body,
                            response.headers.get("Content-Type"))
        except urllib.error.HTTPError as exc:
            return Page(url, exc.code, b"", None)
        except urllib.error.URLError as exc:
            raise FetchFailed(str(exc.reason)) from None
        except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
            raise FetchFailed(str(exc) or type(exc).__name__) from None

    def _wait(self) -> None:
        now = time.monotonic()
        if self._last is not None and self.delay > 0:
            pause = self._last + self.delay - now
            if pause > 0:
                self.sleep(pause)
        self._last = time.monotonic()


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Every redirect hop passes the same checks as a URL asked for directly."""

    def __init__(self, fetcher: PoliteFetcher) -> None:
        super().__init__()
        self.fetcher = fetcher

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        try:
            self.fetcher.guard(newurl)
        except FetchFailed as exc:
            raise urllib.error.URLError(f"redirect to {newurl} refused: {exc}") from None
        self.fetcher.requests.append(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _addresses(host: str) -> set[IPAddress]:
    literal = ip_literal(host)
    if literal is not None:
        return {literal}
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return set()
    found = (ip_literal(str(info[4][0]).split("%")[0]) for info in infos)
    return {address for address in found if address is not None}


# -- the source block ------------------------------------------------------------------


def default_name(url: str) -> str:
    """A source name from the site's host: `www.example.co.uk` -> `example-co`."""
    host = bare_host(urlsplit(url).hostname or "")
    if not host or ip_literal(host) is not None:
        return "site"
    labels = host.split(".")
    labels = labels[:-1] if len(labels) > 1 else labels
    return re.sub(r"[^a-z0-9_-]+", "-", "-".join(labels)).strip("-") or "site"


def toml_string(value: str) -> str:
    """A TOML string: a literal one ('...', no escapes: regexes read as written) when it
    can be, else a basic one (a JSON string is a valid TOML basic string)."""
    if "'" not in value and not any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"'{value}'"
    return json.dumps(value)


def source_block(name: str, finding: Finding) -> str:
    """The `[sources.NAME]` block to paste, with what was found as comments."""
    keys = finding.suggestion()
    lines = [f"[sources.{name}]"]
    for doc in finding.chosen():
        key = "feed" if doc.kind == "feed" else "sitemap"
        lines.append(f"{key} = [{json.dumps(doc.url)}]  # {doc.describe()}")
    if "start" in keys:
        guess = finding.listing
        assert guess is not None
        lines.append(f"start = [{json.dumps(finding.url)}]  # no feed or sitemap found: "
                     "read it as a listing page")
        example = f", e.g. {guess.matches[0]}" if guess.matches else ""
        lines.append(f"follow = [{toml_string(guess.pattern)}]  # matches "
                     f"{len(guess.matches)} links on it{example}")
    others = finding.others()
    if others:
        lines.append("# Also found (copy a URL above to use it too):")
        lines += [f"#   {doc.url}  {doc.describe()}" for doc in others]
    if "start" not in keys and finding.listing is not None:
        lines.append(f"# Or read the page as a listing ({len(finding.listing.matches)} "
                     "article links on it match):")
        lines.append(f"#   start = [{json.dumps(finding.url)}]")
        lines.append(f"#   follow = [{toml_string(finding.listing.pattern)}]")
    if finding.skipped:
        lines.append("# Not fetched:")
        lines += [f"#   {url}  ({why})" for url, why in finding.skipped.items()]
    return "\n".join(lines) + "\n"


# -- --add -----------------------------------------------------------------------------


def check_new_name(config_path: Path, name: str) -> None:
    """ConfigError unless `name` can be added to the (valid) config at `config_path`."""
    if not NAME.fullmatch(name):
        raise ConfigError(f"bad source name {name!r}: use letters, digits, '-' and '_'",
                          key="--add")
    config = load_config(config_path)
    if name in config.sources:
        raise ConfigError(f"a source named {name!r} already exists; choose another name",
                          path=str(config_path), source=f"[sources.{name}]")


def add_source(config_path: Path, name: str, block: str) -> Path:
    """Append `block` to the config, once the result is known to load; the file as it was
    is kept next to it as NAME.bak first. Returns the backup's path."""
    check_new_name(config_path, name)
    old = config_path.read_text(encoding="utf-8")
    new = old + ("\n" if old and not old.endswith("\n") else "") + ("\n" if old else "") + block
    try:
        raw = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the source block would not make valid TOML here: {exc}",
                          path=str(config_path)) from None
    parse_config(raw, config_path)  # ConfigError: nothing is written
    backup = config_path.with_name(config_path.name + ".bak")
    shutil.copy2(config_path, backup)
    temporary = config_path.with_name(f".{config_path.name}.new")
    temporary.write_text(new, encoding="utf-8")
    shutil.copymode(config_path, temporary)
    os.replace(temporary, config_path)
    return backup
