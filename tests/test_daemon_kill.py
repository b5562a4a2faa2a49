"""Crash safety of the real daemon: `newswatch run` SIGKILLed at random moments, restarted.

The fixture sites move through their timeline (with chrome churn, so every fetch of an
article page is a write). At each visited state the daemon, with its crawl runs and
their extraction workers, is killed at a random moment as a power cut would: the whole
process tree is frozen, then SIGKILLed. After every kill the store must pass
`PRAGMA integrity_check` and hold no half-written article and no event without its
line in the events log (test_store_kill.check_consistent). Then the daemon is
restarted and left to complete a run of every source: the events recorded so far must
be exactly those fixtures/timeline.json lists up to that state, none lost, none doubled.

Three kills in four wait for a run to be under way and strike within its first seconds;
the others strike at any moment, start-up included. CI runs 4 kills over states 0, 3
and 4. `NEWSWATCH_DAEMON_KILLS=N` spreads N kills over
all six states and prints the figures (kills, records checked, records lost).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from test_store_kill import check_consistent

from extract.canonical import canonicalize_url
from newswatch.demo import TOPIC, source_lines
from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import FIXTURES_DIR

HEAVY = int(os.environ.get("NEWSWATCH_DAEMON_KILLS", "0"))
STATES = list(range(6)) if HEAVY else [0, 3, 4]
KILLS = HEAVY or 4
SEED = int(os.environ.get("NEWSWATCH_KILL_SEED", time.time_ns() % 2**32))
TIMELINE = json.loads((FIXTURES_DIR / "timeline.json").read_text(encoding="utf-8"))["states"]
SOURCES = ("m31", "westjournal", "analysis", "koreanews", "rusnews")
KILL_WINDOW = 8.0  # seconds after start: a first run of every source ends within it
RUN_WINDOW = 0.8  # seconds after a run started: it is still ingesting (runs are short)
EVENT_KINDS = ("new", "updated", "duplicate")


def write_config(path: Path, srv: FixtureServer) -> Path:
    lines = ['db = "nw.db"', 'events_log = "events.jsonl"', "", "[defaults]", "delay = 0",
             "retries = 0", "download_timeout = 5", 'every = "1s"', "",
             "[topics.nk-russia]", f"query = '{TOPIC}'", ""]
    for site in SOURCES:
        lines += [*source_lines(srv, site, site), ""]
    path.write_text("\n".join(lines))
    return path


# -- the process tree -------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    kids = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        with contextlib.suppress(OSError):
            kids += [int(k) for k in Path(path).read_text().split()]
    return kids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def power_cut(proc: subprocess.Popen[str]) -> int:
    """Freeze the daemon and every process under it (so none starts another), then SIGKILL
    them all; returns how many processes were killed."""
    frozen: list[int] = []
    todo = [proc.pid]
    while todo:
        for pid in todo:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
            frozen.append(pid)
        todo = [kid for pid in frozen for kid in children(pid) if kid not in frozen]
    for pid in frozen:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in frozen) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in frozen), "a killed process is still running"
    return len(frozen)


def start_daemon(config: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("a") as out:
        return subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                                 "run"], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


# -- the store --------------------------------------------------------------------------------

def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # no schema yet
        return []
    finally:
        con.close()


def finished_runs(db: Path) -> dict[str, int]:
    rows = query(db, "SELECT source, count(*) FROM runs WHERE finished_at IS NOT NULL"
                     " GROUP BY source")
    return {source: int(n) for source, n in rows}


def all_runs(db: Path) -> int:
    rows = query(db, "SELECT count(*) FROM runs")
    return int(rows[0][0]) if rows else 0


def wait_for_a_run(db: Path, before: int, timeout: float = 30) -> None:
    """Until a run of the restarted daemon has begun (its `runs` row is committed)."""
    deadline = time.monotonic() + timeout
    while all_runs(db) <= before and time.monotonic() < deadline:
        time.sleep(0.02)


def unfinished_runs(db: Path) -> int:
    """Runs started and never finished: each one a run killed mid-way."""
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=30)  # read-write: recovers the WAL after a kill
    try:
        return int(con.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL"
                               ).fetchone()[0])
    except sqlite3.OperationalError:  # killed before the schema was created
        return 0
    finally:
        con.close()


def recorded_events(db: Path) -> Counter[tuple[str, str]]:
    return Counter(query(db, "SELECT kind, url FROM events"))


def expected_events(srv: FixtureServer, state: int) -> Counter[tuple[str, str]]:
    return Counter((e["kind"], canonicalize_url(srv.url(e["site"], e["path"])))
                   for spec in TIMELINE[: state + 1] for e in spec["events"])


def records(db: Path) -> int:
    """Rows check_consistent looks at: articles, versions, URLs, events, pages."""
    return sum(query(db, f"SELECT count(*) FROM {table}")[0][0]
               for table in ("articles", "versions", "article_urls", "events", "pages"))


def complete_runs(config: Path, db: Path, log: Path, timeout: float = 90) -> None:
    """Restart the daemon and stop it (SIGTERM) once every source finished a new run."""
    before = finished_runs(db)
    daemon = start_daemon(config, log)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = finished_runs(db)
            if all(done.get(s, 0) > before.get(s, 0) for s in SOURCES):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no complete run of every source in {timeout}s:"
                                 f" {log.read_text()[-3000:]}")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        if daemon.poll() is None:
            power_cut(daemon)


def test_daemon_killed_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db, events_log, log = tmp_path / "nw.db", tmp_path / "events.jsonl", tmp_path / "daemon.log"
    kills = {state: KILLS // len(STATES) + (i < KILLS % len(STATES))
             for i, state in enumerate(STATES)}
    killed = processes = interrupted = checked = lost = doubled = 0
    started = time.monotonic()
    with FixtureServer(state=0, churn=True) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv)
        for state in STATES:
            srv.set_state(state)
            for _ in range(kills[state]):
                open_runs = unfinished_runs(db)
                runs_before = all_runs(db)
                daemon = start_daemon(config, log)
                if rng.random() < 0.25:  # any moment, start-up included
                    time.sleep(rng.uniform(0.2, KILL_WINDOW))
                else:  # while a run is ingesting: its pages are being written
                    wait_for_a_run(db, runs_before)
                    time.sleep(rng.uniform(0, RUN_WINDOW))
                processes += power_cut(daemon)
                killed += 1
                interrupted += unfinished_runs(db) - open_runs  # runs killed mid-way
                if db.exists():
                    check_consistent(db, events_log)
                    checked += records(db)
            complete_runs(config, db, log)
            check_consistent(db, events_log)
            checked += records(db)
            got = recorded_events(db)
            want = expected_events(srv, state)
            lost += sum((want - got).values())
            doubled += sum((got - want).values())
            assert got == want, (state, want - got, got - want)
            assert set(query(db, "SELECT DISTINCT kind FROM events")) <= {(k,) for k in
                                                                         EVENT_KINDS}
    lines = [json.loads(line) for line in events_log.read_text().splitlines()]
    assert [e["id"] for e in lines] == [r[0] for r in query(db, "SELECT id FROM events"
                                                                " ORDER BY id")]
    print(f"daemon kill test (seed {SEED}): states {STATES}, {killed} daemons killed"
          f" ({processes} processes, {interrupted} runs cut mid-way), {checked} records"
          f" checked, {lost} events lost, {doubled} doubled,"
          f" {time.monotonic() - started:.0f}s")
