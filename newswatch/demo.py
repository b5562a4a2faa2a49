"""`newswatch demo`: the fixture sites, served on 127.0.0.1, watched through their timeline.

The demo runs the daemon's own ingest (one `newswatch crawl` subprocess per cycle, the
command every scheduled run uses) once per timeline state, while the sites change the way
real ones do, and prints the events each cycle raised.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import FIXTURES_DIR, FixtureSites
from newswatch.hints import command_line
from scheduler import crawl_argv
from store import events
from store.db import connect

DEFAULT_FOLDER = Path("newswatch-demo")
# SPEC's example query, with the Korean and Russian names of the same things: with the
# default stems = "auto" they match their inflected forms (북한은, в Пхеньяне).
TOPIC = ('("north korea" OR pyongyang OR dprk OR "kim jong un" OR 북한 OR 평양 OR КНДР OR '
         'Пхеньян) AND (russia OR moscow OR putin OR kremlin OR 러시아 OR 모스크바 OR Россия OR '
         'Москва OR Кремль)')
# One source per discovery style, the way a user would configure these sites.
SOURCE_TEMPLATES = {
    "m31": {"start": ["/category/geopolitics/"], "follow": [r"/\d{4}/\d{2}/[a-z0-9-]+/?$"]},
    "westjournal": {"feed": ["/feed/"]},
    "analysis": {"sitemap": ["/sitemap-index.xml"]},
    "koreanews": {"feed": ["/rss.xml"]},
    "rusnews": {"feed": ["/rss.xml"]},
}
DEMO_FILES = ("newswatch.toml", "newswatch.db", "newswatch.db-wal", "newswatch.db-shm",
              "events.jsonl")


def source_lines(srv: FixtureServer, name: str, site: str) -> list[str]:
    """TOML lines configuring source `name` on fixture `site` in the demo's discovery style."""
    lines = [f"[sources.{name}]"]
    for key, values in SOURCE_TEMPLATES[site].items():
        if key != "follow":
            values = [srv.url(site, v) for v in values]
        # JSON strings are valid TOML basic strings, backslashes included.
        lines.append(f"{key} = [{', '.join(json.dumps(v) for v in values)}]")
    return lines


def fixture_config(srv: FixtureServer, sources: Mapping[str, tuple[str, str | None]],
                   defaults: dict[str, str] | None = None, db: str = "newswatch.db") -> str:
    """A newswatch.toml over the running fixture sites: sources maps a source name to
    (site, every or None for the default); `defaults` are raw TOML values."""
    lines = [f"db = {json.dumps(db)}", 'events_log = "events.jsonl"', "", "[defaults]",
             *(f"{key} = {value}" for key, value in (defaults or {}).items()), "",
             "[topics.nk-russia]", f"query = '{TOPIC}'", ""]
    for name, (site, every) in sources.items():
        lines += source_lines(srv, name, site)
        lines += [f"every = {json.dumps(every)}", ""] if every else [""]
    return "\n".join(lines)


def demo_config(srv: FixtureServer, folder: Path) -> Path:
    """Write the demo's newswatch.toml, pointing at the running fixture sites."""
    path = folder / "newswatch.toml"
    sources = {site: (site, None) for site in SOURCE_TEMPLATES}
    path.write_text(fixture_config(srv, sources, {"every": '"10s"', "delay": "0"}),
                    encoding="utf-8")
    return path


def reset_folder(folder: Path) -> None:
    """Start from an empty store; only the demo's own files are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def ingest_cycle(config_path: Path) -> dict[str, Any]:
    """One run of every source: the same subprocess the daemon starts for a scheduled run."""
    done = subprocess.run(crawl_argv(config_path), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    try:
        summary: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        summary = {}
    if done.returncode not in (0, 1):
        raise RuntimeError(f"crawl exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return summary


def new_events(db: Path, after: int) -> list[sqlite3.Row]:
    con = connect(db, read_only=True)
    try:
        return con.execute("select * from events where id > ? order by id", (after,)).fetchall()
    finally:
        con.close()


def format_event(row: sqlite3.Row) -> str:
    return "  " + events.format_line(events.from_row(row))


def store_totals(db: Path) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        one = lambda sql: int(con.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "articles": one("select count(*) from articles"),
            "on-topic articles": one("select count(*) from articles where topics != '[]'"),
            "versions": one("select count(*) from versions"),
            "urls": one("select count(*) from article_urls"),
            "copies": one("select count(*) from article_urls where relation = 'copy'"),
            "events": one("select count(*) from events"),
            "runs": one("select count(*) from runs"),
        }
    finally:
        con.close()


def run_demo(folder: Path = DEFAULT_FOLDER, echo: Callable[[str], None] = print,
             states: int | None = None) -> int:
    """The demo: one ingest cycle per timeline state (the first `states` of them)."""
    sites = FixtureSites(FIXTURES_DIR)
    timeline = json.loads((FIXTURES_DIR / "timeline.json").read_text())["states"]
    count = sites.state_count if states is None else max(1, min(states, sites.state_count))
    reset_folder(folder)
    started = time.monotonic()
    with FixtureServer(state=0, churn=True) as srv:
        config_path = demo_config(srv, folder)
        db = folder / "newswatch.db"
        echo(f"Serving {len(sites.names)} fixture news sites on 127.0.0.1: " +
             ", ".join(f"{name} {srv.base_url(name)}" for name in sites.names))
        echo(f"Config: {config_path}\n")
        last_event = 0
        for state in range(count):
            srv.set_state(state)
            summary = timeline[state].get("summary", "") if state < len(timeline) else ""
            echo(f"State {state}: {summary}")
            counts = ingest_cycle(config_path)
            rows = new_events(db, last_event)
            for row in rows:
                echo(format_event(row))
                last_event = row["id"]
            if not rows:
                echo("  (no events)")
            echo("  " + cycle_line(counts))
    totals = store_totals(db)
    echo(f"\nDone in {time.monotonic() - started:.0f}s. Store: " +
         ", ".join(f"{v} {k}" for k, v in totals.items()))
    for line in next_steps(config_path):
        echo(line)
    return 0


def next_steps(config_path: Path) -> list[str]:
    """What to run next, each command alone on its line, to paste from where the user is
    (`.venv/bin/newswatch ...` when the demo ran from the virtualenv without activating)."""
    return ["Browse it with Datasette (then open http://127.0.0.1:8001/; Ctrl-C stops it):",
            "    " + command_line("--config", config_path, "serve"),
            "Its events:",
            "    " + command_line("--config", config_path, "events")]


def cycle_line(summary: dict[str, Any]) -> str:
    keys = ("fetched", "new", "updated", "unchanged", "duplicates", "errors")
    totals = dict.fromkeys(keys, 0)
    for counts in summary.values():
        if isinstance(counts, dict):
            for key in keys:
                totals[key] += int(counts.get(key, 0) or 0)
    return "ingest: " + ", ".join(f"{k} {v}" for k, v in totals.items())
