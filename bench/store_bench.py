"""Store benchmark: ingest decisions per second and near-duplicate lookups at 100,000 articles.

    .venv/bin/python -m bench.store_bench                    # 100,000 stored articles
    .venv/bin/python -m bench.store_bench --articles 20000 --json
    .venv/bin/python -m bench.store_bench --datasketch       # + datasketch's in-memory LSH

Synthetic texts (Zipf-distributed vocabulary, so common words make shared shingles as in
real prose) are fingerprinted with the real extract.fingerprint.signature and seeded
straight into the tables, with their LSH band rows.  Then, on that store:

- lookups: dedupe.lookup for near-duplicates of stored texts (a paragraph swapped, a line
  added) and for fresh texts; ms per lookup and how many near-duplicates were found;
- ingest: Store.ingest of prepared extractions (new, unchanged, copy, updated; one
  transaction each, as the crawler calls it) and the pure decide() alone;
- the index: on-disk size of signature_bands, time to rebuild it from the stored
  signatures, time to open the store (no rebuild needed at start-up).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from extract.fingerprint import SEED, signature, text_hash
from extract.record import Article, Extraction
from store import RawPage, Store, dedupe
from store.decide import Content, Incoming, Near, State, Stored, decide

PARAGRAPHS, WORDS = 6, 60
VOCABULARY = [f"w{i}" for i in range(30000)]
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))


def text(rng: random.Random) -> str:
    return "\n\n".join(" ".join(rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=WORDS))
                       for _ in range(PARAGRAPHS))


def article(url: str, body: str) -> Article:
    return Article(url=url, title=body[:40], author=None, published=None, modified=None,
                   language="en", sitename=None, text=body, text_hash=text_hash(body),
                   signature=signature(body))


def seed(store: Store, count: int, rng: random.Random) -> tuple[list[str], float, float]:
    """Insert `count` articles directly; returns texts, signature s, insert s."""
    texts = [text(rng) for _ in range(count)]
    started = time.perf_counter()
    signatures = [signature(t) for t in texts]
    signing = time.perf_counter() - started
    started = time.perf_counter()
    now = store.now()
    for start in range(0, count, 5000):
        with store.transaction():
            for i in range(start, min(count, start + 5000)):
                url = f"http://seed.test/{i}/"
                cursor = store.conn.execute(
                    "INSERT INTO articles (url, source, title, text, text_hash, first_seen,"
                    " last_seen, last_changed, signature) VALUES (?, 'seed', ?, ?, ?, ?, ?, ?, ?)",
                    (url, texts[i][:40], texts[i], text_hash(texts[i]), now, now, now,
                     signatures[i]))
                article_id = cursor.lastrowid
                store.conn.execute(
                    "INSERT INTO versions (article_id, version, seen_at, title, text, text_hash)"
                    " VALUES (?, 1, ?, ?, ?, ?)",
                    (article_id, now, texts[i][:40], texts[i], text_hash(texts[i])))
                store.conn.execute(
                    "INSERT INTO article_urls (url, article_id, source, first_seen, last_seen,"
                    " relation, similarity) VALUES (?, ?, 'seed', ?, ?, 'canonical', 1.0)",
                    (url, article_id, now, now))
                dedupe.add(store.conn, int(article_id or 0), signatures[i])
    return texts, signing, time.perf_counter() - started


def near_copy(body: str, rng: random.Random) -> str:
    paragraphs = body.split("\n\n")
    paragraphs[rng.randrange(len(paragraphs))] = text(rng).split("\n\n")[0]
    return "\n\n".join(paragraphs) + "\n\nThis story originally appeared on Seed News."


def lookups(store: Store, texts: list[str], rng: random.Random, n: int) -> dict[str, Any]:
    queries: list[tuple[int | None, bytes]] = []
    for _ in range(n // 2):
        i = rng.randrange(len(texts))
        queries.append((i + 1, signature(near_copy(texts[i], rng))))
        queries.append((None, signature(text(rng))))
    times, found, false_hits = [], 0, 0
    for expected, sig in queries:
        started = time.perf_counter()
        matches = dedupe.lookup(store.conn, sig)
        times.append((time.perf_counter() - started) * 1000)
        if expected is not None:
            found += any(m.article_id == expected for m in matches)
        else:
            false_hits += bool(matches)
    times.sort()
    return {"lookups": len(queries), "mean_ms": round(statistics.mean(times), 3),
            "p50_ms": round(times[len(times) // 2], 3),
            "p99_ms": round(times[int(len(times) * 0.99)], 3),
            "near_duplicates_found": f"{found}/{n // 2}",
            "fresh_texts_matched": f"{false_hits}/{n // 2}"}


def pages(texts: list[str], rng: random.Random, n: int) -> list[tuple[str, RawPage, Extraction]]:
    out = []
    run = rng.randrange(10**9)  # fresh URLs and bodies, also when the store is reused
    for k in range(n):
        kind = ("new", "unchanged", "copy", "updated")[k % 4]
        i = rng.randrange(len(texts))
        url = f"http://seed.test/{i}/"
        if kind == "new":
            url, body = f"http://fresh.test/{run}/{k}/", text(rng)
        elif kind == "unchanged":
            body = texts[i]
        elif kind == "copy":
            url, body = f"http://copy.test/{run}/{k}/", near_copy(texts[i], rng)
        else:
            body = texts[i] + "\n\nUpdate: " + text(rng).split("\n\n")[0]
        html = f"<html><body><p>{run} {k}</p></body></html>".encode()
        page = RawPage(url, url, 200, {"content-type": "text/html"}, html, "bench")
        out.append((kind, page, Extraction(article(url, body))))
    return out


def ingest(store: Store, prepared: list[tuple[str, RawPage, Extraction]]) -> dict[str, Any]:
    per_kind: dict[str, list[float]] = {}
    results: dict[str, int] = {}
    started = time.perf_counter()
    for kind, page, extraction in prepared:
        t0 = time.perf_counter()
        result = store.ingest(page, extraction)
        per_kind.setdefault(kind, []).append(time.perf_counter() - t0)
        results[result.kind] = results.get(result.kind, 0) + 1
    total = time.perf_counter() - started
    return {"pages": len(prepared), "per_second": round(len(prepared) / total),
            "ms_by_kind": {k: round(statistics.mean(v) * 1000, 3) for k, v in per_kind.items()},
            "results": results}


def pure_decisions(n: int) -> int:
    stored = Stored(1, "http://a.test/x/", Content("t", "h1"))
    cases = [(State(), "h2"), (State(linked=stored, link_relation="canonical",
                                     previous=stored.content), "h1"),
             (State(near=[Near(stored, 0.9)]), "h3"),
             (State(linked=stored, link_relation="canonical", reextracted=stored.content),
              "h4")]
    started = time.perf_counter()
    for k in range(n):
        state, digest = cases[k % 4]
        decide(state, Incoming("http://b.test/y/", "http://b.test/y/", None,
                               Content("t", digest), "body"))
    return round(n / (time.perf_counter() - started))


def index_size(store: Store) -> dict[str, Any]:
    pages_ = {name: size for name, size in store.conn.execute(
        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")}
    bands = pages_.get("signature_bands", 0)
    rows = store.conn.execute("SELECT count(*) FROM signature_bands").fetchone()[0]
    return {"band_rows": rows, "signature_bands_mb": round(bands / 1e6, 1),
            "database_mb": round(sum(pages_.values()) / 1e6, 1)}


def datasketch_index(store: Store) -> dict[str, Any]:
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    def from_signature(data: bytes) -> LeanMinHash:
        values = np.frombuffer(data, dtype="<u8").astype(np.uint64)
        return LeanMinHash(seed=SEED, hashvalues=values, scheme="legacy")

    tracemalloc.start()
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=dedupe.LSH_THRESHOLD, num_perm=128)
    for article_id, sig in store.conn.execute("SELECT id, signature FROM articles"):
        lsh.insert(article_id, from_signature(sig), check_duplication=False)
    built = time.perf_counter() - started
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {"build_s": round(built, 1), "memory_mb": round(memory / 1e6)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--datasketch", action="store_true",
                        help="also build datasketch's in-memory MinHashLSH, for comparison")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--db", type=Path, default=None,
                        help="keep the seeded store here and reuse it on the next run"
                             " (the ingest part adds to it)")
    args = parser.parse_args(argv)
    rng = random.Random(20250602)
    report: dict[str, Any] = {"articles": args.articles}
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        store = Store.open(db)
        if store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]:
            texts = [row[0] for row in store.conn.execute(
                "SELECT text FROM articles WHERE source = 'seed' ORDER BY id")]
            report["articles"] = len(texts)
        else:
            texts, signing, inserting = seed(store, args.articles, rng)
            report["seed"] = {"signatures_s": round(signing, 1),
                              "insert_s": round(inserting, 1)}
        store.close()
        started = time.perf_counter()
        store = Store.open(db)
        # Queries and pages must be new to the store, also when it is reused (--db).
        rng = random.Random(time.time_ns())
        report["open_s"] = round(time.perf_counter() - started, 3)
        report["lookup"] = lookups(store, texts, rng, args.lookups)
        report["ingest"] = ingest(store, pages(texts, rng, args.pages))
        report["decide_per_second"] = pure_decisions(200_000)
        report["index"] = index_size(store)
        started = time.perf_counter()
        with store.transaction():
            dedupe.rebuild(store.conn)
        report["index"]["rebuild_s"] = round(time.perf_counter() - started, 1)
        if args.datasketch:
            report["datasketch_in_memory"] = datasketch_index(store)
        store.close()
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=None if args.json else 2))
    return report


if __name__ == "__main__":
    main()
