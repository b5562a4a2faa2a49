"""Crash safety: a writer killed with SIGKILL at random moments never leaves half an ingest.

A writer subprocess (this file run as a script) ingests a phase of pages through
Store.ingest: phase 0 publishes stories and syndicated copies, phase 1 edits some,
publishes more and churns every page's chrome.  The test kills it at random points
(NEWSWATCH_KILL_ITERATIONS, default 10, split over the phases), checks the store after
every kill, re-runs the phase to completion, and finally compares the events with an
uninterrupted reference run: same events, none doubled, events log = events table.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ITERATIONS = int(os.environ.get("NEWSWATCH_KILL_ITERATIONS", "10"))
PHASES = (0, 1)
STORIES = 40
COPIES = 12
EDITS = 10
CONTENT_TYPE = "text/html; charset=utf-8"
VOCABULARY = """army border treaty summit envoy minister harbour railway bridge grain export
missile sanction council vote budget reform market tariff drought harvest pipeline festival
museum court appeal verdict union strike wage port ferry satellite launch orbit probe telescope
galaxy survey election ballot"""
WORDS = VOCABULARY.split()
TOPIC_LINE = "Officials in Pyongyang and Moscow confirmed the talks on North Korea and Russia."


def _story(i: int, edited: bool) -> tuple[str, list[str]]:
    rng = random.Random(i)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "."
                  for _ in range(5)]
    if i % 2 == 0:
        paragraphs.insert(1, TOPIC_LINE)
    if edited:
        paragraphs.append(f"Update: story {i} was corrected on Tuesday after new reports.")
    return f"Story {i}: {rng.choice(WORDS)} and {rng.choice(WORDS)}", paragraphs


def _html(title: str, paragraphs: list[str], churn: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}"
            f"</title><meta property='og:type' content='article'></head><body><nav>"
            f"<a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
            f"<aside>{churn}</aside></body></html>").encode()


def pages(phase: int, churn: str) -> list[tuple[str, str, bytes]]:
    """(source, url, body) of one phase, in ingest order."""
    out = []
    count = STORIES if phase == 0 else STORIES + STORIES // 2
    for i in range(count):
        title, paragraphs = _story(i, edited=phase == 1 and i < EDITS)
        out.append(("a", f"http://a.test/story/{i}/", _html(title, paragraphs, churn)))
    for i in range(COPIES if phase == 0 else COPIES + 4):
        title, paragraphs = _story(i, edited=phase == 1 and i < EDITS)
        paragraphs = [*paragraphs, "This story originally appeared on A Test."]
        out.append(("b", f"http://b.test/copy/{i}/", _html(title, paragraphs, churn)))
    return out


def writer(db: str, log: str, phase: int, cache: str) -> float:
    """Ingest one phase into the store at `db`; returns the ingest time in seconds."""
    from extract import extract_page
    from store import RawPage, Store

    churn = f"{random.randrange(10**6)} readers now"
    items = []
    extractions = pickle.loads(Path(cache).read_bytes()) if Path(cache).exists() else {}
    for source, url, body in pages(phase, churn):
        if url not in extractions:
            extractions[url] = extract_page(body, url, CONTENT_TYPE)
        page = RawPage(url, url, 200, {"content-type": CONTENT_TYPE}, body, source)
        items.append((page, extractions[url]))
    Path(cache).write_bytes(pickle.dumps(extractions))
    store = Store.open(db, events_log=log,
                       topics={"nk-russia": '"north korea" AND (russia OR moscow)'})
    print("ready", flush=True)
    started = time.perf_counter()
    runs = {source: store.start_run(source) for source in ("a", "b")}
    for page, extraction in items:
        store.ingest(page, extraction)
    for run in runs.values():
        store.finish_run(run, {"fetched": len(items)})
    elapsed = time.perf_counter() - started
    print(f"done {elapsed:.3f}", flush=True)
    store.close()
    return elapsed


def run_writer(tmp: Path, name: str, phase: int, kill_after: float | None = None) -> float:
    """Run the writer: to completion in this process (returns its ingest time), or as a
    subprocess SIGKILLed `kill_after` seconds after it is ready."""
    args = [str(tmp / f"{name}.db"), str(tmp / f"{name}.jsonl"), str(phase),
            str(tmp / f"extractions-{phase}.pickle")]
    if kill_after is None:
        return writer(args[0], args[1], phase, args[3])
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return 0.0


def check_consistent(db: Path, log: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        bad_versions = conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN versions v ON v.article_id = a.id"
            " GROUP BY a.id HAVING count(v.version) != a.version"
            " OR coalesce(max(v.version), 0) != a.version").fetchall()
        assert bad_versions == []
        assert conn.execute("SELECT count(*) FROM article_urls u LEFT JOIN articles a"
                            " ON a.id = u.article_id WHERE a.id IS NULL").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM"
                            " article_urls u WHERE u.url = a.url AND u.article_id = a.id)"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM events e LEFT JOIN articles a"
                            " ON a.id = e.article_id WHERE e.kind IN ('new', 'updated',"
                            " 'duplicate') AND a.id IS NULL").fetchone()[0] == 0
        bands = conn.execute("SELECT count(DISTINCT article_id), count(*) FROM signature_bands"
                             ).fetchone()
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        from store.dedupe import BANDS
        assert tuple(bands) == (articles, articles * BANDS)
        assert doubled(conn) == []
        ids = [row[0] for row in conn.execute("SELECT id FROM events ORDER BY id")]
    finally:
        conn.close()
    complete = log.read_text().split("\n")[:-1] if log.exists() else []
    logged = [json.loads(line)["id"] for line in complete]
    # Every committed event has its line (appended before COMMIT); lines of rolled-back
    # ones may trail until the next open or append cuts them.
    assert logged[:len(ids)] == ids


def doubled(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT kind, article_id, url, json_extract(detail, '$.version'), count(*) FROM events"
        " GROUP BY 1, 2, 3, 4 HAVING count(*) > 1").fetchall()


def event_set(db: Path) -> Counter[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return Counter(conn.execute("SELECT kind, url FROM events").fetchall())
    finally:
        conn.close()


def snapshot(tmp: Path, name: str, to: str) -> None:
    """Copy a closed store (and its events log) under another name."""
    for suffix in (".db", ".jsonl"):
        source = tmp / f"{name}{suffix}"
        if source.exists():
            shutil.copyfile(source, tmp / f"{to}{suffix}")
        else:
            (tmp / f"{to}{suffix}").unlink(missing_ok=True)


def event_ids(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT id FROM events ORDER BY id")]
    finally:
        conn.close()


def test_sigkill_mid_ingest_never_leaves_half_an_article(tmp_path: Path) -> None:
    durations, references = {}, {}
    for phase in PHASES:
        snapshot(tmp_path, "reference", f"before-{phase}")
        durations[phase] = run_writer(tmp_path, "reference", phase)
        references[phase] = event_set(tmp_path / "reference.db")
    final = references[PHASES[-1]]
    assert final[("new", "http://a.test/story/0/")] == 1
    assert sum(n for (kind, _), n in final.items() if kind == "updated") == EDITS // 2
    assert sum(n for (kind, _), n in final.items() if kind == "duplicate") == (COPIES + 4) // 2
    rng = random.Random(int(os.environ.get("NEWSWATCH_KILL_SEED", time.time_ns())))
    interrupted = 0
    for iteration in range(ITERATIONS):
        phase = PHASES[iteration % len(PHASES)]
        snapshot(tmp_path, f"before-{phase}", "killed")
        run_writer(tmp_path, "killed", phase, kill_after=rng.uniform(0, durations[phase]))
        check_consistent(tmp_path / "killed.db", tmp_path / "killed.jsonl")
        partial = len(event_ids(tmp_path / "killed.db"))
        run_writer(tmp_path, "killed", phase)
        check_consistent(tmp_path / "killed.db", tmp_path / "killed.jsonl")
        assert event_set(tmp_path / "killed.db") == references[phase]
        ids = event_ids(tmp_path / "killed.db")
        logged = [json.loads(line)["id"] for line in
                  (tmp_path / "killed.jsonl").read_text().splitlines()]
        assert logged == ids
        interrupted += partial < len(ids)
    print(f"{ITERATIONS} kills, {interrupted} of them before the phase's last event")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    writer(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
    sys.stdin.read()  # stay alive until killed, even when done before the kill
