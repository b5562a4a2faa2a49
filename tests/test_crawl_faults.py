"""Errors never crash a run and never lose what was already fetched.

The fixture server's fault modes (500, dropped connection, redirect loop, slow page,
404, a whole site down) hit some pages of a source; the rest of it is still ingested,
every failure is counted by kind, and each run is recorded with its status.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from conftest import run_newswatch

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import load_expectations


def analysis_urls(srv: FixtureServer) -> list[str]:
    return sorted(srv.url("analysis", e.path) for e in load_expectations()
                  if e.site == "analysis" and 0 in e.states)


def test_faults_are_counted_and_the_rest_of_each_source_is_ingested(
        fixture_server: FixtureServer, write_config: Callable[..., Path]) -> None:
    srv = fixture_server
    urls = analysis_urls(srv)
    paths = [u.removeprefix(srv.base_url("analysis")) for u in urls]
    srv.fault("analysis", paths[0], "500")
    srv.fault("analysis", paths[1], "drop")
    srv.fault("analysis", paths[2], "redirect_loop")
    srv.fault("analysis", paths[3], "slow", delay=4)
    m31_article = "/2024/11/russia-denies-trump-putin-call/"
    srv.fault("m31", m31_article, "404")
    srv.fault("westjournal", "", "down")
    config = write_config({
        "pinned": {"urls": urls, "retries": 1, "download_timeout": 1.5},
        "m31feed": {"feed": [srv.url("m31", "/feed/")]},
        "wjdead": {"feed": [srv.url("westjournal", "/feed/")]},
    })

    proc = run_newswatch(config, "crawl", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]  # not every source failed
    summary = json.loads(proc.stdout)

    pinned = summary["pinned"]
    assert pinned["new"] == 1  # the one healthy page
    assert pinned["errors"] == 4
    for kind in ("http-500", "connection-lost", "redirect-loop", "timeout"):
        assert pinned[f"errors/{kind}"] == 1, (kind, pinned)
    assert pinned["status"] == "partial"
    # retries=1: the 500 was asked for twice, with a backoff in between
    assert [r.status for r in srv.requests if r.path == paths[0]] == [500, 500]

    m31 = summary["m31feed"]
    assert (m31["new"], m31["errors"], m31["errors/http-404"]) == (3, 1, 1)
    assert m31["status"] == "partial"

    dead = summary["wjdead"]
    assert dead["errors/connection-refused"] == 1 and dead["status"] == "failed"

    con = sqlite3.connect(config.parent / "data" / "newswatch.db")
    runs = dict(con.execute("SELECT source, status FROM runs").fetchall())
    assert runs == {"pinned": "partial", "m31feed": "partial", "wjdead": "failed"}
    reasons = dict(con.execute("SELECT url, reason FROM pages WHERE reason IS NOT NULL"))
    assert "http-500" in reasons[urls[0]] and "timeout" in reasons[urls[3]]
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
    health = dict(con.execute("SELECT name, health FROM sources").fetchall())
    assert health["wjdead"] == "failing"


def test_exit_status_1_when_every_source_failed(fixture_server: FixtureServer,
                                               write_config: Callable[..., Path]) -> None:
    fixture_server.fault("westjournal", "", "down")
    fixture_server.fault("m31", "/feed/", "500")
    config = write_config({
        "wjdead": {"feed": [fixture_server.url("westjournal", "/feed/")]},
        "m31broken": {"feed": [fixture_server.url("m31", "/feed/")]},
    })
    proc = run_newswatch(config, "crawl", "--quiet")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-1] == "newswatch: error: every source failed"
    table = proc.stdout.splitlines()
    assert table[0].split() == ["source", "status", "fetched", "new", "updated", "unchanged",
                                "duplicates", "errors"]
    assert sorted(line.split()[:2] for line in table[1:]) == [["m31broken", "failed"],
                                                             ["wjdead", "failed"]]
