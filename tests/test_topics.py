"""Topic matching agrees with an FTS5 search of the stored article, so a query tried in
Datasette behaves the same as in newswatch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.stems import rewrite
from extract.topics import TopicMatcher
from newswatch.exceptions import ConfigError

NK_RUSSIA = ('("north korea" OR pyongyang OR dprk OR "kim jong un") AND '
             "(russia OR moscow OR putin OR kremlin)")
QUERIES = {
    "nk-russia": NK_RUSSIA,
    "phrase": '"troop deployment"',
    "prefix": "deploy*",
    "not": "korea NOT russia",
    "near": "NEAR(kim moscow, 5)",
    "title-only": "title:russia",
    "diacritics": "cafe",
    "or": "kremlin OR seoul",
}
DOCS = [
    ("North Korea Justifies Troop Deployment to Russia",
     "Pyongyang says a troop deployment would be legal. Kim Jong-un met Putin in Moscow."),
    ("South Korea says balloons crossed again", "Seoul said North Korea floated balloons."),
    ("Café owners protest", "The café district in Seoul is closing early, owners said."),
    ("Russia denies call", "The Kremlin denied that a call took place, Moscow said."),
    ("Kim visits factory", "Kim inspected a plant far from Moscow and then flew back home."),
    ("", "Deployed units of the DPRK army were seen near Kursk, with Russia's consent."),
]


def store_search(where: Path | None, title: str, text: str,
                 queries: dict[str, str]) -> list[str]:
    """What a search of the stored article returns: a sqlite-utils table with FTS5 on
    title and text (the default unicode61 tokenizer), queried as Datasette does."""
    db = sqlite_utils.Database(where / "store.db") if where else sqlite_utils.Database(
        memory=True)
    db["articles"].insert({"id": 1, "title": title, "text": text}, pk="id", replace=True)
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(["title", "text"], fts_version="FTS5")
    else:
        db["articles"].rebuild_fts()
    hits = [name for name, query in sorted(queries.items())
            if db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?",
                          [query]).fetchall()]
    db.close()
    return hits


@pytest.mark.parametrize(("title", "text"), DOCS)
def test_matcher_agrees_with_a_store_search(tmp_path: Path, title: str, text: str) -> None:
    assert TopicMatcher(QUERIES).match(title, text) == store_search(tmp_path, title, text,
                                                                     QUERIES)


def test_examples() -> None:
    matcher = TopicMatcher(QUERIES)
    assert matcher.match(*DOCS[0]) == ["near", "nk-russia", "phrase", "prefix", "title-only"]
    assert matcher.match(*DOCS[1]) == ["not", "or"]
    assert matcher.match(*DOCS[2]) == ["diacritics", "or"]


def test_no_topics_configured_matches_nothing() -> None:
    assert TopicMatcher({}).match("North Korea and Russia", "Pyongyang and Moscow") == []


def test_matches_takes_an_article() -> None:
    class Doc:
        title = "Kremlin talks"
        text = "Pyongyang sent envoys."
    assert TopicMatcher({"nk-russia": NK_RUSSIA}).matches(Doc()) == ["nk-russia"]


@pytest.mark.parametrize("query", ['"unclosed phrase', "AND russia", "NEAR(", "title:"])
def test_bad_query_is_a_config_error(query: str) -> None:
    with pytest.raises(ConfigError, match="query"):
        TopicMatcher({"broken": query})


WORDS = ["korea", "russia", "moscow", "pyongyang", "kim", "jong", "un", "putin", "seoul",
         "troops", "deployment", "café", "cafe", "talks", "dprk", "kremlin"]
words = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
term = st.sampled_from(WORDS[:-4]) | st.sampled_from(WORDS[:8]).map(lambda w: w[:3] + "*")
query = st.recursive(term, lambda q: st.tuples(q, st.sampled_from([" AND ", " OR ", " NOT "]), q)
                     .map(lambda t: f"({t[0]}{t[1]}{t[2]})"), max_leaves=4)


@settings(max_examples=80, deadline=None)
@given(title=words, text=words, queries=st.lists(query, min_size=1, max_size=4))
def test_random_queries_agree_with_fts5(title: str, text: str, queries: list[str]) -> None:
    named = {f"q{i}": q for i, q in enumerate(queries)}
    assert TopicMatcher(named).match(title, text) == store_search(None, title, text, named)


# Korean and Russian: the query as run (after `stems`) matches the inflected forms, and a
# Datasette raw-mode search for that same query returns the same articles.
KO_RU_QUERIES = {
    "nk-russia": rewrite('("north korea" OR pyongyang OR 북한 OR 평양 OR КНДР OR Пхеньян) AND '
                         "(russia OR moscow OR 러시아 OR 모스크바 OR Россия OR Москва)"),
    "title-ko": rewrite("title:북한은"),
    "near-ru": rewrite("NEAR(Пхеньян Москва, 8)"),
    "kept-phrase": rewrite('"в Россию"'),
}
KO_RU_DOCS = [
    ("북한은 러시아에 군대를 파견했다", "평양에서 열린 회담 뒤 북한의 병력이 러시아로 향했다."),
    ("Делегация КНДР в Москве",
     "Переговоры в Пхеньяне и в Москве: КНДР направила войска в Россию."),
    ("한국은행 기준금리 동결", "서울에서 열린 회의에서 금리는 그대로 유지됐다."),
    ("Цены на зерно", "Урожай в России оказался выше прогноза, сообщили в Москве."),
    ("North Korea and Russia", "Pyongyang and Moscow signed a treaty."),
]


def test_korean_and_russian_queries_as_run() -> None:
    assert KO_RU_QUERIES["nk-russia"] == (
        '("north korea" OR pyongyang OR 북한* OR 평양* OR кндр* OR пхенья*) AND '
        "(russia OR moscow OR 러시아* OR 모스크바* OR росс* OR москв*)")
    matcher = TopicMatcher(KO_RU_QUERIES)
    assert [matcher.match(*doc) for doc in KO_RU_DOCS] == [
        ["nk-russia", "title-ko"], ["kept-phrase", "near-ru", "nk-russia"], [], [],
        ["nk-russia"]]


def test_topic_match_equals_a_datasette_raw_search(tmp_path: Path) -> None:
    path = tmp_path / "ds.db"
    db = sqlite_utils.Database(path)
    db["articles"].insert_all(({"id": i, "title": t, "text": x}
                               for i, (t, x) in enumerate(KO_RU_DOCS + DOCS)), pk="id")
    db["articles"].enable_fts(["title", "text"], fts_version="FTS5")
    db.close()
    matcher = TopicMatcher({**KO_RU_QUERIES, **QUERIES})
    ds = Datasette([str(path)])

    async def search(query: str) -> set[int]:
        response = await ds.client.get("/ds/articles.json", params={
            "_search": query, "_searchmode": "raw", "_shape": "array", "_col": "id"})
        assert response.status_code == 200, response.text[:300]
        return {row["id"] for row in response.json()}

    for name, query in {**KO_RU_QUERIES, **QUERIES}.items():
        expected = {i for i, doc in enumerate(KO_RU_DOCS + DOCS) if name in matcher.match(*doc)}
        assert asyncio.run(search(query)) == expected, name
