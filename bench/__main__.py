"""newswatch against trafilatura, news-please and newspaper4k, in one run on one machine.

    python -m bench all [--pages 5000] [--peer-budget 150] [--threads 16] [--concurrency 16]
    python -m bench site [--pages 500]      # just serve the generated site (Ctrl-C to stop)
    python -m bench profile [--pages 2000]  # py-spy profile of one newswatch crawl

`all` generates the site (--pages article pages in the fixture templates, with feeds,
sitemaps and listings) on 127.0.0.1, then measures in this order:

1. the machine's limit: plain `trafilatura.extract` pages/s on one core x cores;
2. newswatch: `newswatch crawl` of the whole site, then again on the unchanged site;
3. each peer's fetch + extract of the same URLs (at most --peer-budget seconds each);
4. extraction quality of all four on aeb-dev, on the fixture expectations, and on the pages
   each one fetched from the generated site.

It prints a table and writes bench/out/bench.json (every figure, versions, ratios, targets)
and bench/out/bench.png. Takes about 15 minutes at 5,000 pages on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

OUT = Path(__file__).resolve().parent / "out"
PEERS = ("trafilatura", "news-please", "newspaper4k")
LIMIT_SAMPLE = 600


def _cpu_children() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def _busy() -> float:
    """CPU seconds the whole machine has spent busy (every process)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure_limit(site: Any, work: Path) -> dict[str, Any]:
    paths = list(site.article_paths)
    random.Random(3).shuffle(paths)
    pages = [[site.url(s, p), site.response(s, p).body.decode("utf-8")]
             for s, p in paths[:LIMIT_SAMPLE]]
    src, dst = work / "limit-pages.json", work / "limit.json"
    src.write_text(json.dumps(pages), "utf-8")
    subprocess.run([sys.executable, "-m", "bench.peers", "limit", str(src), str(dst)],
                   check=True)
    return json.loads(dst.read_text("utf-8"))


def measure_floor(site: Any, urls: list[str], work: Path) -> dict[str, Any]:
    src, dst = work / "floor-urls.json", work / "floor.json"
    src.write_text(json.dumps(urls), "utf-8")
    site.reset_counters()
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    subprocess.run([sys.executable, "-m", "bench.peers", "floor", str(src), str(dst)],
                   check=True, env=env, stderr=subprocess.DEVNULL)
    return json.loads(dst.read_text("utf-8"))


def run_peer(site: Any, tool: str, urls: list[str], work: Path, budget: float,
             threads: int) -> dict[str, Any]:
    from bench.ingest import TreeSampler
    src, dst = work / "urls.json", work / f"peer-{tool}.json"
    src.write_text(json.dumps(urls), "utf-8")
    site.reset_counters()
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    cmd = [sys.executable, "-m", "bench.peers", "fetch", tool, str(src), str(dst),
           "--budget", str(budget), "--threads", str(threads)]
    cpu0, busy0 = _cpu_children(), _busy()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    with TreeSampler(proc.pid) as sampler:
        code = proc.wait()
    if code != 0:
        return {"error": f"exit status {code}"}
    result = json.loads(dst.read_text("utf-8"))
    cpu = _cpu_children() - cpu0
    result.update(cpu_s=cpu, cpu_ms_per_page=1000 * cpu / max(1, result["pages"]),
                  peak_rss_mb=sampler.peak_rss / 2**20, peak_pss_mb=sampler.peak_pss / 2**20,
                  machine_busy_s=_busy() - busy0, server=site.counters.snapshot())
    return result


