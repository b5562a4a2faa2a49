"""Datasette (`newswatch serve`, a real subprocess) reads and searches while a writer ingests.

The writer is this file run as a script: the store's own ingest (the code path every
crawl and daemon run takes) over test_store_kill's pages, phase after phase with fresh
churn, so stories are created, edited (new versions), copied and touched for as long
as the readers run. Reader threads hammer the server with full-text searches, table
pages, canned queries and one SQL consistency probe. Each probe is a single SELECT, so
it sees one snapshot: any article without all its versions, its canonical URL row or
its search entry, or any event without its article, is a half-ingested article seen.

No request may fail, none may say "database is locked", and no probe may see half an
ingest.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = 4
PROBE = """SELECT
 (SELECT count(*) FROM articles a WHERE a.version !=
    (SELECT count(*) FROM versions v WHERE v.article_id = a.id)) AS missing_versions,
 (SELECT count(*) FROM articles a WHERE a.text_hash IS NOT
    (SELECT v.text_hash FROM versions v WHERE v.article_id = a.id AND v.version = a.version))
    AS stale_current_version,
 (SELECT count(*) FROM articles a WHERE NOT EXISTS
    (SELECT 1 FROM article_urls u WHERE u.url = a.url AND u.article_id = a.id)) AS no_url_row,
 (SELECT count(*) FROM article_urls u WHERE NOT EXISTS
    (SELECT 1 FROM articles a WHERE a.id = u.article_id)) AS orphan_urls,
 (SELECT count(*) FROM pages p WHERE p.article_id IS NOT NULL AND NOT EXISTS
    (SELECT 1 FROM articles a WHERE a.id = p.article_id)) AS orphan_pages,
 (SELECT count(*) FROM events e WHERE e.kind IN ('new', 'updated', 'duplicate')
    AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = e.article_id)) AS orphan_events,
 (SELECT count(*) FROM articles a WHERE NOT EXISTS
    (SELECT 1 FROM articles_fts f WHERE f.rowid = a.id)) AS not_searchable,
 (SELECT count(*) FROM articles) AS articles,
 (SELECT count(*) FROM versions) AS versions"""
SEARCHES = ["north AND korea", "treaty OR summit", '"north korea" AND moscow', "ferry",
            "harbour NOT drought"]


def writer(db: str, log: str, seconds: float) -> None:
    """Ingest test_store_kill's phases over and over, each round with fresh chrome churn,
    for at least `seconds` and two rounds (however fast ingest gets, readers get time)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_store_kill import CONTENT_TYPE, pages

    from extract import extract_page
    from store import RawPage, Store

    store = Store.open(db, events_log=log,
                       topics={"nk-russia": '"north korea" AND (russia OR moscow)'})
    print("ready", flush=True)
    start, n = time.monotonic(), 0
    while n < 2 or time.monotonic() - start < seconds:
        phase = min(n, 1)
        churn = f"{n} readers online, ad {random.randrange(10**6)}"
        run = store.start_run("a")
        for source, url, body in pages(phase, churn):
            page = RawPage(url, url, 200, {"content-type": CONTENT_TYPE}, body, source)
            store.ingest(page, extract_page(body, url, CONTENT_TYPE))
        store.finish_run(run, {"fetched": 1})
        print(f"round {n}", flush=True)
        n += 1
    store.close()
    print("done", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_until_serving(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            if fetch(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("newswatch serve did not come up")


def test_datasette_reads_and_searches_while_the_store_is_written(tmp_path: Path) -> None:
    db, log = tmp_path / "nw.db", tmp_path / "events.jsonl"
    config = tmp_path / "newswatch.toml"
    config.write_text(f'db = "{db.name}"\nevents_log = "{log.name}"\n\n[sources.a]\n'
                      'urls = ["http://a.test/story/0/"]\n')
    from store import Store

    Store.open(db, events_log=log).close()  # `serve` wants an existing store
    port = free_port()
    base = f"http://127.0.0.1:{port}/newswatch"  # the store is always served as newswatch
    server = subprocess.Popen([sys.executable, "-m", "newswatch", "--config", str(config),
                               "serve", "--port", str(port)], cwd=ROOT, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    write = None
    try:
        wait_until_serving(base + ".json", server)
        write = subprocess.Popen([sys.executable, __file__, str(db), str(log), "6"], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert write.stdout is not None and write.stdout.readline().strip() == "ready"
        statuses: Counter[int] = Counter()
        failures: list[str] = []
        probes: list[dict[str, int]] = []
        lock = threading.Lock()

        def read(worker: int) -> None:
            rng = random.Random(worker)
            while write.poll() is None:
                choice = rng.randrange(4)
                if choice == 0:
                    url = base + ".json?" + urllib.parse.urlencode(
                        {"sql": PROBE, "_shape": "objects"})
                elif choice == 1:
                    url = base + "/articles.json?" + urllib.parse.urlencode(
                        {"_search": rng.choice(SEARCHES), "_shape": "objects"})
                elif choice == 2:
                    url = base + f"/{rng.choice(['articles', 'versions', 'events'])}.json"
                else:
                    url = base + "/events"  # an HTML page, as a browser gets it
                status, body = fetch(url)
                with lock:
                    statuses[status] += 1
                    if status != 200 or "locked" in body:
                        failures.append(f"{status} {url}: {body[:300]}")
                    elif choice == 0:
                        probes.append(json.loads(body)["rows"][0])

        threads = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
        for thread in threads:
            thread.start()
        out, err = write.communicate(timeout=240)
        for thread in threads:
            thread.join(timeout=60)
        assert write.returncode == 0, err[-3000:]
        assert out.strip().endswith("done")
    finally:
        server.terminate()
        server.communicate(timeout=30)
        if write is not None and write.poll() is None:
            write.kill()
            write.wait()
    assert failures == [], failures[:5]
    assert sum(statuses.values()) >= 40 and len(probes) >= 10, (statuses, len(probes))
    grown = {p["articles"] for p in probes}
    assert len(grown) > 1, "the probes never saw the store change"
    half = [p for p in probes if any(v for k, v in p.items()
                                     if k not in ("articles", "versions"))]
    assert half == [], half[:3]
    print(f"{sum(statuses.values())} requests while writing, {len(probes)} probes,"
          f" {len(grown)} distinct article counts seen, none half-written")


if __name__ == "__main__":
    writer(sys.argv[1], sys.argv[2], float(sys.argv[3]))
