"""Quick re-checks (crawler.quickcheck): a held page's conditional GET outside Scrapy.

The pure parts (reading an answer's head, writing a request) on plain data; the client
against real servers on 127.0.0.1; the spider's use of it through `newswatch crawl`
against the fixture sites: 304s taken quickly, a changed page the full way, the site's
delay kept across both kinds of request, robots.txt and the address guard still obeyed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, crawl_json

from crawler.quickcheck import ConditionalClient, parse_head, request_bytes
from newswatch.fixture_server import FixtureServer

EDITED = "/2024/10/north-korea-justifies-potential-troop-deployment-to-russia/"  # state 3
NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nDate: x\r\n\r\n'

# -- reading and writing ------------------------------------------------------------------


def test_a_304_head_is_read_and_its_connection_kept() -> None:
    answer = parse_head(b'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\nVary: Accept\r\n'
                        b"vary: Cookie\r\nContent-Length: 0\r\n\r\n")
    assert answer.status == 304 and answer.reusable
    assert answer.headers == {"etag": '"a"', "vary": "Accept, Cookie", "content-length": "0"}


@pytest.mark.parametrize("head", [
    b"HTTP/1.0 304 Not Modified\r\n\r\n",  # HTTP/1.0 closes unless asked otherwise
    b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n",  # a body a 304 must not have
    b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",  # the body is never read here
])
def test_a_connection_is_kept_only_after_a_clean_304(head: bytes) -> None:
    assert not parse_head(head).reusable


@pytest.mark.parametrize("head", [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 abc\r\n\r\n",
                                  b"HTTP/1.1 304 x\r\nno colon here\r\n\r\n"])
def test_a_malformed_head_is_refused(head: bytes) -> None:
    with pytest.raises(ValueError):
        parse_head(head)


def test_the_request_names_host_path_and_validators() -> None:
    data = request_bytes("http://user:pw@example.org:8080/a%20b/?q=1#frag",
                         [("User-Agent", "bot/1"), ("If-None-Match", '"v1"')])
    assert data == (b"GET /a%20b/?q=1 HTTP/1.1\r\nHost: example.org:8080\r\n"
                    b'User-Agent: bot/1\r\nIf-None-Match: "v1"\r\n\r\n')
    assert request_bytes("https://example.org", []).startswith(b"GET / HTTP/1.1\r\n")
    with pytest.raises(ValueError):
        request_bytes("http://example.org/", [("If-None-Match", 'x"\r\nEvil: 1')])


# -- the client against real servers ------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A TCP server on 127.0.0.1 counting its connections and requests."""

    def __init__(self, answer: Callable[[int], bytes | None], close_after: bool = False):
        self.answer = answer  # request number -> bytes to send (None: never answer)
        self.close_after = close_after
        self.connections = 0
        self.requests = 0
        self.closed_by_client = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                data = self.answer(self.requests)
                if data is None:
                    await asyncio.sleep(30)
                    return
                writer.write(data)
                await writer.drain()
                if self.close_after:
                    return
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                self.closed_by_client += 1
        finally:
            writer.close()

    async def __aenter__(self) -> tuple[Server, tuple[str, str, int, str]]:
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return self, ("http", "127.0.0.1", port, "127.0.0.1")

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


GET = request_bytes("http://127.0.0.1/a", [("If-None-Match", '"v1"')])


def test_304s_share_one_kept_connection() -> None:
    async def scenario() -> tuple[list[int], Server, int]:
        async with Server(lambda n: NOT_MODIFIED) as (srv, key):
            client = ConditionalClient()
            statuses = [(await client.ask(key, GET, 5)).status for _ in range(5)]
            kept = client.kept
            client.close()
            return statuses, srv, kept
    statuses, srv, kept = run(scenario())
    assert statuses == [304] * 5
    assert srv.connections == 1 and srv.requests == 5 and kept == 1


def test_a_connection_the_server_closed_is_replaced_once() -> None:
    async def scenario() -> tuple[list[int], Server]:
        async with Server(lambda n: NOT_MODIFIED, close_after=True) as (srv, key):
            client = ConditionalClient()
            statuses = []
            for _ in range(3):
                statuses.append((await client.ask(key, GET, 5)).status)
                await asyncio.sleep(0.05)  # the server's close reaches the kept connection
            client.close()
            return statuses, srv
    statuses, srv = run(scenario())
    assert statuses == [304, 304, 304]
    assert srv.connections == 3 and srv.requests == 3


