"""Serve the fixture sites over HTTP on 127.0.0.1, one port per site, with injectable faults.

    with FixtureServer(state=0, churn=False) as srv:
        srv.url("m31", "/feed/")            # "http://127.0.0.1:PORT/feed/"
        srv.set_state(2)
        srv.fault("m31", "/feed/", "503", retry_after=1)
        srv.fault("westjournal", "", "down")  # connection refused until clear_faults()

By hand: `python -m newswatch.fixture_server --state 0 [--churn] [--port 8000]`.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

from fixturesite.httpd import (
    ANY_PATH,
    FAULT_MODES,
    HOST,
    Fault,
    RequestRecord,
    SiteHTTPServer,
)
from newswatch.fixtures import FixtureResponse, FixtureSites

__all__ = ["FAULT_MODES", "FixtureServer", "RequestRecord", "main"]


class FixtureServer:
    """Every fixture site on its own 127.0.0.1 port, switchable between timeline states."""

    def __init__(self, state: int = 0, churn: bool = False, sites: FixtureSites | None = None,
                 ports: dict[str, int] | None = None) -> None:
        self.sites = sites or FixtureSites()
        self.churn = churn
        self._state = state
        self._check_state(state)
        self._lock = threading.Lock()
        self._faults: dict[tuple[str, str], Fault] = {}
        self._down: set[str] = set()
        self._requests: list[RequestRecord] = []
        self._variants = itertools.count()
        self._stopping = threading.Event()
        self._wanted_ports = ports or {}
        self._servers: dict[str, SiteHTTPServer] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._ports: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FixtureServer:
        for site in self.sites.names:
            self._start_site(site, self._wanted_ports.get(site, 0))
        return self

    def stop(self) -> None:
        self._stopping.set()
        for site in list(self._servers):
            self._stop_site(site)

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_site(self, site: str, port: int) -> None:
        server = SiteHTTPServer(self, site, port)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"fixture-{site}", daemon=True)
        thread.start()
        self._servers[site], self._threads[site] = server, thread
        self._ports[site] = server.server_address[1]

    def _stop_site(self, site: str) -> None:
        server = self._servers.pop(site)
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the handler threads
        self._threads.pop(site).join()

    # -- addresses -------------------------------------------------------------------------

    def base_url(self, site: str) -> str:
        return f"http://{HOST}:{self._ports[site]}"

    def url(self, site: str, path: str) -> str:
        return self.base_url(site) + path

    @property
    def bound_addresses(self) -> dict[str, tuple[str, int]]:
        """(host, port) each site listens on (or will again, when it is down)."""
        out = {site: (HOST, port) for site, port in self._ports.items()}
        for site, server in list(self._servers.items()):
            host, port = server.socket.getsockname()[:2]
            out[site] = (host, port)
        return out

    @property
    def bases(self) -> dict[str, str]:
        return {site: self.base_url(site) for site in self._ports}

    # -- state and faults ------------------------------------------------------------------

    @property
    def state(self) -> int:
        return self._state

    def _check_state(self, state: int) -> None:
        if not 0 <= state < self.sites.state_count:
            raise ValueError(f"state must be 0..{self.sites.state_count - 1}, not {state}")

    def set_state(self, state: int) -> None:
        self._check_state(state)
        with self._lock:
            self._state = state

    def fault(self, site: str, path: str, mode: str, *, retry_after: int = 1,
              delay: float = 1.0, encoding: str = "cp1251", declared: str | None = "utf-8",
              times: int | None = None, target: str = "", size: int = 50 * 1024 * 1024,
              length: bool = True) -> None:
        """Make requests for `path` on `site` fail in `mode` (see FAULT_MODES).

        `path` matches the request path with or without its query string, and "*" matches
        every path of the site (a fault of the whole host); "down" ignores it and closes the
        site's listening socket (connections refused) until `clear_faults()` or `up(site)`
        reopens it on the same port. `target` is where "redirect" points and what
        "disallow" (a robots.txt) disallows; `size` is the body of "huge" and the inflated
        body of "gzip_bomb"; `length=False` makes "huge" send no Content-Length.
        """
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        if site not in self.sites.names:
            raise ValueError(f"unknown site {site!r}")
        if mode == "down":
            with self._lock:
                if site in self._down:
                    return
                self._down.add(site)
            self._stop_site(site)
            return
        with self._lock:
            self._faults[(site, path)] = Fault(mode, retry_after, delay, encoding, declared,
                                               times, target, size, length)

    def up(self, site: str) -> None:
        """Reopen a site taken down with fault(site, "", "down"), on the same port."""
        with self._lock:
            if site not in self._down:
                return
            self._down.discard(site)
        for _ in range(50):
            try:
                self._start_site(site, self._ports[site])
                return
            except OSError:
                time.sleep(0.05)
        self._start_site(site, self._ports[site])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            down = list(self._down)
        for site in down:
            self.up(site)

    def _take_fault(self, site: str, path: str) -> Fault | None:
        with self._lock:
            key = next((k for k in ((site, path), (site, urlsplit(path).path),
                                    (site, ANY_PATH)) if k in self._faults), None)
            if key is None:
                return None
            fault = self._faults[key]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[key]
            return fault

    # -- requests --------------------------------------------------------------------------

    def _render(self, site: str, path: str) -> FixtureResponse:
        with self._lock:
            state = self._state
            variant = next(self._variants) if self.churn else None
        return self.sites.render(site, path, state, self.bases, variant)

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request answered so far, in order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()


def main(argv: list[str] | None = None) -> int:
    """Serve every fixture site until Ctrl-C, printing their base URLs.

    Example: python -m newswatch.fixture_server --state 2 --churn --port 8000
    """
    parser = argparse.ArgumentParser(prog="python -m newswatch.fixture_server",
                                     description=main.__doc__)
    parser.add_argument("--state", type=int, default=0, help="timeline state to serve")
    parser.add_argument("--churn", action="store_true", help="vary article chrome per fetch")
    parser.add_argument("--port", type=int, default=0,
                        help="first port (sites get consecutive ports); 0 = any free port")
    args = parser.parse_args(argv)
    sites = FixtureSites()
    ports = {s: args.port + i for i, s in enumerate(sites.names)} if args.port else None
    try:
        server = FixtureServer(args.state, args.churn, sites, ports).start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for site in sites.names:
        print(f"{site:12} {server.base_url(site)}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):  # a timed wait lets Ctrl-C through promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
