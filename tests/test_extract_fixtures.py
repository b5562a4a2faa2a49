"""Acceptance on the fixture sites: every article page, in every state it is served, gives its
expected paragraphs, title, author, dates and topics and none of its boilerplate lines; every
listing, tag, search, feed and sitemap page is rejected.

Pages are rendered in-process (`FixtureSites.render`), no server. Articles are extracted the
way the pipeline does it: with the boilerplate learned from the other pages of the same site
(`learn_boilerplate`), and the structural cleaning alone is checked too.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from extract import extract_page, learn_boilerplate
from extract.record import Article
from extract.repeated import paragraph_key
from extract.topics import TopicMatcher
from newswatch.fixtures import FIXTURES_DIR, Expectation, FixtureSites, load_expectations

SITES = FixtureSites()
BASES = {name: f"http://127.0.0.1:{18000 + i}" for i, name in enumerate(SITES.names)}
EXPECTATIONS = load_expectations()
TOPICS = json.loads((FIXTURES_DIR / "timeline.json").read_text("utf-8"))["topics"]


def extract(site: str, path: str, state: int,
            boilerplate: frozenset[str] | None = None) -> tuple[Article | None, str | None]:
    page = SITES.render(site, path, state, BASES)
    assert page.status == 200, (site, path, state)
    result = extract_page(page.body, BASES[site] + path, page.headers.get("Content-Type"),
                          boilerplate=boilerplate)
    return result.article, result.reason


@cache
def site_boilerplate(site: str, state: int) -> frozenset[str]:
    """What the pipeline learns from the site's article pages in this state."""
    texts = []
    for view in SITES.views(site, state):
        article, _ = extract(site, view.path, state)
        if article is not None:
            texts.append(article.text)
    return learn_boilerplate(texts)


def test_there_is_something_to_check() -> None:
    assert len(EXPECTATIONS) >= 10 and SITES.state_count >= 2
    assert sum(len(e.states) for e in EXPECTATIONS) >= 50
    edited = [e for e in EXPECTATIONS if e.version > 1]
    assert edited
    for expectation in edited:  # the edit shows in the record's modified date
        article, _ = extract(expectation.site, expectation.path, expectation.states[0])
        assert article is not None and (article.modified or "")[:10] == expectation.modified


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=[e.file for e in EXPECTATIONS])
def test_article_record(expectation: Expectation) -> None:
    matcher = TopicMatcher(TOPICS)
    for state in expectation.states:
        article, reason = extract(expectation.site, expectation.path, state,
                                  site_boilerplate(expectation.site, state))
        where = f"{expectation.file} state {state}"
        assert article is not None, f"{where}: rejected: {reason}"
        missing = [p for p in expectation.paragraphs if p not in article.text]
        leaked = [b for b in expectation.boilerplate if b in article.text]
        assert not missing, f"{where}: missing {missing}"
        assert not leaked, f"{where}: leaked {leaked}"
        assert article.title == expectation.title, where
        assert article.author == expectation.author, where
        assert (article.published or "")[:10] == expectation.published, where
        if article.modified:  # only pages that state it (HTTP Last-Modified is not HTML)
            assert article.modified[:10] == expectation.modified, where
        assert matcher.match(article.title, article.text) == sorted(expectation.topics), where


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=[e.file for e in EXPECTATIONS])
def test_structural_cleaning_alone_leaks_only_site_wide_repeats(
        expectation: Expectation) -> None:
    """Without learned boilerplate, what leaks is only what repeats on >= 3 pages of the
    site (the repetition stage's job), never a seed-style leak."""
    for state in expectation.states:
        article, reason = extract(expectation.site, expectation.path, state)
        assert article is not None, reason
        learned = site_boilerplate(expectation.site, state)
        leaked_lines = [line for line in article.text.split("\n\n")
                        if any(b in line for b in expectation.boilerplate)]
        assert all(paragraph_key(line) in learned for line in leaked_lines), \
            f"{expectation.file} state {state}: {leaked_lines}"
        assert all(p in article.text for p in expectation.paragraphs)


@pytest.mark.parametrize("state", range(SITES.state_count))
def test_non_articles_are_rejected(state: int) -> None:
    pages = SITES.non_articles(state)
    assert pages
    accepted = []
    for site, path in pages:
        article, reason = extract(site, path, state)
        if article is not None or not reason:
            accepted.append((site, path))
    assert not accepted, f"state {state}: taken for articles: {accepted}"


@pytest.mark.parametrize("state", [0, SITES.state_count - 1])
def test_churning_chrome_never_changes_the_text(state: int) -> None:
    """Counters, related lists, ads and nonces differ on every fetch; the record must not."""
    for site, path in SITES.article_paths(state):
        for boilerplate in (None, site_boilerplate(site, state)):
            records = set()
            for variant in (None, 1, 2, 3):
                page = SITES.render(site, path, state, BASES, variant=variant)
                result = extract_page(page.body, BASES[site] + path,
                                      page.headers.get("Content-Type"), boilerplate=boilerplate)
                assert result.article is not None, (site, path, result.reason)
                records.add((result.article.text_hash, result.article.title,
                             result.article.published))
            assert len(records) == 1, (site, path, state)
