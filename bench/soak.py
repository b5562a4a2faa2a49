"""Soak benchmark: many back-to-back scheduled runs of the real daemon; does its memory grow?

    python -m bench.soak [--runs 500] [--sources 4]

Starts the fixture sites on 127.0.0.1, runs `newswatch run` as a subprocess with every
source due every second, and samples the daemon's resident memory (VmRSS) when the store
has recorded run 50 and run N. Writes bench/out/soak.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--early", type=int, default=50, help="run at which to take the baseline")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nw-soak-"))
    samples: list[tuple[int, float]] = []
    with FixtureServer(state=0, churn=True) as srv:
        sources = {f"s{i}": (SITES[i % len(SITES)], None) for i in range(args.sources)}
        config = folder / "newswatch.toml"
        config.write_text(fixture_config(srv, sources, {"every": '"1s"', "delay": "0"},
                                         db="nw.db"))
        db = folder / "nw.db"
        log = (folder / "daemon.log").open("w")
        started = time.monotonic()
        daemon = subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                                   "run"], stdout=log, stderr=subprocess.STDOUT)
        try:
            early = late = None
            while late is None:
                time.sleep(0.5)
                done = finished(db)
                if early is None and done >= args.early:
                    early = rss_mb(daemon.pid)
                    samples.append((done, early))
                    print(f"run {done}: daemon RSS {early:.1f} MB", flush=True)
                elif early is not None and len(samples) < 20 and \
                        done >= args.early + len(samples) * (args.runs - args.early) / 10:
                    samples.append((done, rss_mb(daemon.pid)))
                    print(f"run {done}: daemon RSS {samples[-1][1]:.1f} MB", flush=True)
                if done >= args.runs:
                    late = rss_mb(daemon.pid)
                    samples.append((done, late))
            elapsed = time.monotonic() - started
            assert early is not None
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            log.close()
    result = {
        "runs": args.runs, "sources": args.sources, "seconds": round(elapsed, 1),
        "runs_per_second": round(args.runs / elapsed, 2),
        "rss_mb_at_early_run": round(early, 1), "early_run": args.early,
        "rss_mb_at_last_run": round(late, 1),
        "growth_mb": round(late - early, 1), "samples": samples, "daemon_exit": code,
        "target_growth_mb": 20, "ok": (late - early) < 20 and code == 0,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "soak.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    if os.environ.get("NEWSWATCH_SOAK_KEEP"):
        print(f"kept {folder}")


if __name__ == "__main__":
    main()
