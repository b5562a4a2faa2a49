"""The fixture HTTP server: states, conditional requests, churn, faults, clean shutdown."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import FixtureSites

ARTICLE = "/2024/10/north-korea-justifies-potential-troop-deployment-to-russia/"
NEW_IN_2 = "/2025/06/russia-north-korea-road-bridge-tumen/"
REMOVED_IN_5 = "/news/county-clerks-test-voting-machines/"
COPY_IN_4 = "/news/russia-north-korea-speed-up-tumen-river-road-bridge/"
ANALYSIS = "/analysis/firm-friendship-pyongyang-moscow-relations.html"


def get(srv: FixtureServer, site: str, path: str,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET over a fresh connection; redirects are not followed."""
    parts = urlsplit(srv.base_url(site))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def sites() -> FixtureSites:
    return FixtureSites()


@pytest.fixture
def srv(sites):
    with FixtureServer(state=0, sites=sites) as server:
        yield server


def test_binds_only_loopback(srv) -> None:
    for site in srv.sites.names:
        host, port = srv.bound_addresses[site]
        assert host == "127.0.0.1" and port > 0
        assert srv.base_url(site) == f"http://127.0.0.1:{port}"
    assert len({srv.base_url(s) for s in srv.sites.names}) == len(srv.sites.names) == 5


def test_serves_every_state_with_real_headers(srv, sites) -> None:
    for state in range(sites.state_count):
        srv.set_state(state)
        for site in sites.names:
            for view in sites.views(site, state):
                status, headers, body = get(srv, site, view.path)
                assert status == 200
                assert headers["Content-Type"] == "text/html; charset=utf-8"
                assert int(headers["Content-Length"]) == len(body)
                assert headers["ETag"].startswith('"') and headers["Last-Modified"]
        status, headers, _ = get(srv, "m31", "/feed/")
        assert (status, headers["Content-Type"]) == (200, "application/rss+xml; charset=utf-8")
    assert get(srv, "m31", "/feed/atom/")[1]["Content-Type"].startswith("application/atom+xml")
    assert get(srv, "m31", "/news-sitemap.xml")[1]["Content-Type"].startswith("application/xml")
    assert get(srv, "m31", "/robots.txt")[1]["Content-Type"].startswith("text/plain")
    assert get(srv, "westjournal", REMOVED_IN_5)[0] == 404  # still in state 5


def test_links_use_each_sites_base_url(srv) -> None:
    srv.set_state(4)
    _, _, body = get(srv, "westjournal", COPY_IN_4)
    assert (srv.url("m31", NEW_IN_2)).encode() in body
    _, _, feed = get(srv, "m31", "/feed/")
    assert srv.url("m31", NEW_IN_2).encode() in feed


def test_switching_state_while_running(srv) -> None:
    assert NEW_IN_2.encode() not in get(srv, "m31", "/feed/")[2]
    assert get(srv, "m31", NEW_IN_2)[0] == 404
    srv.set_state(2)
    assert srv.state == 2
    assert NEW_IN_2.encode() in get(srv, "m31", "/feed/")[2]
    assert get(srv, "m31", NEW_IN_2)[0] == 200
    with pytest.raises(ValueError):
        srv.set_state(99)


