"""Turn the figures of one `python -m bench all` run into ratios, a table and a chart.

    targets(figures) -> list of {name, measured, target, ok}
    print_table(figures); save_chart(figures, path)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOOLS = ("newswatch", "trafilatura", "news-please", "newspaper4k")


def ratios(fig: dict[str, Any]) -> dict[str, float | None]:
    ingest, peers, limit = fig["newswatch_ingest"], fig["peers"], fig["limit"]
    cores = limit["cores"]
    fastest = max((p["pages_per_s"] for p in peers.values() if "pages_per_s" in p), default=0)
    return {
        "ingest_vs_machine_limit": ingest["pages_per_s"] / limit["pages_per_s_limit"],
        "ingest_vs_fastest_peer": ingest["pages_per_s"] / fastest if fastest else None,
        "reingest_cpu_fraction": ingest["reingest_cpu_fraction"],
        "reingest_bytes_fraction": ingest["reingest_bytes_fraction"],
        # CPU-time view, robust to other load on the machine: pages/s if every core did
        # nothing but this work (cores / CPU seconds per page)
        "ingest_cpu_bound_pages_per_s": cores / (ingest["cpu_per_page_ms"] / 1000),
        "ingest_cpu_bound_vs_machine_limit":
            cores / (ingest["cpu_per_page_ms"] / 1000) / limit["pages_per_s_limit"],
        "peak_rss_mb": ingest["first"]["peak_rss_mb"],
        "peak_pss_mb": ingest["first"]["peak_pss_mb"],
        **_ceiling(fig),
    }


def _ceiling(fig: dict[str, Any]) -> dict[str, float]:
    """What any ingest built on Scrapy and trafilatura could reach here: both cores doing
    nothing but Scrapy's own fetching and one plain trafilatura.extract per page."""
    floor, limit = fig.get("scrapy_floor"), fig["limit"]
    if not floor or "cpu_ms_per_page" not in floor:
        return {}
    per_page_ms = floor["cpu_ms_per_page"] + limit["trafilatura_extract_ms_per_page"]
    ceiling = limit["cores"] * 1000 / per_page_ms
    return {"scrapy_floor_cpu_ms_per_page": floor["cpu_ms_per_page"],
            "scrapy_plus_trafilatura_ceiling_pages_per_s": ceiling,
            "ceiling_vs_machine_limit": ceiling / limit["pages_per_s_limit"],
            "ingest_vs_ceiling": fig["newswatch_ingest"]["pages_per_s"] / ceiling}


def _best(fig: dict[str, Any], key: str) -> bool | None:
    scores = {t: q.get("f1") for t, q in fig["quality"].get(key, {}).items()}
    if not scores or scores.get("newswatch") is None:
        return None
    return all(scores["newswatch"] >= (f or 0) for f in scores.values())


def targets(fig: dict[str, Any]) -> list[dict[str, Any]]:
    r = fig["ratios"]
    rows = [
        ("full-ingest pages/s vs machine limit", r["ingest_vs_machine_limit"], ">= 0.75",
         r["ingest_vs_machine_limit"] >= 0.75),
        ("full-ingest pages/s vs fastest peer", r["ingest_vs_fastest_peer"], ">= 1.5",
         r["ingest_vs_fastest_peer"] is not None and r["ingest_vs_fastest_peer"] >= 1.5),
        ("re-ingest CPU / first ingest", r["reingest_cpu_fraction"], "<= 0.05",
         r["reingest_cpu_fraction"] <= 0.05),
        ("re-ingest body bytes / first ingest", r["reingest_bytes_fraction"], "<= 0.01",
         r["reingest_bytes_fraction"] <= 0.01),
        ("peak memory of the ingest, MB (RSS sum)", r["peak_rss_mb"], "< 400",
         r["peak_rss_mb"] < 400),
        ("F1 on aeb-dev: best of four", fig["quality"]["aeb"].get("newswatch", {}).get("f1"),
         "best", _best(fig, "aeb")),
        ("F1 on fixture expectations: best of four",
         fig["quality"]["fixtures"].get("newswatch", {}).get("f1"), "best",
         _best(fig, "fixtures")),
    ]
    return [{"name": n, "measured": m, "target": t, "ok": ok} for n, m, t, ok in rows]