def test_any_other_answer_closes_the_connection() -> None:
    async def scenario() -> tuple[int, int, Server]:
        async with Server(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew") as (
                srv, key):
            client = ConditionalClient()
            answer = await client.ask(key, GET, 5)
            kept = client.kept
            await asyncio.sleep(0.05)
            return answer.status, kept, srv
    status, kept, srv = run(scenario())
    assert status == 200 and kept == 0 and srv.closed_by_client == 1


def test_a_silent_server_times_out() -> None:
    async def scenario() -> float:
        async with Server(lambda n: None) as (_, key):
            client = ConditionalClient()
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(TimeoutError):
                await client.ask(key, GET, 0.3)
            return loop.time() - started
    assert run(scenario()) < 2


def test_idle_connections_are_closed() -> None:
    async def scenario() -> tuple[int, int, Server]:
        async with Server(lambda n: NOT_MODIFIED) as (srv, key):
            client = ConditionalClient(idle_seconds=0.2)
            await client.ask(key, GET, 5)
            before = client.kept
            await asyncio.sleep(0.6)
            return before, client.kept, srv
    before, after, srv = run(scenario())
    assert (before, after) == (1, 0) and srv.closed_by_client == 1


# -- in the spider: `newswatch crawl` over the fixture sites --------------------------------


def crawl_m31(tmp_path: Path, srv: FixtureServer, **keys: Any) -> tuple[Path, Callable[[], Any]]:
    config = tmp_path / "newswatch.toml"
    config.write_text(config_text({"m31": {"feed": [srv.url("m31", "/feed/")], **keys}}))
    return config, lambda: crawl_json(config)["m31"]


def m31_articles(srv: FixtureServer) -> list[Any]:
    return [r for r in srv.requests if r.site == "m31" and r.path.startswith("/20")]


def test_known_articles_are_rechecked_quickly_and_a_changed_one_the_full_way(
        tmp_path: Path) -> None:
    with FixtureServer(state=0) as srv:
        _, crawl = crawl_m31(tmp_path, srv, delay=0.3)
        first = crawl()
        assert first["new"] >= 3 and first.get("quick/304", 0) == 0
        known = first["new"]
        srv.clear_requests()
        second = crawl()
        assert second["quick/304"] == second["not-modified"] == second["unchanged"] == known
        assert second.get("quick/full-way", 0) == 0 and second["errors"] == 0
        asked = m31_articles(srv)
        assert len(asked) == known and all(r.status == 304 for r in asked)
        assert all(r.headers.get("If-None-Match") for r in asked)
        assert {r.headers.get("User-Agent") for r in asked} == {
            r.headers.get("User-Agent") for r in srv.requests if r.path == "/feed/"}
        # the site's delay holds across Scrapy's requests (robots.txt, the feed) and these
        # (seen from the server: one gap may shrink by the jitter of when requests are
        # read on a loaded machine, their sum may not)
        times = sorted(r.at for r in srv.requests if r.site == "m31")
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.3 - 0.1
        assert times[-1] - times[0] >= 0.3 * (len(times) - 1) - 0.05

        srv.set_state(3)  # EDITED is edited; every m31 page gets new chrome (a new ETag)
        srv.clear_requests()
        third = crawl()
        assert third["updated"] == 1 and third["errors"] == 0
        assert third["quick/full-way"] >= 1
        edited = [r for r in m31_articles(srv) if r.path == EDITED]
        assert [r.status for r in edited] == [200, 200]  # asked quickly, then the full way
    db = tmp_path / "data" / "newswatch.db"
    con = sqlite3.connect(db)
    try:
        updated = con.execute("SELECT url FROM events WHERE kind = 'updated'").fetchall()
    finally:
        con.close()
    assert [u for (u,) in updated] == [srv.url("m31", EDITED)]


def test_robots_txt_still_decides_a_recheck(tmp_path: Path) -> None:
    with FixtureServer(state=0) as srv:
        _, crawl = crawl_m31(tmp_path, srv)
        known = crawl()["new"]
        srv.fault("m31", "/robots.txt", "disallow", target="/20")  # the articles
        srv.clear_requests()
        second = crawl()
        assert second["skipped/robots"] == known and second.get("quick/304", 0) == 0
        assert m31_articles(srv) == []