def test_conditional_requests(srv) -> None:
    status, headers, body = get(srv, "m31", ARTICLE)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and body
    status, h304, body = get(srv, "m31", ARTICLE, {"If-None-Match": etag})
    assert (status, body, h304["ETag"]) == (304, b"", etag)
    assert get(srv, "m31", ARTICLE, {"If-None-Match": f'"x", W/{etag}'})[0] == 304
    assert get(srv, "m31", ARTICLE, {"If-Modified-Since": modified})[0] == 304
    assert get(srv, "m31", ARTICLE, {"If-Modified-Since": "Sun, 01 Jan 2023 00:00:00 GMT"})[0] \
        == 200
    # If-None-Match wins: a stale ETag gets the page even with a fresh If-Modified-Since.
    assert get(srv, "m31", ARTICLE, {"If-None-Match": '"stale"',
                                     "If-Modified-Since": modified})[0] == 200
    srv.set_state(3)  # the article was edited: new ETag and a later Last-Modified
    status, headers, _ = get(srv, "m31", ARTICLE, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert get(srv, "m31", ARTICLE, {"If-Modified-Since": modified})[0] == 200


def test_analysis_pages_are_stable_across_states(srv) -> None:
    etag = get(srv, "analysis", ANALYSIS)[1]["ETag"]
    srv.set_state(4)
    assert get(srv, "analysis", ANALYSIS, {"If-None-Match": etag})[0] == 304


def test_chrome_changes_between_states_without_churn(srv) -> None:
    first = get(srv, "m31", ARTICLE)
    again = get(srv, "m31", ARTICLE)
    assert again[2] == first[2] and again[1]["ETag"] == first[1]["ETag"]
    srv.set_state(1)
    second = get(srv, "m31", ARTICLE)
    assert second[2] != first[2] and second[1]["ETag"] != first[1]["ETag"]
    assert second[1]["Last-Modified"] == first[1]["Last-Modified"]


def test_churn_varies_every_article_fetch(sites) -> None:
    with FixtureServer(state=0, churn=True, sites=sites) as srv:
        for site, path in [("m31", ARTICLE), ("analysis", ANALYSIS),
                           ("westjournal", "/news/statehouse-passes-property-tax-relief/")]:
            a, b = get(srv, site, path), get(srv, site, path)
            assert a[2] != b[2] and a[1]["ETag"] != b[1]["ETag"]
            assert a[1]["Last-Modified"] == b[1]["Last-Modified"]
        assert get(srv, "m31", "/feed/")[2] == get(srv, "m31", "/feed/")[2]


def test_request_log(srv) -> None:
    get(srv, "m31", "/feed/?x=1", {"User-Agent": "probe/1"})
    get(srv, "analysis", "/nope")
    log = srv.requests
    assert [(r.site, r.path, r.method, r.status) for r in log] == [
        ("m31", "/feed/?x=1", "GET", 200), ("analysis", "/nope", "GET", 404)]
    assert log[0].headers["User-Agent"] == "probe/1"
    srv.clear_requests()
    assert srv.requests == []


@pytest.mark.parametrize("mode,status", [("500", 500), ("404", 404)])
def test_error_faults(srv, mode, status) -> None:
    srv.fault("m31", ARTICLE, mode)
    assert get(srv, "m31", ARTICLE)[0] == status
    assert get(srv, "m31", "/feed/")[0] == 200
    srv.clear_faults()
    assert get(srv, "m31", ARTICLE)[0] == 200


@pytest.mark.parametrize("mode", ["503", "429"])
def test_retry_after_faults(srv, mode) -> None:
    srv.fault("westjournal", "/feed/", mode, retry_after=7, times=2)
    for _ in range(2):
        status, headers, _ = get(srv, "westjournal", "/feed/")
        assert (status, headers["Retry-After"]) == (int(mode), "7")
    assert get(srv, "westjournal", "/feed/")[0] == 200  # `times` ran out


def test_slow_fault(srv) -> None:
    srv.fault("analysis", "/rss.xml", "slow", delay=0.3)
    started = time.monotonic()
    assert get(srv, "analysis", "/rss.xml")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_drop_fault_closes_mid_body(srv) -> None:
    srv.fault("m31", ARTICLE, "drop")
    with pytest.raises(http.client.IncompleteRead):
        get(srv, "m31", ARTICLE)
    srv.clear_faults()
    assert get(srv, "m31", ARTICLE)[0] == 200


def test_redirect_loop_fault(srv) -> None:
    srv.fault("m31", ARTICLE, "redirect_loop")
    status, headers, _ = get(srv, "m31", ARTICLE)
    assert status == 302
    hop = urlsplit(headers["Location"])
    assert hop.path == ARTICLE and hop.port == srv.bound_addresses["m31"][1]
    status, headers, _ = get(srv, "m31", f"{hop.path}?{hop.query}")
    assert status == 302 and headers["Location"] == srv.url("m31", ARTICLE)
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(srv.url("m31", ARTICLE), timeout=10)


def test_wrong_charset_fault(srv) -> None:
    clean = get(srv, "m31", ARTICLE)[2].decode("utf-8")
    srv.fault("m31", ARTICLE, "wrong_charset")
    status, headers, body = get(srv, "m31", ARTICLE)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert body.decode("cp1251") == clean
    srv.fault("m31", ARTICLE, "wrong_charset", encoding="latin-1", declared=None)
    status, headers, body = get(srv, "m31", ARTICLE)
    assert headers["Content-Type"] == "text/html" and b"<meta charset" not in body


def test_down_and_up_on_the_same_port(srv) -> None:
    port = srv.bound_addresses["westjournal"][1]
    srv.fault("westjournal", "", "down")
    with pytest.raises(ConnectionRefusedError):
        get(srv, "westjournal", "/feed/")
    assert get(srv, "m31", "/feed/")[0] == 200
    srv.clear_faults()
    assert srv.bound_addresses["westjournal"][1] == port
    assert get(srv, "westjournal", "/feed/")[0] == 200


def test_unknown_fault_mode_rejected(srv) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        srv.fault("m31", "/", "explode")


def test_stop_closes_sockets_and_joins_threads(sites) -> None:
    before = threading.active_count()
    srv = FixtureServer(sites=sites).start()
    parts = urlsplit(srv.base_url("m31"))
    idle = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    idle.request("GET", "/feed/")  # keep-alive connection left open on purpose
    idle.getresponse().read()
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 5
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        get(srv, "m31", "/feed/")
    assert threading.active_count() <= before
