"""Datasette over a fixture-built store, in-process with its own client: every canned
query runs and returns the expected rows, search works, metadata covers the schema."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from test_store_timeline import BASES, TIMELINE, crawl

from extract.canonical import canonicalize_url
from newswatch.fixtures import FixtureSites
from store import Store
from store.datasette_app import database_name, make_datasette, metadata

TROOPS = BASES["m31"] + "/2024/10/north-korea-justifies-potential-troop-deployment-to-russia/"
TUMEN = BASES["m31"] + "/2025/06/russia-north-korea-road-bridge-tumen/"
TUMEN_COPY = BASES["westjournal"] + "/news/russia-north-korea-speed-up-tumen-river-road-bridge/"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ds") / "newswatch.db"
    store = Store.open(path, topics=TIMELINE["topics"])
    sites, variants = FixtureSites(), itertools.count(1)
    for state in range(5):  # through the syndicated copy
        crawl(store, sites, state, variants)
    run = store.start_run("m31")
    store.finish_run(run, {"fetched": 0, "errors": 3})  # m31 goes down
    store.close()
    return path


def get(ds: Datasette, path: str) -> Any:
    async def fetch() -> Any:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    return asyncio.run(fetch())


def rows(ds: Datasette, name: str, query: str, params: str = "") -> list[dict[str, Any]]:
    data = get(ds, f"/{name}/{query}.json?_shape=array{params}")
    assert isinstance(data, list)
    return data


def test_latest_events(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    got = rows(ds, name, "latest_events")
    assert [(r["kind"], r["url"]) for r in got][:3] == [
        ("source_failed", None), ("duplicate", TUMEN_COPY), ("updated", canonicalize_url(TROOPS))]
    assert len(got) == sum(len(s["events"]) for s in TIMELINE["states"][:5]) + 1
    assert got[2]["summary"].startswith("v2: +1 -0")


def test_on_topic_articles_with_their_copies(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    got = {r["url"]: r for r in rows(ds, name, "on_topic_articles")}
    expected_new = {canonicalize_url(BASES[e["site"]] + e["path"])
                    for s in TIMELINE["states"] for e in s["events"] if e["kind"] == "new"}
    assert set(got) == expected_new
    assert (got[TUMEN]["copies"], got[TUMEN]["copy_urls"]) == (1, TUMEN_COPY)
    assert got[TROOPS]["copies"] == 0 and got[TROOPS]["version"] == 2


def test_article_history_with_diffs(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    article_id = sqlite3.connect(db_path).execute(
        "SELECT id FROM articles WHERE url = ?", (TROOPS,)).fetchone()[0]
    got = rows(ds, name, "article_history", f"&id={article_id}")
    assert [r["version"] for r in got] == [1, 2]
    assert got[0]["diff"] is None
    assert any(line.startswith("+Update:") for line in got[1]["diff"].splitlines())
    assert got[1]["change"] == "v2: +1 -0 paragraphs, title changed"


def test_source_health(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    got = {r["name"]: r for r in rows(ds, name, "source_health")}
    assert set(got) == {"m31", "westjournal", "analysis", "koreanews", "rusnews"}
    assert (got["m31"]["health"], got["m31"]["failures"], got["m31"]["last_status"]) == (
        "failing", 1, "failed")
    assert got["analysis"]["health"] == "ok" and got["analysis"]["articles"] == 5


def test_duplicate_clusters(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    (cluster,) = rows(ds, name, "duplicate_clusters")
    assert (cluster["original"], cluster["copies"]) == (TUMEN, 1)
    assert cluster["copy_list"].startswith(TUMEN_COPY + " (westjournal, ")


def test_every_canned_query_runs(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    queries = metadata(name)["databases"][name]["queries"]
    assert set(queries) >= {"latest_events", "on_topic_articles", "article_history",
                            "source_health", "duplicate_clusters"}
    for query, spec in queries.items():
        assert not spec.get("write"), query
        rows(ds, name, query, "&id=1" if ":id" in spec["sql"] else "")


def test_search_on_articles_takes_fts5_queries(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    query = "pyongyang AND (moscow OR kremlin)"
    got = rows(ds, name, "articles", f"&_search={query}&_col=id")
    expected = sqlite3.connect(db_path).execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (query,)).fetchall()
    assert {r["id"] for r in got} == {e[0] for e in expected}
    assert len(got) >= 2


def test_the_store_cannot_be_written_through_datasette(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)

    async def attempt() -> int:
        response = await ds.client.get(f"/{name}.json?sql=delete+from+events")
        return response.status_code

    assert asyncio.run(attempt()) == 400
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM events").fetchone()[0] > 0


def test_metadata_describes_every_table_and_column(db_path: Path) -> None:
    name = database_name(db_path)
    tables = metadata(name)["databases"][name]["tables"]
    conn = sqlite3.connect(db_path)
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'articles_fts%'"
        " AND name NOT LIKE 'sqlite_%'")]
    for table in names:
        assert tables[table]["title"] and tables[table]["description"], table
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        assert set(tables[table]["columns"]) == set(columns), table
        assert all(tables[table]["columns"].values()), table


def test_metadata_is_served(db_path: Path) -> None:
    ds, name = make_datasette(db_path), database_name(db_path)
    served = get(ds, "/-/metadata.json")
    assert served["databases"][name]["tables"]["articles"]["searchmode"] == "raw"
    table = get(ds, f"/{name}/events.json?_shape=objects&_size=1")
    assert json.loads(table["rows"][0]["topics"]) in ([], ["nk-russia"])


def test_serve_command_serves_the_store_on_localhost(
        db_path: Path, write_config: Callable[..., Path]) -> None:
    config = write_config({"m31": {"urls": ["http://127.0.0.1:1/"]}}, db=str(db_path))
    with socket.socket() as probe:  # a free port (the command takes a fixed --port)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                             "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/{database_name(db_path)}/source_health.json?_shape=array"
    got = None
    deadline = time.monotonic() + 30
    try:
        while got is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    got = json.loads(response.read())
            except OSError:
                time.sleep(0.2)
        if got is not None:  # the plugin is registered by the command: story view, Atom
            base = f"http://127.0.0.1:{port}/newswatch"
            with urllib.request.urlopen(f"{base}/articles/1", timeout=5) as response:
                story = response.read().decode()
            with urllib.request.urlopen(f"{base}/topic_feed.atom?topic=nk-russia",
                                        timeout=5) as response:
                atom = (response.headers["content-type"], response.read())
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert got is not None, err
    assert {row["name"] for row in got} == {"m31", "westjournal", "analysis", "koreanews",
                                            "rusnews"}
    assert f"read-only at http://127.0.0.1:{port}/" in err
    assert 'class="nw-story"' in story and 'href="/newswatch/versions/1,1"' in story
    assert atom[0].startswith("application/atom+xml") and b"<entry>" in atom[1]
