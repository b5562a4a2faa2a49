"""HTTP plumbing of the fixture server: the request handler, faults, conditional GET."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newswatch.fixturesite.catalog import FixtureResponse

if TYPE_CHECKING:
    from newswatch.fixture_server import FixtureServer

HOST = "127.0.0.1"
FAULT_MODES = ("500", "503", "429", "slow", "drop", "redirect_loop", "wrong_charset", "404",
               "down")


@dataclass(frozen=True)
class RequestRecord:
    site: str
    path: str  # as requested, with the query string
    method: str
    headers: dict[str, str]
    status: int


@dataclass
class Fault:
    mode: str
    retry_after: int = 1
    delay: float = 1.0
    encoding: str = "cp1251"
    declared: str | None = "utf-8"
    times: int | None = None  # None: until cleared; n: the next n matching requests


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
        if fault is not None and fault.mode not in ("drop", "wrong_charset"):
            self._send_fault(fault)
            return
        resp = owner._render(site, self.path)
        if fault is not None and fault.mode == "wrong_charset":
            resp = _miscode(resp, fault)
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
        status = {"500": 500, "503": 503, "429": 429, "404": 404, "redirect_loop": 302}[fault.mode]
        body = f"<html><body><h1>{status}</h1></body></html>\n".encode()
        self._record(status)
        self.send_response(status)
        if fault.mode in ("503", "429"):
            self.send_header("Retry-After", str(fault.retry_after))
        if fault.mode == "redirect_loop":
            parts = urlsplit(self.path)
            target = parts.path if "loop=1" in parts.query else parts.path + "?loop=1"
            self.send_header("Location", self.server.owner.url(self.server.site, target))
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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
