"""The real daemon, as a subprocess, against the fixture sites on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newswatch.demo import fixture_config
from newswatch.fixture_server import FixtureServer


def write_config(path: Path, srv: FixtureServer, sources: dict[str, tuple[str, str]]) -> Path:
    """sources: name -> (site, every); each uses the demo's discovery style for its site."""
    path.write_text(fixture_config(srv, sources, {
        "delay": "0", "retries": "0", "download_timeout": "3"}, db="nw.db"))
    return path


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []
    finally:
        con.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def finished_runs(db: Path, source: str) -> int:
    rows = query(db, "select count(*) from runs where source = ? and finished_at is not null",
                 source)
    return int(rows[0][0]) if rows else 0


def events(db: Path, kind: str | None = None) -> list[tuple[Any, ...]]:
    if kind:
        return query(db, "select kind, source, url, title from events where kind = ? order by id",
                     kind)
    return query(db, "select kind, source, url, title from events order by id")


class DaemonProcess:
    def __init__(self, config: Path) -> None:
        self.log = config.parent / "daemon.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newswatch", "--config", str(config), "run"],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def daemon_factory() -> Iterator[Callable[[Path], DaemonProcess]]:
    started: list[DaemonProcess] = []

    def start(config: Path) -> DaemonProcess:
        proc = DaemonProcess(config)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


def leftover_processes(config: Path) -> list[str]:
    """Command lines of live processes started for this config (runs, their workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(config) in cmdline:
            found.append(cmdline)
    return found


def check_store_intact(db: Path) -> None:
    assert query(db, "pragma integrity_check") == [("ok",)]
    orphans = query(db, "select count(*) from article_urls where article_id not in "
                        "(select id from articles)")
    assert orphans == [(0,)]
    bad_versions = query(db, "select count(*) from articles a where a.version != "
                             "(select max(version) from versions v where v.article_id = a.id)")
    assert bad_versions == [(0,)]


def test_daemon_follows_timeline_and_stops_cleanly(tmp_path: Path,
                                                   daemon_factory: Callable[..., Any]) -> None:
    with FixtureServer(state=0, churn=True) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv, {
            "m31": ("m31", "1s"), "westjournal": ("westjournal", "2s")})
        db = tmp_path / "nw.db"
        daemon = daemon_factory(config)
        wait_for(lambda: finished_runs(db, "m31") >= 1 and finished_runs(db, "westjournal") >= 1,
                 60, "first runs")
        first_new = len(events(db, "new"))
        assert first_new > 0
        wait_for(lambda: finished_runs(db, "m31") >= 3, 60, "more runs of m31")
        assert len(events(db, "new")) == first_new, "re-ingesting an unchanged story raised events"
        assert events(db, "updated") == []

        srv.set_state(2)  # a new on-topic article on m31
        wait_for(lambda: len(events(db, "new")) > first_new, 60, "the state-2 article")
        srv.set_state(3)  # an article edited
        wait_for(lambda: len(events(db, "updated")) >= 1, 60, "the state-3 update")

        code = daemon.terminate()
        out = daemon.output()
    assert code == 0, out
    assert "stopped" in out
    assert leftover_processes(config) == [], "runs left processes behind"
    check_store_intact(db)
    log_lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert len(log_lines) == len(events(db))
    assert [json.loads(line)["kind"] for line in log_lines] == [e[0] for e in events(db)]
    assert len(events(db, "updated")) == 1
    # never two runs of one source at once
    for source in ("m31", "westjournal"):
        spans = query(db, "select started_at, finished_at from runs where source = ? "
                          "order by started_at", source)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end is not None and end <= start


def test_down_host_fails_once_and_recovers(tmp_path: Path,
                                           daemon_factory: Callable[..., Any]) -> None:
    with FixtureServer(state=0) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv, {"wj": ("westjournal", "1s")})
        db = tmp_path / "nw.db"
        daemon = daemon_factory(config)
        wait_for(lambda: finished_runs(db, "wj") >= 1, 60, "a first healthy run")
        srv.fault("westjournal", "/", "down")
        before = finished_runs(db, "wj")
        wait_for(lambda: finished_runs(db, "wj") >= before + 3, 60, "three runs while down")
        assert len(events(db, "source_failed")) == 1
        assert query(db, "select health from sources where name = 'wj'") == [("failing",)]
        srv.clear_faults()
        wait_for(lambda: len(events(db, "source_recovered")) == 1, 60, "recovery")
        wait_for(lambda: query(db, "select health from sources where name = 'wj'") ==
                 [("ok",)], 30, "health ok")
        assert daemon.terminate() == 0
    assert len(events(db, "source_failed")) == 1
    check_store_intact(db)


def test_failing_host_does_not_block_healthy_source(tmp_path: Path,
                                                    daemon_factory: Callable[..., Any]) -> None:
    with FixtureServer(state=0) as srv:
        # Both analysis sources hang on their sitemap for longer than their cadence.
        srv.fault("analysis", "/sitemap-index.xml", "slow", delay=8)
        config = write_config(tmp_path / "newswatch.toml", srv, {
            "slow1": ("analysis", "1s"), "slow2": ("analysis", "1s"),
            "healthy": ("westjournal", "1s")})
        db = tmp_path / "nw.db"
        daemon = daemon_factory(config)
        wait_for(lambda: finished_runs(db, "healthy") >= 4, 60, "healthy runs")
        # the stuck source ran fewer times: its runs lasted longer than its cadence
        assert finished_runs(db, "slow1") < finished_runs(db, "healthy")
        assert daemon.terminate() == 0
    for source in ("slow1", "slow2", "healthy"):
        spans = query(db, "select started_at, finished_at from runs where source = ? "
                          "order by started_at", source)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end is not None and end <= start, f"overlapping runs of {source}"


def test_python_scheduler_py_is_the_daemon(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    bad = subprocess.run([sys.executable, str(root / "scheduler.py"), "--config",
                          str(tmp_path / "missing.toml")], capture_output=True, text=True,
                         timeout=60, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "missing.toml" in bad.stderr
    with FixtureServer(state=0) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv, {"a": ("analysis", "1s")})
        proc = subprocess.Popen([sys.executable, str(root / "scheduler.py"), "--config",
                                 str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=tmp_path)
        try:
            wait_for(lambda: finished_runs(tmp_path / "nw.db", "a") >= 1, 60, "a run")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert len(events(tmp_path / "nw.db", "new")) == 3  # the analysis site's on-topic pieces


def test_second_signal_stops_at_once_and_store_stays_intact(
        tmp_path: Path, daemon_factory: Callable[..., Any]) -> None:
    with FixtureServer(state=0) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv, {"wj": ("westjournal", "1s")})
        db = tmp_path / "nw.db"
        daemon = daemon_factory(config)
        wait_for(lambda: finished_runs(db, "wj") >= 1, 60, "a first run")
        srv.fault("westjournal", "/feed/", "slow", delay=20)  # the next run hangs on its feed
        wait_for(lambda: query(db, "select count(*) from runs where source = 'wj' and "
                                   "finished_at is null") == [(1,)], 30, "a run in hand")
        daemon.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        code = daemon.proc.wait(timeout=15)
        assert time.monotonic() - started < 5
    assert code == 1
    assert leftover_processes(config) == []
    check_store_intact(db)