def newswatch_texts(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("select url, text from articles"))
    finally:
        con.close()


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    from bench import quality, report
    from bench.bigsite import BigSite
    from bench.ingest import run_ingests

    warnings.filterwarnings("ignore")
    work = Path(tempfile.mkdtemp(prefix="nw-bench-"))
    started = time.time()
    load0 = os.getloadavg()
    fig: dict[str, Any] = {"pages": args.pages, "work_dir": str(work), "phases": {}}
    _log(f"generating {args.pages} pages")
    with BigSite(args.pages) as site:
        urls = site.article_urls
        random.Random(5).shuffle(urls)  # sites interleaved: a partial peer run covers all
        truth = site.truth()

        def phase(name: str, fn: Any) -> Any:
            _log(name)
            busy0, cpu0, t0 = _busy(), _cpu_children(), time.perf_counter()
            value = fn()
            fig["phases"][name] = {
                "wall_s": time.perf_counter() - t0, "machine_busy_s": _busy() - busy0,
                "bench_children_cpu_s": _cpu_children() - cpu0}
            return value

        fig["limit"] = phase("limit", lambda: measure_limit(site, work))
        fig["scrapy_floor"] = phase("scrapy-floor", lambda: measure_floor(site, urls, work))
        fig["newswatch_ingest"] = phase(
            "newswatch", lambda: run_ingests(site, work / "newswatch", args.concurrency))
        fig["peers"] = {}
        for tool in PEERS:
            fig["peers"][tool] = phase(tool, lambda tool=tool: run_peer(
                site, tool, urls, work, args.peer_budget, args.threads))
        texts = {"newswatch": newswatch_texts(work / "newswatch" / "nw.db")}
        texts.update({t: p.pop("texts", {}) for t, p in fig["peers"].items()})
        fig["quality"] = {"site": {t: quality.site_quality(truth, tx) for t, tx in texts.items()}}
    fig["quality"]["fixtures"] = phase_plain(fig, "quality-fixtures", quality.fixture_quality)
    fig["quality"]["aeb"] = phase_plain(fig, "quality-aeb", quality.aeb_quality)
    fig["versions"] = {"newswatch": version("newswatch"), "python": platform.python_version(),
                       **{t: version(t) for t in ("trafilatura", "news-please", "newspaper4k",
                                                  "scrapy", "lxml")}}
    fig["machine"] = {"cores": os.cpu_count(), "platform": platform.platform(),
                      "memory_mb": psutil.virtual_memory().total // 2**20,
                      "loadavg_start": load0, "loadavg_end": os.getloadavg()}
    fig["ratios"] = report.ratios(fig)
    fig["targets"] = report.targets(fig)
    fig["total_wall_s"] = time.time() - started
    return fig


def phase_plain(fig: dict[str, Any], name: str, fn: Any) -> Any:
    _log(name)
    t0 = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 (keep every other figure of a 15-minute run)
        _log(f"{name} failed: {exc!r}")
        value = {"error": repr(exc)}
    fig["phases"][name] = {"wall_s": time.perf_counter() - t0}
    return value


def profile_ingest(pages: int, out: Path) -> None:
    """`py-spy record --subprocesses` over `newswatch crawl` of a fresh store; collapsed
    stacks to `out` (open with speedscope or flamegraph.pl)."""
    from bench.bigsite import BigSite
    from bench.ingest import write_config

    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    with BigSite(pages) as site:
        config = write_config(site, Path(tempfile.mkdtemp(prefix="nw-profile-")))
        subprocess.run([str(spy), "record", "--subprocesses", "--rate", "100", "--format",
                        "raw", "-o", str(out), "--", sys.executable, "-m", "newswatch",
                        "--config", str(config), "crawl"], check=True,
                       stdout=subprocess.DEVNULL)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("all", help="the whole comparison; writes bench/out/bench.{json,png}")
    a.add_argument("--pages", type=int, default=5000, help="article pages (default 5000)")
    a.add_argument("--peer-budget", type=float, default=150.0,
                   help="seconds each peer may fetch for (default 150)")
    a.add_argument("--threads", type=int, default=16, help="peers' download threads")
    a.add_argument("--concurrency", type=int, default=16, help="newswatch per-site concurrency")
    a.add_argument("--out", type=Path, default=OUT)
    s = sub.add_parser("site", help="serve the generated site until Ctrl-C")
    s.add_argument("--pages", type=int, default=500)
    p = sub.add_parser("profile", help="py-spy profile of one newswatch crawl of the site")
    p.add_argument("--pages", type=int, default=2000)
    p.add_argument("--out", type=Path, default=OUT / "ingest-profile.txt",
                   help="py-spy raw (collapsed stacks) output")
    args = parser.parse_args(argv)
    if args.cmd == "profile":
        profile_ingest(args.pages, args.out)
        return
    if args.cmd == "site":
        from bench.bigsite import main as serve
        serve(["--pages", str(args.pages)])
        return
    from bench import report
    fig = run_all(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(fig, indent=2, ensure_ascii=False), "utf-8")
    report.save_chart(fig, args.out / "bench.png")
    report.print_table(fig)
    print(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")


if __name__ == "__main__":
    main()
