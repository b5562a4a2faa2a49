"""The daemon with many sources: one engine for all, per-site politeness, recycling.

Real daemons as subprocesses, on 127.0.0.1: the three fixture sites move through their
timeline next to fifty more sources (each its own feed of off-topic articles) and the
events must be exactly the timeline's; the process tree stays four processes whatever
the number of sources; an engine recycled every few runs loses no page; two sources on
one site keep its delay together; a run that hangs is cut at `run_timeout`; a run whose
process was SIGKILLed is closed as interrupted at the next start.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import crawl_json
from pages import article, rss
from routeserver import RouteServer
from test_daemon_kill import (
    children,
    expected_events,
    power_cut,
    query,
    recorded_events,
)
from test_daemon_kill import start_daemon as start_daemon_logging_to

from newswatch.demo import fixture_config
from newswatch.fixture_server import FixtureServer
from store import Store

FILLERS = 50  # sources besides the three timeline ones


@pytest.fixture
def filler_site() -> Iterator[RouteServer]:
    """FILLERS feeds of two off-topic articles each, on one loopback server."""
    server = RouteServer()
    for i in range(FILLERS):
        titles = {f"/f{i}/a{k}.html": f"Regional notes {i}-{k}" for k in range(2)}
        server.add(f"/f{i}/feed.xml", rss(server, titles), "application/rss+xml")
        for k, path in enumerate(titles):
            server.add(path, article(path, 1000 + 2 * i + k))
    with server.running():
        yield server


def filler_lines(server: RouteServer, every: str) -> str:
    lines = []
    for i in range(FILLERS):
        lines += [f"[sources.filler{i}]", f'feed = ["{server.url(f"/f{i}/feed.xml")}"]',
                  f'every = "{every}"', "obey_robots = false", ""]
    return "\n".join(lines)


def start_daemon(config: Path) -> tuple[subprocess.Popen[str], Path]:
    log = config.parent / "daemon.log"
    return start_daemon_logging_to(config, log), log


def stop(proc: subprocess.Popen[str], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            power_cut(proc)


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}:"
                         f" {log.read_text()[-3000:]}")


def runs_by_source(db: Path) -> Counter[str]:
    rows = query(db, "SELECT source, count(*) FROM runs WHERE finished_at IS NOT NULL"
                     " GROUP BY source")
    return Counter({source: int(n) for source, n in rows})


def every_source_ran_since(db: Path, before: Counter[str], names: list[str]) -> bool:
    now = runs_by_source(db)
    return all(now[name] > before[name] for name in names)


def tree(pid: int) -> list[int]:
    found, todo = [pid], [pid]
    while todo:
        kids = [k for p in todo for k in children(p)]
        found += kids
        todo = kids
    return found


def test_many_sources_one_engine_exact_timeline(tmp_path: Path,
                                                filler_site: RouteServer) -> None:
    with FixtureServer(state=0, churn=True) as srv:
        sources = {"m31": ("m31", "1s"), "westjournal": ("westjournal", "1s"),
                   "analysis": ("analysis", "1s"), "koreanews": ("koreanews", "1s"),
                   "rusnews": ("rusnews", "1s")}
        config = tmp_path / "newswatch.toml"
        # a generous timeout: a loaded CI machine must not turn a slow first answer into a
        # source_failed event the timeline does not expect
        config.write_text(fixture_config(srv, sources, {"delay": "0", "retries": "0",
                                                        "download_timeout": "20"}, db="nw.db")
                          + "\n" + filler_lines(filler_site, "2s"))
        db = tmp_path / "nw.db"
        names = [*sources, *(f"filler{i}" for i in range(FILLERS))]
        proc, log = start_daemon(config)
        try:
            for state in (0, 2, 3, 4):
                srv.set_state(state)
                before = runs_by_source(db)
                # twice: a run that started before the switch may have seen the old state
                wait_for(lambda b=before: every_source_ran_since(db, b, names), 90,
                         f"every source to run in state {state}", log)
                again = runs_by_source(db)
                wait_for(lambda a=again: every_source_ran_since(db, a, list(sources)), 60,
                         f"the timeline sources to run again in state {state}", log)
                assert recorded_events(db) == expected_events(srv, state), state
                # one scheduler, one engine, two extraction workers: for 53 sources
                assert len(tree(proc.pid)) <= 4, tree(proc.pid)
        finally:
            stop(proc, log)
    assert query(db, "SELECT count(*) FROM articles WHERE source LIKE 'filler%'") == \
        [(2 * FILLERS,)]
    assert query(db, "SELECT count(*) FROM runs WHERE finished_at IS NULL") == [(0,)]
    nexts = query(db, "SELECT count(*) FROM sources WHERE next_run_at IS NOT NULL"
                      " AND last_duration_s IS NOT NULL")
    assert nexts == [(len(names),)]


def test_recycled_engine_loses_no_page(tmp_path: Path) -> None:
    with FixtureServer(state=0, churn=True) as srv:
        sources = {"m31": ("m31", "1s"), "westjournal": ("westjournal", "1s"),
                   "analysis": ("analysis", "1s"), "koreanews": ("koreanews", "1s"),
                   "rusnews": ("rusnews", "1s")}
        config = tmp_path / "newswatch.toml"
        config.write_text(fixture_config(srv, sources, {"delay": "0", "retries": "0"},
                                         db="nw.db") + "\n[daemon]\nrecycle_after_runs = 4\n")
        db = tmp_path / "nw.db"
        proc, log = start_daemon(config)
        try:
            for state in (0, 2, 3):
                srv.set_state(state)
                for _ in range(2):
                    before = runs_by_source(db)
                    wait_for(lambda b=before: every_source_ran_since(db, b, list(sources)),
                             90, f"runs in state {state}", log)
                assert recorded_events(db) == expected_events(srv, state), state
            wait_for(lambda: log.read_text().count("recycling the crawl engine") >= 3, 60,
                     "three recycles", log)
        finally:
            stop(proc, log)
        text = log.read_text()
        assert text.count("crawl engine started") >= 4, text[-3000:]
        assert "stopped unexpectedly" not in text
    # every article page the sites list in state 3 was stored, none twice
    assert recorded_events(db) == expected_events(srv, 3)
    assert query(db, "SELECT count(*) FROM runs WHERE finished_at IS NULL") == [(0,)]
    statuses = dict(query(db, "SELECT status, count(*) FROM runs GROUP BY status"))
    assert statuses.get("failed", 0) == 0, statuses


def test_two_sources_on_one_site_share_its_delay(write_config: Callable[..., Path]) -> None:
    server = RouteServer()
    for name in ("a", "b"):
        titles = {f"/{name}/{k}.html": f"{name} {k}" for k in range(4)}
        server.add(f"/{name}/feed.xml", rss(server, titles), "application/rss+xml")
        for k, path in enumerate(titles):
            server.add(path, article(path, 100 * ord(name) + k))
    with server.running():
        config = write_config({name: {"feed": [server.url(f"/{name}/feed.xml")],
                                      "obey_robots": False} for name in ("a", "b")},
                              defaults={"delay": 0.6})
        summary = crawl_json(config)  # one engine, as in the daemon
        times = sorted(at for path, at in server.requests)
    assert summary["a"]["new"] == summary["b"]["new"] == 4
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) == 10
    # one request at a time at the site, `delay` apart (jitter never goes below it)
    assert min(gaps) >= 0.55, gaps


def test_a_hanging_run_is_cut_at_run_timeout(tmp_path: Path) -> None:
    with FixtureServer(state=0) as srv:
        srv.fault("westjournal", "/feed/", "slow", delay=30)
        config = tmp_path / "newswatch.toml"
        config.write_text(fixture_config(
            srv, {"wj": ("westjournal", "1s"), "an": ("analysis", "1s")},
            {"delay": "0", "retries": "0", "download_timeout": "60"}, db="nw.db")
            + '\n[daemon]\nrun_timeout = "2s"\n')
        db = tmp_path / "nw.db"
        proc, log = start_daemon(config)
        try:
            wait_for(lambda: query(db, "SELECT count(*) FROM runs WHERE source = 'wj'"
                                       " AND status = 'partial'") >= [(1,)], 30,
                     "the hanging run to be cut", log)
            before = runs_by_source(db)["an"]
            wait_for(lambda: runs_by_source(db)["an"] >= before + 3, 30,
                     "the healthy source to go on", log)
        finally:
            stop(proc, log)
    assert "run cut after" in log.read_text()


def test_a_killed_run_is_closed_as_interrupted(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store.open(tmp_path / "nw.db") as store:
        killed = store.start_run("s")
        live = store.start_run("t")  # this process's: still running
        store.conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (dead.pid, killed))
        store.conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (dead.pid, live))
        before = {r["id"]: r["finished_at"] for r in store.conn.execute("SELECT * FROM runs")}
        assert before == {killed: None, live: None}  # nothing is closed at start-up
        # the next run of the same source closes the cut one when it ends
        store.finish_run(store.start_run("s"), {"fetched": 1})
        rows: dict[int, Any] = {r["id"]: dict(r) for r in store.conn.execute(
            "SELECT id, status, reason, finished_at FROM runs")}
        assert store.close_interrupted() == ["t"]  # the explicit sweep takes the rest
    assert rows[killed]["status"] == "partial" and rows[killed]["finished_at"]
    assert rows[killed]["reason"].startswith("interrupted")
    assert rows[live]["finished_at"] is None  # another source's: left for its own next run


def test_daemon_restarted_after_sigkill_closes_the_cut_run(tmp_path: Path) -> None:
    with FixtureServer(state=0) as srv:
        srv.fault("westjournal", "/feed/", "slow", delay=30)
        config = tmp_path / "newswatch.toml"
        config.write_text(fixture_config(srv, {"wj": ("westjournal", "1s")},
                                         {"delay": "0", "retries": "0"}, db="nw.db"))
        db = tmp_path / "nw.db"
        proc, log = start_daemon(config)
        try:
            wait_for(lambda: query(db, "SELECT count(*) FROM runs WHERE finished_at IS NULL")
                     == [(1,)], 30, "a run in hand", log)
        finally:
            power_cut(proc)
        srv.clear_faults()
        proc, log = start_daemon(config)
        try:
            wait_for(lambda: query(db, "SELECT count(*) FROM runs WHERE status = 'partial'"
                                       " AND reason LIKE 'interrupted%'") == [(1,)], 30,
                     "the cut run to be closed", log)
            wait_for(lambda: query(db, "SELECT count(*) FROM runs WHERE status = 'ok'")
                     >= [(1,)], 30, "a new run", log)
        finally:
            stop(proc, log)
