"""HTTP plumbing of the fixture server: the request handler, faults, conditional GET."""

from __future__ import annotations

import contextlib
import functools
import gzip
import random
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fixturesite.catalog import FixtureResponse

if TYPE_CHECKING:
    from newswatch.fixture_server import FixtureServer

HOST = "127.0.0.1"
FAULT_MODES = ("500", "503", "429", "slow", "drop", "redirect_loop", "wrong_charset", "404",
               "down", "redirect", "empty", "binary", "huge", "truncated_gzip", "gzip_bomb",
               "disallow")
ANY_PATH = "*"  # a fault on this path applies to every path of the site
_BODY_MODES = ("drop", "wrong_charset", "truncated_gzip")  # these alter the real page
_CHUNK = 1 << 16


@dataclass(frozen=True)
class RequestRecord:
    site: str
    path: str  # as requested, with the query string
    method: str
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass
class Fault:
    mode: str
    retry_after: int = 1
    delay: float = 1.0
    encoding: str = "cp1251"
    declared: str | None = "utf-8"
    times: int | None = None  # None: until cleared; n: the next n matching requests
    target: str = ""  # "redirect": the Location sent (any URL, any scheme)
    size: int = 50 * 1024 * 1024  # "huge": body bytes; "gzip_bomb": bytes once inflated
    length: bool = True  # "huge": send Content-Length (False: body delimited by close)


class SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: FixtureServer, site: str, port: int) -> None:
        self.owner = owner
        self.site = site
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-response are routine in fault tests.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FixtureHTTP/1.0"
    timeout = 15  # idle keep-alive connections are dropped after this
    server: SiteHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.conn_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # tests start many servers; the request log is `FixtureServer.requests`

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        owner, site = self.server.owner, self.server.site
        fault = owner._take_fault(site, self.path)
        if fault is not None and fault.mode == "slow":
            owner._stopping.wait(fault.delay)
            fault = None
        if fault is not None and fault.mode not in _BODY_MODES:
            self._send_fault(fault)
            return
        resp = owner._render(site, self.path)
        if fault is not None and fault.mode == "wrong_charset":
            resp = _miscode(resp, fault)
        if fault is not None and fault.mode == "truncated_gzip":
            resp = _truncated_gzip(resp)
        status = resp.status
        if status == 200 and _not_modified(self.headers, resp.headers):
            status = 304
        self._record(status)
        self.send_response(status)
        for name, value in resp.headers.items():
            if status == 304 and name in ("Content-Type", "Content-Length"):
                continue
            self.send_header(name, value)
        self.end_headers()
        if head or status == 304:
            return
        if fault is not None and fault.mode == "drop":
            self.wfile.write(resp.body[: len(resp.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(resp.body)

    def _send_fault(self, fault: Fault) -> None:
        if fault.mode in ("empty", "binary", "huge", "gzip_bomb", "disallow"):
            self._send_body_fault(fault)
            return
        status = {"500": 500, "503": 503, "429": 429, "404": 404, "redirect_loop": 302,
                  "redirect": 302}[fault.mode]
        body = f"<html><body><h1>{status}</h1></body></html>\n".encode()
        self._record(status)
        self.send_response(status)
        if fault.mode in ("503", "429"):
            self.send_header("Retry-After", str(fault.retry_after))
        if fault.mode == "redirect_loop":
            parts = urlsplit(self.path)
            target = parts.path if "loop=1" in parts.query else parts.path + "?loop=1"
            self.send_header("Location", self.server.owner.url(self.server.site, target))
        if fault.mode == "redirect":
            self.send_header("Location", fault.target)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_body_fault(self, fault: Fault) -> None:
        """A 200 whose body is the fault: nothing, noise, too much, a gzip bomb, or a
        robots.txt that disallows the fault's target ("/" when none)."""
        headers = {"Content-Type": "text/html; charset=utf-8"}
        body = b""
        if fault.mode == "disallow":
            headers["Content-Type"] = "text/plain"
            body = f"User-agent: *\nDisallow: {fault.target or '/'}\n".encode()
        elif fault.mode == "binary":
            body = _noise(_CHUNK)
        elif fault.mode == "gzip_bomb":
            body = _bomb(fault.size)
            headers["Content-Encoding"] = "gzip"
        self._record(200)
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        if fault.mode == "huge":
            if fault.length:
                self.send_header("Content-Length", str(fault.size))
            else:
                self.close_connection = True
            self.end_headers()
            self._send_huge(fault.size)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_huge(self, size: int) -> None:
        # An endless-looking page, streamed: a client that stops reading ends it early.
        chunk = (b"<p>" + b"filler text " * (_CHUNK // 12) + b"</p>\n")[:_CHUNK]
        self.wfile.write(b"<html><body>")
        sent = len(b"<html><body>")
        with contextlib.suppress(OSError):
            while sent < size:
                piece = chunk[: size - sent]
                self.wfile.write(piece)
                sent += len(piece)

    def _record(self, status: int) -> None:
        self.server.owner._log(RequestRecord(self.server.site, self.path, self.command,
                                             dict(self.headers.items()), status))


def _not_modified(request: Any, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since when both are sent."""
    inm = request.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or headers["ETag"] in tags
    ims = request.get("If-Modified-Since")
    if ims is None:
        return False
    try:
        return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False


def _miscode(resp: FixtureResponse, fault: Fault) -> FixtureResponse:
    """The page re-encoded in `fault.encoding` while declaring `fault.declared` (None: no
    charset in the header and the <meta charset> removed)."""
    text = resp.body.decode("utf-8")
    ctype = resp.headers["Content-Type"].split(";")[0]
    if fault.declared is None:
        text = text.replace('<meta charset="UTF-8">', "").replace('<meta charset="utf-8">', "")
    else:
        ctype += f"; charset={fault.declared}"
    body = text.encode(fault.encoding, errors="xmlcharrefreplace")
    headers = dict(resp.headers, **{"Content-Type": ctype, "Content-Length": str(len(body))})
    return FixtureResponse(resp.status, headers, body)


def _truncated_gzip(resp: FixtureResponse) -> FixtureResponse:
    """The page gzip-encoded, with the second half of the gzip stream cut off."""
    packed = gzip.compress(resp.body, mtime=0)
    body = packed[: len(packed) // 2]
    headers = dict(resp.headers, **{"Content-Encoding": "gzip", "Content-Length": str(len(body))})
    return FixtureResponse(resp.status, headers, body)


@functools.lru_cache(maxsize=4)
def _bomb(size: int) -> bytes:
    """`size` bytes of HTML-ish zeros, gzipped: about size/1000 bytes on the wire."""
    return gzip.compress(b"<html><body>" + b"0" * size, compresslevel=9, mtime=0)


def _noise(size: int) -> bytes:
    """Deterministic binary junk that starts like a PNG (what a misconfigured CDN sends)."""
    return b"\x89PNG\r\n\x1a\n\x00" + random.Random(size).randbytes(size)
