"""newswatch's full ingest of the generated site, through the real CLI, twice.

    from bench.ingest import run_ingests
    figures = run_ingests(site, folder)     # first ingest, then the unchanged re-ingest

Each ingest is `newswatch --config newswatch.toml crawl` in a subprocess (sitemap discovery,
delay 0, obey_robots on). Wall time, CPU seconds of the whole process tree (rusage of
waited-for children: the crawl and its extraction workers), peak memory of the process tree
(psutil, sampled every 0.1 s: the sum of RSS, and the sum of PSS which counts pages shared
by the forked workers once), and what the bench server sent (requests, 304s, body bytes).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.bigsite import SITEMAPS, BigSite

TOPIC = ('("north korea" OR pyongyang OR dprk OR "kim jong un") AND '
         "(russia OR moscow OR putin OR kremlin)")


def write_config(site: BigSite, folder: Path, concurrency: int = 16) -> Path:
    lines = ['db = "nw.db"', 'events_log = "events.jsonl"', "", "[defaults]",
             "delay = 0", f"concurrency = {concurrency}", "obey_robots = true", "",
             "[topics.nk-russia]", f"query = '{TOPIC}'", ""]
    for name in SITEMAPS:
        lines += [f"[sources.{name}]", f'sitemap = ["{site.sitemap_url(name)}"]', ""]
    path = folder / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class TreeSampler:
    """Peak RSS and PSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU s at last sample)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                procs = [self.root, *self.root.children(recursive=True)]
                rss = pss = 0
                for proc in procs:
                    with contextlib.suppress(psutil.Error):
                        t = proc.cpu_times()
                        role = "main" if proc.pid == self.root.pid else "child"
                        self.cpu[proc.pid] = (role, t.user + t.system)
                        if tick % 5 == 0:  # smaps is slower to read: PSS every 0.5 s
                            info = proc.memory_full_info()
                            rss += info.rss
                            pss += info.pss
                        else:
                            rss += proc.memory_info().rss
                self.peak_rss = max(self.peak_rss, rss)
                if tick % 5 == 0:
                    self.peak_pss = max(self.peak_pss, pss)
                self.peak_processes = max(self.peak_processes, len(procs))
            tick += 1
            self._stop.wait(self.interval)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_once(site: BigSite, config: Path, log: Path) -> dict[str, Any]:
    """One `newswatch crawl` of every source; figures of that run."""
    site.reset_counters()
    cmd = [sys.executable, "-m", "newswatch", "--config", str(config), "crawl"]
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    cpu0, start = _children_cpu(), time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=config.parent,
                                env=env)
        with TreeSampler(proc.pid) as sampler:
            code = proc.wait()
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    if code != 0:
        raise RuntimeError(f"newswatch crawl exited {code}; see {log}")
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": sampler.peak_rss / 2**20,
            "peak_pss_mb": sampler.peak_pss / 2**20, "processes": sampler.peak_processes,
            # CPU seconds per process (last sample, 0.1 s before exit at worst): which one
            # is the bottleneck, the crawl's main process or its extraction workers
            "cpu_main_s": sum(c for r, c in sampler.cpu.values() if r == "main"),
            "cpu_children_s": sum(c for r, c in sampler.cpu.values() if r == "child"),
            "server": site.counters.snapshot(), "runs": _last_runs(config.parent / "nw.db"),
            "log": str(log)}


def _last_runs(db: Path) -> dict[str, dict[str, Any]]:
    con = sqlite3.connect(db)
    try:
        con.row_factory = sqlite3.Row
        rows = con.execute(
            "select * from runs where id in (select max(id) from runs group by source)")
        runs = {r["source"]: {k: r[k] for k in ("status", "fetched", "new", "updated",
                                                  "unchanged", "duplicates", "errors")}
                for r in rows}
        runs["_store"] = {
            "articles": con.execute("select count(*) from articles").fetchone()[0],
            "pages": con.execute("select count(*) from pages").fetchone()[0]}
        return runs
    finally:
        con.close()


def run_ingests(site: BigSite, folder: Path, concurrency: int = 16) -> dict[str, Any]:
    """First ingest and unchanged re-ingest, with the ratios the issue sets targets for."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("nw.db", "nw.db-wal", "nw.db-shm", "events.jsonl"):
        (folder / name).unlink(missing_ok=True)
    config = write_config(site, folder, concurrency)
    first = crawl_once(site, config, folder / "crawl-1.log")
    second = crawl_once(site, config, folder / "crawl-2.log")
    pages = len(site.article_paths)
    stored = first["runs"]["_store"]["articles"]
    return {
        "pages": pages, "concurrency": concurrency, "first": first, "second": second,
        "articles_stored": stored,
        "pages_per_s": pages / first["wall_s"],
        "cpu_per_page_ms": 1000 * first["cpu_s"] / pages,
        "reingest_cpu_fraction": second["cpu_s"] / first["cpu_s"],
        "reingest_bytes_fraction": (second["server"]["body_bytes"]
                                    / max(1, first["server"]["body_bytes"])),
        "reingest_wall_s": second["wall_s"],
    }


def main() -> None:
    """A quick look at newswatch alone: the machine's limit, then both ingests."""
    import argparse
    import tempfile

    from bench.__main__ import measure_limit

    parser = argparse.ArgumentParser(description="newswatch ingest of the generated site")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nw-bench-"))
    with BigSite(args.pages) as site:
        limit = measure_limit(site, work)
        out = run_ingests(site, work / "newswatch", args.concurrency)
    first = out["first"]
    cores = os.cpu_count() or 1
    summary = {
        "pages_per_s": round(out["pages_per_s"], 1),
        "limit_pages_per_s": round(limit["pages_per_s_limit"], 1),
        "vs_limit": round(out["pages_per_s"] / limit["pages_per_s_limit"], 3),
        "cpu_bound_vs_limit": round(cores * 1000 / out["cpu_per_page_ms"]
                                    / limit["pages_per_s_limit"], 3),
        "cpu_ms_per_page": round(out["cpu_per_page_ms"], 2),
        "main_ms_per_page": round(1000 * first["cpu_main_s"] / out["pages"], 2),
        "workers_ms_per_page": round(1000 * first["cpu_children_s"] / out["pages"], 2),
        # per page, in units of one plain trafilatura.extract in this run (noise cancels)
        "main_x_extract": round(1000 * first["cpu_main_s"]
                                / out["pages"] * limit["pages_per_s_one_core"] / 1000, 2),
        "workers_x_extract": round(1000 * first["cpu_children_s"] / out["pages"]
                                   * limit["pages_per_s_one_core"] / 1000, 2),
        "peak_rss_mb": round(first["peak_rss_mb"]),
        "articles": out["articles_stored"],
        "reingest_cpu_fraction": round(out["reingest_cpu_fraction"], 4),
        "loadavg": os.getloadavg(),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