def rows(fig: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per tool: speed, memory, quality."""
    out = []
    for tool in TOOLS:
        q = fig["quality"]
        aeb = q["aeb"].get(tool, {})
        fx = q["fixtures"].get(tool, {})
        site = q["site"].get(tool, {})
        if tool == "newswatch":
            ing = fig["newswatch_ingest"]
            speed = {"what": "full ingest", "pages": ing["pages"],
                     "pages_per_s": ing["pages_per_s"],
                     "cpu_ms_per_page": ing["cpu_per_page_ms"],
                     "peak_rss_mb": ing["first"]["peak_rss_mb"]}
        else:
            p = fig["peers"].get(tool, {})
            speed = {"what": "fetch+extract", "pages": p.get("pages"),
                     "pages_per_s": p.get("pages_per_s"),
                     "cpu_ms_per_page": p.get("cpu_ms_per_page"),
                     "peak_rss_mb": p.get("peak_rss_mb")}
        out.append({"tool": tool, "version": fig["versions"].get(tool), **speed,
                    "f1_aeb": aeb.get("f1"), "f1_fixtures": fx.get("f1"),
                    "fixtures_passed": f"{fx.get('passed', '-')}/{fx.get('pages', '-')}",
                    "f1_site": site.get("f1")})
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(fig: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"newswatch vs peers, {fig['pages']} pages, {fig['machine']['cores']} "
                        f"cores; machine limit {fig['limit']['pages_per_s_limit']:.0f} pages/s")
    for col in ("tool", "version", "measured", "pages", "pages/s", "CPU ms/page",
                "peak MB", "F1 aeb-dev", "F1 fixtures", "fixtures ok", "F1 big site"):
        table.add_column(col, justify="left" if col in ("tool", "measured") else "right")
    for r in rows(fig):
        table.add_row(r["tool"], r["version"], r["what"], _fmt(r["pages"]),
                      _fmt(r["pages_per_s"]), _fmt(r["cpu_ms_per_page"]),
                      _fmt(r["peak_rss_mb"], 0), _fmt(r["f1_aeb"], 3),
                      _fmt(r["f1_fixtures"], 3), r["fixtures_passed"], _fmt(r["f1_site"], 3))
    goals = Table(title="targets")
    for col in ("target", "measured", "wanted", "met"):
        goals.add_column(col)
    for t in fig["targets"]:
        goals.add_row(t["name"], _fmt(t["measured"], 3), t["target"],
                      {True: "yes", False: "NO", None: "-"}[t["ok"]])
    console = Console(width=140)
    console.print(table)
    console.print(goals)
    r = fig["ratios"]
    if "scrapy_floor_cpu_ms_per_page" in r:
        console.print(
            f"Scrapy alone (fetch, extract nothing): {r['scrapy_floor_cpu_ms_per_page']:.2f} CPU"
            f" ms/page, {fig['scrapy_floor']['pages_per_s']:.0f} pages/s. Scrapy + one plain"
            f" trafilatura.extract per page on every core: at most"
            f" {r['scrapy_plus_trafilatura_ceiling_pages_per_s']:.0f} pages/s ="
            f" {r['ceiling_vs_machine_limit']:.2f} x the machine limit; newswatch's full ingest"
            f" is {r['ingest_vs_ceiling']:.2f} x that ceiling.")


def save_chart(fig: dict[str, Any], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = rows(fig)
    names = [r["tool"] for r in data]
    speed = [r["pages_per_s"] or 0 for r in data]
    f1_aeb = [r["f1_aeb"] or 0 for r in data]
    f1_fx = [r["f1_fixtures"] or 0 for r in data]
    colors = ["#1f77b4" if n == "newswatch" else "#999999" for n in names]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.bar(names, speed, color=colors)
    left.axhline(fig["limit"]["pages_per_s_limit"], color="#d62728", linestyle="--",
                 label="machine limit (trafilatura.extract x cores)")
    ceiling = fig["ratios"].get("scrapy_plus_trafilatura_ceiling_pages_per_s")
    if ceiling:
        left.axhline(ceiling, color="#2ca02c", linestyle=":",
                     label="Scrapy fetch + trafilatura.extract, x cores")
    left.set_ylabel("pages/s")
    left.set_title(f"pages/s, {fig['pages']}-page site on 127.0.0.1\n"
                   "(newswatch: full ingest; peers: fetch + extract)", fontsize=10)
    left.legend(fontsize=8)
    for i, v in enumerate(speed):
        left.text(i, v, f"{v:.0f}", ha="center", va="bottom", fontsize=9)
    x = range(len(names))
    right.bar([i - 0.2 for i in x], f1_aeb, width=0.4, label="aeb-dev (91 real pages)",
              color="#1f77b4")
    right.bar([i + 0.2 for i in x], f1_fx, width=0.4, label="fixture pages", color="#ff7f0e")
    right.set_xticks(list(x), names)
    low = min([v for v in f1_aeb + f1_fx if v] or [0.8])
    right.set_ylim(max(0.0, low - 0.05), 1.0)
    right.set_title("extraction F1 (word 4-shingles, aeb score.py)", fontsize=10)
    right.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
