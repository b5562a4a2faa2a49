"""SIGTERM to `newswatch crawl` (what the daemon sends): prompt, clean, nothing lost.

One page of the source hangs (the fixture server's "slow" fault); the others are
ingested. SIGTERM must stop the crawl within a few seconds, keep what was stored and
record the run as partial.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import ROOT

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import load_expectations


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=5)
    try:
        return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        con.close()


def test_sigterm_stops_promptly_and_records_a_partial_run(
        fixture_server: FixtureServer, write_config: Callable[..., Path]) -> None:
    srv = fixture_server
    paths = sorted(e.path for e in load_expectations()
                   if e.site == "analysis" and 0 in e.states)
    srv.fault("analysis", paths[0], "slow", delay=60)
    config = write_config({"pinned": {"urls": [srv.url("analysis", p) for p in paths],
                                      "download_timeout": 120}})
    db = config.parent / "data" / "newswatch.db"
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                             "crawl", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while count(db, "SELECT count(*) FROM articles") < len(paths) - 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the healthy pages were never stored"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert took < 8, err  # grace period (3 s) for the hung page, then out
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err
    assert json.loads(out)["pinned"]["status"] == "partial"
    assert count(db, "SELECT count(*) FROM articles") == len(paths) - 1
    assert count(db, "SELECT count(*) FROM runs WHERE status = 'partial'"
                     " AND finished_at IS NOT NULL") == 1
