"""`newswatch discover URL [--add NAME]`: finds each fixture site's feed and sitemap,
suggests a listing page and a `follow` rule for a site that has neither, fetches the way a
crawl does (robots.txt, User-Agent, delay, no foreign private addresses), and `--add`
appends a block that loads, keeping a backup.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import crawl_json, run_cli
from pages import article
from routeserver import RouteServer

from crawler.finder import FetchFailed, guess_follow, path_pattern
from newswatch.discover import PoliteFetcher, default_name, toml_string
from newswatch.fixture_server import FixtureServer

UA = "newswatch-test (+https://example.org/bot)"
# site -> (its feed, its news sitemap, its sitemap index)
FIXTURE_SITES = {
    "m31": ("/feed/", "/news-sitemap.xml", "/sitemap_index.xml"),
    "westjournal": ("/feed/", "/sitemaps/news.xml", "/sitemap.xml"),
    "analysis": ("/atom.xml", "/sitemap-news.xml", "/sitemap-index.xml"),
}
SLUGS = ["north-korea-sends-troops", "rail-bridge-opens-early", "summit-ends-without-deal"]
YEAR_MONTH_SLUG = r"/\d{4}/\d{2}/[a-z0-9-]+/?$"


def header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


@pytest.mark.parametrize("site", sorted(FIXTURE_SITES))
def test_finds_the_feed_and_sitemap_of_each_fixture_site(
        fixture_server: FixtureServer, write_config: Callable[..., Path],
        capsys: pytest.CaptureFixture[str], site: str) -> None:
    srv = fixture_server
    feed, news, index = FIXTURE_SITES[site]
    config = write_config({"other": {"feed": ["http://127.0.0.1:9/f.xml"]}},
                          defaults={"user_agent": UA})
    code, out, err = run_cli(capsys, "discover", srv.url(site, "/"), "--config", str(config))
    assert code == 0, err
    block = tomllib.loads(out)["sources"]
    assert block == {"site": {"feed": [srv.url(site, feed)], "sitemap": [srv.url(site, news)]}}
    assert f"#   {srv.url(site, index)}  sitemap index" in out  # the archive, as an option
    assert "--add site" in err  # and how to add it
    asked = [r for r in srv.requests if r.site == site]
    assert [r.path for r in asked][:2] == ["/robots.txt", "/"]
    assert len(asked) == 5  # robots.txt, the page, its feed, the index, the news sitemap
    assert {header(r.headers, "User-Agent") for r in asked} == {UA}


def test_a_feed_url_given_is_the_answer(fixture_server: FixtureServer,
                                        capsys: pytest.CaptureFixture[str],
                                        write_config: Callable[..., Path]) -> None:
    config = write_config({"other": {"feed": ["http://127.0.0.1:9/f.xml"]}})
    feed = fixture_server.url("westjournal", "/feed/")
    code, out, _ = run_cli(capsys, "discover", feed, "--config", str(config))
    assert code == 0
    assert tomllib.loads(out)["sources"]["site"] == {"feed": [feed]}


@pytest.fixture
def listing_site() -> Iterator[RouteServer]:
    """A site with neither feed nor sitemap: a home page listing three articles."""
    srv = RouteServer()
    links = "".join(f'<li><a href="/2024/10/{slug}/">{slug.replace("-", " ")}</a></li>'
                    for slug in SLUGS)
    chrome = ('<a href="/about/">About</a> <a href="/tag/korea/">Korea</a> '
              '<a href="/category/world/">World</a> <a href="/page/2/">Older</a> '
              '<a href="/private/2024/10/members-only-story/">Members</a>')
    with srv.running():
        srv.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        srv.add("/", f"<html><body><nav>{chrome}</nav><ul>{links}</ul></body></html>")
        for n, slug in enumerate(SLUGS):
            srv.add(f"/2024/10/{slug}/", article(slug.replace("-", " ").title(), n))
        yield srv


def test_a_site_without_feed_or_sitemap_becomes_a_listing_that_crawls(
        listing_site: RouteServer, write_config: Callable[..., Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    srv = listing_site
    config = write_config({}, defaults={"delay": 0.05})
    before = config.read_text()
    code, out, err = run_cli(capsys, "--config", str(config), "discover", srv.url("/"),
                             "--add", "home")
    assert code == 0, err
    block = tomllib.loads(out)["sources"]["home"]
    assert block == {"start": [srv.url("/")], "follow": [YEAR_MONTH_SLUG]}
    assert "matches 4 links on it" in out  # three articles, and the robots-disallowed one
    # politely: one request at a time, `delay` apart; robots.txt first; no article fetched
    assert srv.log[:2] == ["/robots.txt", "/"]
    assert "/feed/" in srv.log and "/sitemap.xml" in srv.log  # common paths were tried
    assert not any(path.startswith("/2024/") for path in srv.log)
    # seen from the server, one gap may shrink by the jitter of when requests are read
    # (the machine is loaded by other work); their sum may not
    times = [t for _, t in srv.requests]
    assert all(b - a >= 0.02 for a, b in zip(times, times[1:], strict=False))
    assert times[-1] - times[0] >= 0.05 * (len(times) - 1) - 0.02
    # --add: appended after a backup; the result loads and crawls the three articles
    assert (config.parent / "newswatch.toml.bak").read_text() == before
    assert config.read_text().startswith(before)
    assert "crawl home" in err
    summary = crawl_json(config, "home")
    assert summary["home"]["new"] == 3, summary


def test_robots_txt_is_obeyed_and_foreign_private_addresses_refused(
        capsys: pytest.CaptureFixture[str], write_config: Callable[..., Path]) -> None:
    srv = RouteServer()
    page = ('<html><head><link rel="alternate" type="application/rss+xml" '
            'href="http://10.255.255.1/feed.xml"></head><body>'
            + "".join(f'<a href="/2024/10/{slug}/">x</a>' for slug in SLUGS) + "</body></html>")
    config = write_config({"other": {"feed": ["http://127.0.0.1:9/f.xml"]}})
    with srv.running():
        srv.add("/robots.txt", "User-agent: *\nDisallow: /rss.xml\nDisallow: /secret/\n",
                "text/plain")
        srv.add("/", page)
        srv.routes["/feed/"] = [(302, {"Location": "http://192.168.255.1/feed/"}, b"")]
        code, out, err = run_cli(capsys, "--config", str(config), "discover", srv.url("/"))
        assert code == 0, err
        assert tomllib.loads(out)["sources"]["site"]["follow"] == [YEAR_MONTH_SLUG]
        not_fetched = out[out.index("# Not fetched:"):]
        assert "http://10.255.255.1/feed.xml  (10.255.255.1 is a private" in not_fetched
        assert "redirect to http://192.168.255.1/feed/ refused" in not_fetched
        assert f"{srv.url('/rss.xml')}  (robots.txt disallows it" in not_fetched
        assert "/rss.xml" not in srv.log

        code, _, err = run_cli(capsys, "--config", str(config), "discover",
                               srv.url("/secret/"))
        assert code == 1 and "robots.txt disallows it" in err
        assert len(err.strip().splitlines()) == 1


def test_fetcher_refuses_private_addresses_unless_the_given_url_is_on_one() -> None:
    local = PoliteFetcher("http://127.0.0.1:8000/", user_agent=UA)
    local.guard("http://127.0.0.1:9999/feed/")  # the same address: allowed
    for url in ("http://127.0.0.2/", "http://10.0.0.1/", "http://[::1]/", "ftp://127.0.0.1/"):
        with pytest.raises(FetchFailed):
            local.guard(url)
    public = PoliteFetcher("http://93.184.216.34/", user_agent=UA)
    with pytest.raises(FetchFailed, match="private or loopback"):
        public.guard("http://127.0.0.1/")


def test_nothing_found_is_exit_1(capsys: pytest.CaptureFixture[str],
                                 write_config: Callable[..., Path]) -> None:
    config = write_config({"other": {"feed": ["http://127.0.0.1:9/f.xml"]}})
    srv = RouteServer()
    with srv.running():
        srv.add("/", "<html><body><p>Nothing to see.</p><a href='/about/'>About</a></body></html>")
        code, out, err = run_cli(capsys, "--config", str(config), "discover", srv.url("/"))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "no feed, sitemap or article links" in err


@pytest.mark.parametrize(("args", "words"), [
    (["--add", "other"], ["[sources.other]", "already exists"]),
    (["--add", "two words"], ["bad source name"]),
    (["--add", "new", "--config", "{missing}"], ["missing.toml", "not found"]),
])
def test_add_refusals_are_exit_2_and_change_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], write_config: Callable[..., Path],
        args: list[str], words: list[str]) -> None:
    config = write_config({"other": {"feed": ["http://127.0.0.1:9/f.xml"]}})
    before = config.read_text()
    missing = tmp_path / "missing.toml"
    argv = [a.format(missing=missing) for a in args]
    code, out, err = run_cli(capsys, "--config", str(config), "discover",
                             "http://127.0.0.1:9/", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and all(w in err for w in words), err
    assert config.read_text() == before and not (tmp_path / "newswatch.toml.bak").exists()


@pytest.mark.parametrize(("path", "pattern"), [
    ("/2024/10/north-korea-sends-troops/", YEAR_MONTH_SLUG),
    ("/world/2024/10/north-korea-sends-troops/", YEAR_MONTH_SLUG),
    ("/2024/10/05/north-korea-sends-troops", r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$"),
    ("/news/north-korea-sends-troops/", r"/news/[a-z0-9-]+/?$"),
    ("/analysis/why-central-banks-cut.html", r"/analysis/[a-z0-9-]+\.html$"),
    ("/article/1234567/", r"/article/\d+/?$"),
    ("/category/world/", None),
    ("/tag/north-korea/", None),
    ("/page/2/", None),
    ("/", None),
])
def test_path_patterns(path: str, pattern: str | None) -> None:
    assert path_pattern(path) == pattern
    if pattern:
        assert re.search(pattern, f"https://example.org{path}")


def test_guess_follow_picks_the_commonest_article_shape() -> None:
    html = ("<html><body>" + "".join(f'<a href="/news/{s}/">{s}</a>' for s in SLUGS)
            + '<a href="/2024/10/one-dated-story-here/">x</a><a href="/about/">About</a>'
            '<a href="https://elsewhere.example/news/a-b-c-d/">off-site</a></body></html>')
    guess = guess_follow(html, "https://example.org/")
    assert guess is not None and guess.pattern == r"/news/[a-z0-9-]+/?$"
    assert sorted(guess.matches) == sorted(f"https://example.org/news/{s}/" for s in SLUGS)
    assert guess_follow("<html><body><a href='/about/'>About</a></body></html>",
                        "https://example.org/") is None


def test_block_helpers() -> None:
    assert default_name("https://www.westernjournal.com/feed/") == "westernjournal"
    assert default_name("http://127.0.0.1:8000/") == "site"
    assert toml_string(r"/\d{4}/") == r"'/\d{4}/'"
    assert tomllib.loads(f"x = {toml_string(chr(39) + 'a')}")["x"] == "'a"
