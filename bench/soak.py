"""Soak benchmark: many back-to-back scheduled runs of the real daemon; does its memory grow?

    python -m bench.soak [--runs 500] [--sources 4]
    python -m bench.soak --runs 5000 --early 500          # the daemon-at-scale soak

Starts the fixture sites on 127.0.0.1, runs `newswatch run` as a subprocess with every
source due every second, and samples memory when the store has recorded run --early and
run --runs (and at ten points between). Memory is the daemon's whole process tree (the
daemon, its long-lived crawl worker, extraction workers, any run subprocess): the sums of
RSS and of PSS (/proc/PID/smaps_rollup, which counts pages shared by forked workers once),
each the median of --sample-window seconds of samples; the daemon's own VmRSS is reported
too. The target (growth < 20 MB between the two) is judged on `--measure`: tree PSS
(default), tree RSS, or the top process's RSS (`top`, the measure of the one-process
daemon before). The crawl engine's recycling (`[daemon] recycle_after_runs`, by default
5,000 runs) would reset its memory mid-soak and hide a growth: the soak sets it to twice
--runs (`--recycle-after-runs 0`: no [daemon] table), and a measurement whose processes
were replaced since the early one is not counted as a pass. Writes bench/out/soak.json.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.daemon_scale import daemon_identity, kill_tree, sample_tree, tree
from newswatch.demo import fixture_config
from newswatch.fixture_server import FixtureServer

OUT = Path(__file__).resolve().parent / "out"
SITES = ("westjournal", "analysis", "m31")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def finished(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return int(con.execute("select count(*) from runs where finished_at is not null")
                       .fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


MEASURES = {"pss": "tree_pss_mb", "rss": "tree_rss_mb", "top": "top_rss_mb"}


def measure(pid: int, window: float) -> dict[str, Any]:
    """Median over `window` seconds of the tree's RSS and PSS sums and the top process's
    VmRSS (a forked worker's or a run's coming and going moves a single sample)."""
    rows: list[tuple[float, float, float, int]] = []
    pids: set[int] = set()
    end = time.monotonic() + window
    while True:
        s = sample_tree(pid)
        rows.append((s.rss_mb, s.pss_mb, rss_mb(pid), s.procs))
        pids.update(p.pid for p in tree(pid))
        if time.monotonic() >= end:
            break
        time.sleep(0.5)
    return {"tree_rss_mb": round(statistics.median(r[0] for r in rows), 1),
            "tree_pss_mb": round(statistics.median(r[1] for r in rows), 1),
            "top_rss_mb": round(statistics.median(r[2] for r in rows), 1),
            "procs": max(r[3] for r in rows), "samples": len(rows), "pids": sorted(pids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--early", type=int, default=50, help="run at which to take the baseline")
    parser.add_argument("--measure", choices=sorted(MEASURES), default="pss",
                        help="what the 20 MB target is judged on: the tree's PSS or RSS sum, "
                             "or the top process's RSS")
    parser.add_argument("--sample-window", type=float, default=3.0,
                        help="seconds of samples whose median is one measurement")
    parser.add_argument("--every", default="1s", help="every source's cadence")
    parser.add_argument("--target-mb", type=float, default=20.0)
    parser.add_argument("--recycle-after-runs", type=int, default=None,
                        help="[daemon] recycle_after_runs (default: twice --runs, so that "
                             "no recycling of the crawl engine hides a growth; 0: leave the "
                             "daemon's default and no [daemon] table)")
    args = parser.parse_args()
    recycle = args.recycle_after_runs if args.recycle_after_runs is not None else \
        2 * args.runs + 1000
    key = MEASURES[args.measure]
    folder = Path(tempfile.mkdtemp(prefix="nw-soak-"))
    samples: list[dict[str, Any]] = []
    with FixtureServer(state=0, churn=True) as srv:
        sources = {f"s{i}": (SITES[i % len(SITES)], None) for i in range(args.sources)}
        config = folder / "newswatch.toml"
        text = fixture_config(srv, sources, {"every": json.dumps(args.every), "delay": "0"},
                              db="nw.db")
        if recycle:
            text += f"\n[daemon]\nrecycle_after_runs = {recycle}\n"
        config.write_text(text)
        db = folder / "nw.db"
        log = (folder / "daemon.log").open("w")
        identity = daemon_identity()  # the code the daemon loads now
        started = time.monotonic()
        daemon = subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                                   "run"], stdout=log, stderr=subprocess.STDOUT)
        peak = {"tree_rss_mb": 0.0, "tree_pss_mb": 0.0, "procs": 0.0}
        try:
            early = late = None
            marks = [args.early + k * (args.runs - args.early) / 10 for k in range(1, 10)]
            while late is None:
                time.sleep(0.5)
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited (code {daemon.returncode}); see "
                                     f"{folder / 'daemon.log'}")
                quick = sample_tree(daemon.pid, pss=False)
                peak["tree_rss_mb"] = round(max(peak["tree_rss_mb"], quick.rss_mb), 1)
                peak["procs"] = max(peak["procs"], quick.procs)
                done = finished(db)
                point = None
                if early is None and done >= args.early:
                    point = early = measure(daemon.pid, args.sample_window)
                elif early is not None and marks and done >= marks[0]:
                    while marks and done >= marks[0]:
                        marks.pop(0)
                    point = measure(daemon.pid, args.sample_window)
                if done >= args.runs:
                    point = late = measure(daemon.pid, args.sample_window)
                if point is not None:
                    point["run"] = done
                    point["seconds"] = round(time.monotonic() - started, 1)
                    samples.append(point)
                    peak["tree_pss_mb"] = max(peak["tree_pss_mb"], point["tree_pss_mb"])
                    peak["tree_rss_mb"] = max(peak["tree_rss_mb"], point["tree_rss_mb"])
                    print(f"run {done}: tree RSS {point['tree_rss_mb']:.1f} MB, PSS "
                          f"{point['tree_pss_mb']:.1f} MB ({point['procs']} processes); "
                          f"daemon RSS {point['top_rss_mb']:.1f} MB", flush=True)
            elapsed = time.monotonic() - started
            assert early is not None
        finally:
            members = tree(daemon.pid)
            t0 = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                kill_tree(daemon.pid, signal.SIGKILL, members)
                code = daemon.wait()
            stop_s = round(time.monotonic() - t0, 2)
            kill_tree(daemon.pid, signal.SIGKILL, members)  # anything that outlived it
            log.close()
    growth = {name: round(late[name] - early[name], 1)
              for name in ("tree_pss_mb", "tree_rss_mb", "top_rss_mb")}
    # a process of the early tree gone by the end: the engine was recycled in between,
    # which resets its memory and hides any growth (not judged with --measure top: the
    # one-process daemon started a subprocess per run)
    replaced = [] if args.measure == "top" else sorted(set(early["pids"]) - set(late["pids"]))
    result = {
        "runs": args.runs, "sources": args.sources, "every": args.every,
        "seconds": round(elapsed, 1), "runs_per_second": round(args.runs / elapsed, 2),
        "early_run": args.early, "measure": args.measure,
        "rss_mb_at_early_run": early["top_rss_mb"], "rss_mb_at_last_run": late["top_rss_mb"],
        "growth_mb": round(late[key] - early[key], 1), "growth_by_measure": growth,
        "at_early_run": early, "at_last_run": late, "peak": peak,
        "samples": samples, "daemon_exit": code, "stop_s": stop_s,
        "target_growth_mb": args.target_mb, "recycle_after_runs": recycle or None,
        "daemon": identity,
        "processes_replaced_between": replaced,
        "ok": (late[key] - early[key]) < args.target_mb and code == 0 and not replaced,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "soak.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    if replaced:
        print(f"not comparable: processes {replaced} of the early tree were replaced before "
              f"the last measurement (the crawl engine recycled?)")
    if os.environ.get("NEWSWATCH_SOAK_KEEP"):
        print(f"kept {folder}")


if __name__ == "__main__":
    main()
