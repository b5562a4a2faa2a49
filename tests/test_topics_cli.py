"""`newswatch topics` over a real store crawled from the fixture sites, and the store
re-matching its articles silently when a topic's `stems` changes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import config_text, run_cli, run_newswatch

from newswatch.demo import TOPIC
from newswatch.fixture_server import FixtureServer
from store.datasette_app import database_name, make_datasette

KO_RU_ON_TOPIC = 4  # two Korean and two Russian on-topic articles from state 2


@dataclass
class Crawled:
    config: Path
    db: Path
    before: dict[str, list[str]]  # url -> topics after the crawl with stems = "off"
    events_before: list[tuple[str, str]]  # (kind, url)
    off_output: str  # `newswatch topics` output with stems = "off"


def write(path: Path, srv: FixtureServer, stems: str) -> None:
    sources = {"koreanews": {"feed": [srv.url("koreanews", "/rss.xml")]},
               "rusnews": {"feed": [srv.url("rusnews", "/rss.xml")]},
               "analysis": {"sitemap": [srv.url("analysis", "/sitemap-index.xml")]}}
    text = config_text(sources, topics={"nk-russia": TOPIC}, db="nw.db", events_log="ev.jsonl")
    path.write_text(text.replace("\n\n[sources.", f'\nstems = "{stems}"\n\n[sources.', 1),
                    encoding="utf-8")


def topics_by_url(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        return {url: json.loads(t) for url, t in conn.execute("SELECT url, topics FROM articles")}


def events(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return [tuple(row) for row in conn.execute("SELECT kind, url FROM events ORDER BY id")]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """State 2 crawled with stems = "off", then the config switched to "auto" and the
    same state crawled again (every page unchanged)."""
    root = tmp_path_factory.mktemp("topics")
    config, db = root / "newswatch.toml", root / "nw.db"
    with FixtureServer(state=2) as srv:
        write(config, srv, "off")
        done = run_newswatch(config, "crawl")
        assert done.returncode == 0, done.stderr
        before, events_before = topics_by_url(db), events(db)
        off_output = run_newswatch(config, "topics").stdout
        write(config, srv, "auto")
        done = run_newswatch(config, "crawl")
        assert done.returncode == 0, done.stderr
    return Crawled(config, db, before, events_before, off_output)


def on_topic(topics: dict[str, list[str]], host_part: str = "") -> int:
    return sum(1 for url, names in topics.items() if names and host_part in url)


def test_exact_terms_miss_most_korean_and_russian_articles(crawled: Crawled) -> None:
    # analysis's three; of the Korean and Russian four, only the two that happen to have an
    # uninflected 북한 and 러시아, КНДР and Москва: the bridge stories have inflected forms only
    assert on_topic(crawled.before) == 3 + 2
    assert on_topic(crawled.before, "pyongyang-moscow-rail-bridge") == 0
    assert on_topic(crawled.before, "v-pkhenyane-obsudili-most") == 0
    assert "  matches 5 stored articles" in crawled.off_output.splitlines()


def test_changed_stems_rematch_stored_articles_without_events(crawled: Crawled) -> None:
    after = topics_by_url(crawled.db)
    assert on_topic(after) == 3 + KO_RU_ON_TOPIC
    assert set(after) == set(crawled.before)  # the same stories, nothing new stored
    # no `new` (or any) event for an old story whose topics changed
    assert events(crawled.db) == crawled.events_before


def test_topics_prints_the_query_as_written_and_as_run(
        crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--config", str(crawled.config), "topics")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "[topics.nk-russia]  stems = auto"
    assert lines[1] == f"  as written: {TOPIC}"
    assert lines[2].startswith('  as run:     ("north korea" OR pyongyang OR dprk OR "kim jong '
                               'un" OR 북한* OR 평양* OR кндр* OR пхенья*) AND (')
    assert "  matches 7 stored articles" in lines
    assert "  by source:   analysis 3, koreanews 2, rusnews 2" in lines
    assert "  by language: en 3, ko 2, ru 2" in lines
    assert "answers other queries" not in out
    newest = lines[lines.index("  newest:") + 1:]
    assert len(newest) == 5 and all(line.startswith("    20") for line in newest)


def test_the_query_as_run_is_a_datasette_raw_search_for_the_same_articles(
        crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "--config", str(crawled.config), "topics", "nk-russia")
    query = next(line for line in out.splitlines() if line.startswith("  as run:"))
    query = query.split(":", 1)[1].strip()
    ds, name = make_datasette(crawled.db), database_name(crawled.db)

    async def search() -> set[str]:
        response = await ds.client.get(f"/{name}/articles.json", params={
            "_search": query, "_searchmode": "raw", "_shape": "array", "_col": "url",
            "_size": "max"})
        assert response.status_code == 200, response.text[:300]
        return {row["url"] for row in response.json()}

    tagged = {url for url, names in topics_by_url(crawled.db).items() if "nk-russia" in names}
    assert asyncio.run(search()) == tagged
    assert len(tagged) == 7


def test_test_query_lists_what_it_would_add_and_drop(
        crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--config", str(crawled.config), "topics", "nk-russia",
                             "--test", "(북한 OR КНДР) AND (러시아 OR Россия)", "--since", "7d")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == ["--test  stems = auto  (against [topics.nk-russia])",
                         "  as written: (북한 OR КНДР) AND (러시아 OR Россия)",
                         "  as run:     (북한* OR кндр*) AND (러시아* OR росс*)"]
    assert "  matches 4 stored articles first seen in the last 7d" in lines
    assert "  by language: ko 2, ru 2" in lines
    assert "  newly matching (not on nk-russia now): 0" in lines
    assert "  no longer matching: 3" in lines  # analysis's three: English
    code, out, _ = run_cli(capsys, "--config", str(crawled.config), "topics", "--test",
                           "북한 AND 러시아", "--stems", "off")
    assert code == 0 and "  as run:     북한 AND 러시아" in out.splitlines()


@pytest.mark.parametrize(("args", "words"), [
    (["nope"], ["no topic named 'nope'", "nk-russia"]),
    (["--test", "북한 AND ("], ["--test", "bad FTS5 query"]),
    (["--stems", "all"], ["--stems", "--test"]),
    (["--since", "soon"], ["--since", "bad duration"]),
    (["--test", "x", "--stems", "some"], ["'some' is not one of"]),
])
def test_errors_are_one_line_and_exit_2(crawled: Crawled, capsys: pytest.CaptureFixture[str],
                                        args: list[str], words: list[str]) -> None:
    code, out, err = run_cli(capsys, "--config", str(crawled.config), "topics", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert all(word in err for word in words), err


def test_no_store_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text(config_text({"a": {"urls": ["http://a.test/"]}},
                                  topics={"nk-russia": TOPIC}), encoding="utf-8")
    code, _, err = run_cli(capsys, "--config", str(config), "topics")
    assert code != 0 and "no store" in err and err.count("\n") == 1


def test_test_query_lists_what_a_change_would_newly_match(
        crawled: Crawled, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before switching a topic to stems = "auto": what it would add (the store itself
    already follows the "auto" config here, so `topics` also says it is ahead)."""
    config = tmp_path / "off.toml"
    config.write_text(config_text({"a": {"urls": ["http://a.test/"]}},
                                  topics={"nk-russia": TOPIC}, db=str(crawled.db))
                      .replace("\n\n[sources.", '\nstems = "off"\n\n[sources.', 1), "utf-8")
    code, out, err = run_cli(capsys, "--config", str(config), "topics", "nk-russia",
                             "--test", TOPIC, "--stems", "auto")
    assert code == 0, err
    lines = out.splitlines()
    assert "  newly matching (not on nk-russia now): 2" in lines
    gained = lines[lines.index("  newly matching (not on nk-russia now): 2") + 1:][:2]
    assert sorted(line.split("  ")[4] for line in gained) == [
        "В Пхеньяне обсудили открытие автомобильного моста через Туманную",
        "평양에서 북·러 교통 협의…두만강 자동차 다리 연내 개통 목표"]
    assert "  no longer matching: 0" in lines
    _, out, _ = run_cli(capsys, "--config", str(config), "topics")
    assert "answers other queries" in out
