"""The fixture sites' content, expectation files and timeline agree with what is served."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fixturesite import expectgen
from newswatch.fixtures import FixtureSites, load_encoding_pages, load_expectations

BASES = {"m31": "http://127.0.0.1:8101", "westjournal": "http://127.0.0.1:8102",
         "analysis": "http://127.0.0.1:8103",
         "koreanews": "http://127.0.0.1:8104", "rusnews": "http://127.0.0.1:8105"}
SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
# A distinctive sentence of each seed page, as it must appear in its fixture article.
SEED_SENTENCES = {
    "000_86f92875bb04c0bb": "For the first time, North Korea’s Vice Foreign Minister Kim Jong Gyu "
                            "spoke on the issue on Friday",
    "001_27bec02e56836ce3": "Of particular concern is the possibility of nuclear knowledge "
                            "exchange.",
    "002_534124690d99208a": "Let's take a closer look at the intricate relationship between North "
                            "Korea and Russia",
    "003_6394c659ce840a8a": "In return, the Times wrote, Russia shared missile technology with "
                            "North Korea.",
    "004_44040a106d95ca60": "The Pentagon reported last week that nearly 10,000 North Korean "
                            "soldiers have been deployed in Kursk Oblast.",
}
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "atom": "http://www.w3.org/2005/Atom", "rss1": "http://purl.org/rss/1.0/",
      "news": "http://www.google.com/schemas/sitemap-news/0.9"}
FEEDS = {"m31": ["/feed/", "/feed/atom/"],
         "westjournal": ["/feed/", "/feed/atom.xml", "/feed.rdf"],
         "analysis": ["/rss.xml", "/atom.xml", "/index.rdf"],
         "koreanews": ["/rss.xml"], "rusnews": ["/rss.xml"]}
SITEMAPS = {"m31": "/sitemap_index.xml", "westjournal": "/sitemap.xml",
            "analysis": "/sitemap-index.xml", "koreanews": "/sitemap-index.xml",
            "rusnews": "/sitemap-index.xml"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(html: bytes | str) -> str:
    parser = _Text()
    parser.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    return " ".join("".join(parser.parts).split())


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sites() -> FixtureSites:
    return FixtureSites()


@pytest.fixture(scope="module")
def expectations() -> list:
    return load_expectations()


def test_every_seed_is_an_article_page_with_expectations(sites, expectations) -> None:
    if SEEDS_DIR.is_dir():  # the shared seeds live next to the repo in CI and dev checkouts
        assert {p.stem for p in SEEDS_DIR.glob("*.txt")} == set(SEED_SENTENCES)
    for seed, sentence in SEED_SENTENCES.items():
        if SEEDS_DIR.is_dir():
            assert sentence in (SEEDS_DIR / f"{seed}.txt").read_text(encoding="utf-8")
        (data,) = [a for a in sites.articles if a.extra.get("seed") == seed]
        exps = [e for e in expectations if (e.site, e.path) == (data.site, data.path)]
        assert exps and all(any(sentence in p for p in e.paragraphs) for e in exps)
        body = sites.render(data.site, data.path, 0, BASES).body
        assert sentence in page_text(body)


def test_expectation_files_are_current(sites) -> None:
    on_disk = {p.name: p.read_text(encoding="utf-8")
               for p in (sites.root / "expect").glob("*.json")}
    assert on_disk == expectgen.generate(sites), "run python -m fixturesite.expectgen"


def test_expectations_are_true_of_rendered_pages(sites, expectations) -> None:
    for exp in expectations:
        assert exp.paragraphs and exp.boilerplate, exp.file
        for state in exp.states:
            for variant in (None, 7):
                resp = sites.render(exp.site, exp.path, state, BASES, variant)
                assert resp.status == 200, (exp.file, state)
                text = page_text(resp.body)
                assert norm(exp.title) in text
                for line in exp.paragraphs + exp.boilerplate:
                    assert norm(line) in text, (exp.file, state, line[:60])
                assert exp.published in resp.body.decode()


def test_each_page_has_one_expectation_per_state(sites, expectations) -> None:
    for state in range(sites.state_count):
        served = set(sites.article_paths(state))
        covered = [(e.site, e.path) for e in expectations if state in e.states]
        assert sorted(covered) == sorted(served)


def test_topics_match_the_spec_topic_query(sites, expectations) -> None:
    query = json.loads((sites.root / "timeline.json").read_text())["topics"]["nk-russia"]
    db = sqlite3.connect(":memory:")
    db.execute("create virtual table t using fts5(file, title, body)")
    db.executemany("insert into t values (?, ?, ?)",
                   [(e.file, e.title, "\n\n".join(e.paragraphs)) for e in expectations])
    matching = {row[0] for row in db.execute("select file from t where t match ?", (query,))}
    assert matching == {e.file for e in expectations if e.topics == ["nk-russia"]}
    assert {e.file for e in expectations if e.topics} - matching == set()


def test_enough_off_topic_articles_with_real_text(sites) -> None:
    off = [a for a in sites.articles if not a.topics]
    assert len(off) >= 6
    for article in off:
        assert len([b for b in article.body if isinstance(b, str)]) >= 5, article.id
    assert {a.site for a in off} == set(sites.names)


def _xml(sites: FixtureSites, site: str, path: str, state: int) -> ET.Element:
    resp = sites.render(site, path, state, BASES)
    assert resp.status == 200, (site, path)
    assert "xml" in resp.headers["Content-Type"]
    return ET.fromstring(resp.body)


def _clean(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def feed_links(root: ET.Element) -> list[str]:
    links = [e.text or "" for e in root.iter("link") if e.text and "/" in e.text]
    links += [e.get("href", "") for e in root.iter(f"{{{NS['atom']}}}link")
              if e.get("rel") == "alternate"]
    links += [e.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", "")
              for e in root.iter(f"{{{NS['rss1']}}}item")]
    return links


def test_feeds_and_sitemaps_list_the_states_articles(sites) -> None:
    for state in range(sites.state_count):
        for site in sites.names:
            listed = {BASES[site] + v.path for v in sites.views(site, state)
                      if not v.data.disallowed}
            home = BASES[site] + "/"
            for path in FEEDS[site]:
                links = {_clean(u) for u in feed_links(_xml(sites, site, path, state))}
                assert links - {home} == listed, (site, path, state)
            index = _xml(sites, site, SITEMAPS[site], state)
            maps = [e.text or "" for e in index.iterfind("sm:sitemap/sm:loc", NS)]
            assert len(maps) == 2
            for url in maps:
                urlset = _xml(sites, site, urlsplit(url).path, state)
                locs = {e.text for e in urlset.iterfind("sm:url/sm:loc", NS)}
                assert locs == listed
                assert all(u.find("sm:lastmod", NS) is not None for u in urlset)
            news = _xml(sites, site, urlsplit(maps[1]).path, state)
            assert len(news.findall(".//news:publication_date", NS)) == len(listed)


def test_timeline_events_follow_the_article_data(sites) -> None:
    timeline = json.loads((sites.root / "timeline.json").read_text())["states"]
    assert [s["state"] for s in timeline] == list(range(sites.state_count))
    for state, entry in enumerate(timeline):
        expected = set()
        for a in sites.articles:
            if not a.topics or a.disallowed:
                continue
            if a.from_state == state:
                expected.add(("duplicate" if a.copy_of else "new", a.site, a.path))
            if any(e.state == state for e in a.edits):
                expected.add(("updated", a.site, a.path))
        assert {(e["kind"], e["site"], e["path"]) for e in entry["events"]} == expected, state
    assert [len(s["events"]) for s in timeline] == [5, 0, 5, 1, 1, 0]


def test_edit_appears_from_state_3_on(sites) -> None:
    (data,) = [a for a in sites.articles if a.edits]
    added = data.edits[0].text
    assert added
    for state in range(sites.state_count):
        text = page_text(sites.render(data.site, data.path, state, BASES).body)
        assert (norm(added) in text) == (state >= 3)
        assert (data.edits[0].title in text) == (state >= 3)


def test_tracking_link_and_removal(sites) -> None:
    tracked = [a for a in sites.articles if "tracking_from_state" in a.extra]
    assert tracked
    for state in range(sites.state_count):
        rss = sites.render("m31", "/feed/", state, BASES).body.decode()
        listings = "".join(sites.render(site, path, state, BASES).body.decode()
                           for site, path in sites.non_articles(state)
                           if site == "m31" and "/category/" in path)
        has_utm = "utm_source=newsletter" in rss and "#comments" in listings
        assert has_utm == (state >= 4)
    removed = [a for a in sites.articles if a.until_state is not None]
    assert removed
    for a in removed:
        for state in range(sites.state_count):
            status = sites.render(a.site, a.path, state, BASES).status
            assert status == (200 if state <= a.until_state else 404)


def test_syndicated_copy_points_at_itself_and_credits_the_original(sites) -> None:
    (copy,) = [a for a in sites.articles if a.copy_of]
    html = sites.render(copy.site, copy.path, copy.from_state, BASES).body.decode()
    assert f'<link rel="canonical" href="{BASES[copy.site]}{copy.path}">' in html
    original = next(a for a in sites.articles if a.id == copy.copy_of)
    assert f'{BASES[original.site]}{original.path}' in html
    assert "originally appeared on" in page_text(html)


def test_robots_disallows_a_linked_article(sites) -> None:
    hidden = [a for a in sites.articles if a.disallowed]
    assert hidden
    for a in hidden:
        robots = sites.render(a.site, "/robots.txt", 0, BASES).body.decode()
        rules = re.findall(r"^Disallow: (\S+)", robots, re.M)
        assert any(a.path.startswith(rule) for rule in rules)
        listing = sites.render(a.site, "/category/geopolitics/", 0, BASES).body.decode()
        assert BASES[a.site] + a.path in listing
        assert re.search(r"/\d{4}/\d{2}/[a-z0-9-]+/?$", a.path)


def test_non_articles_are_served_and_are_not_article_paths(sites) -> None:
    for state in range(sites.state_count):
        articles = set(sites.article_paths(state))
        pages = sites.non_articles(state)
        assert len(pages) > 30
        for site, path in pages:
            assert (site, path) not in articles
            assert sites.render(site, path, state, BASES).status == 200, (site, path)


def test_unknown_paths_are_404(sites) -> None:
    for site in sites.names:
        assert sites.render(site, "/no/such/page/", 0, BASES).status == 404
    assert sites.render("m31", "/category/geopolitics/page/9/", 0, BASES).status == 404


def test_encoding_pages(sites) -> None:
    pages = load_encoding_pages()
    assert {p.encoding for p in pages} == {"cp1251", "euc_kr", "shift_jis"}
    for spec in pages:
        resp = sites.render("analysis", spec.path, 0, BASES)
        assert resp.status == 200
        with pytest.raises(UnicodeDecodeError):
            resp.body.decode("utf-8")
        text = resp.body.decode(spec.encoding)
        assert all(p in text for p in spec.paragraphs)
        declared = "charset=" in resp.headers["Content-Type"]
        assert declared == (spec.charset is not None)
        assert (f'<meta charset="{spec.charset}">' in text) == declared


def test_timeline_topic_is_the_demo_query_as_run() -> None:
    from extract.stems import rewrite
    from newswatch.demo import TOPIC

    timeline = json.loads((FixtureSites().root / "timeline.json").read_text("utf-8"))
    assert timeline["topics_as_written"] == {"nk-russia": TOPIC}
    assert timeline["topics"] == {name: rewrite(query, timeline["stems"][name])
                                  for name, query in timeline["topics_as_written"].items()}
    # with the default stems, the English terms are run as written
    run = timeline["topics"]["nk-russia"]
    assert run.startswith('("north korea" OR pyongyang OR dprk OR "kim jong un" OR 북한* OR')
    assert ") AND (russia OR moscow OR putin OR kremlin OR 러시아* OR" in run
