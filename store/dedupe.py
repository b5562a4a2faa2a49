"""Near-duplicate lookup: MinHash LSH banding kept in SQLite.

Each article's 128-value MinHash signature (extract.fingerprint.signature) is
cut into BANDS bands of ROWS values; each band hashes to one key stored in
`signature_bands`.  Two texts share a band key with high probability when their
estimated Jaccard similarity is above about LSH_THRESHOLD; every candidate is
then checked with the exact signature comparison against COPY_THRESHOLD.

Why in SQLite rather than an in-memory datasketch.MinHashLSH: with 100,000
articles (bench/store_bench.py --datasketch) MinHashLSH took 1.06 GB and over a
minute to rebuild at every start; the band rows (59 MB on disk) cost no Python
memory, commit in the same transaction as the article (a crash cannot leave
the index out of step) and need no rebuild.  A lookup is one indexed query,
about 0.1 ms at 100,000 articles.
BANDS x ROWS is datasketch's own optimum for LSH_THRESHOLD
(`MinHashLSH(threshold=LSH_THRESHOLD, num_perm=128).b, .r`).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from extract.fingerprint import NUM_PERM, similarity

# A copy is a text whose estimated Jaccard similarity (word 3-shingles) with a
# stored article is at least COPY_THRESHOLD.  Measured on the fixtures (see
# tests/test_store_dedupe.py): the syndicated copy 1.00 (0.97 if its "originally
# appeared on" line is kept), the same story by other writers at most 0.023 over
# 105 pairs, an edit adding one paragraph 0.93 (edits are matched by URL first).
# 0.5 sits far from both, and still takes a copy that cut or added a third.
COPY_THRESHOLD = 0.5
LSH_THRESHOLD = 0.4  # candidates: a little below COPY_THRESHOLD to miss fewer
BANDS = 32
ROWS = 4
MAX_CANDIDATES = 200  # a degenerate text colliding with everything is checked this far


@dataclass(frozen=True)
class Match:
    article_id: int
    similarity: float


@lru_cache(maxsize=64)  # an ingest looks a signature up, then adds it: keyed once
def band_keys(signature: bytes) -> tuple[int, ...]:
    """The BANDS index keys of one signature (signed 64-bit ints, band number mixed in)."""
    values = np.frombuffer(signature, dtype="<u8")
    if len(values) != NUM_PERM:
        raise ValueError(f"signature has {len(values)} values, expected {NUM_PERM}")
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, salt=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


def add(conn: sqlite3.Connection, article_id: int, signature: bytes | None) -> None:
    if signature:
        conn.executemany("INSERT OR IGNORE INTO signature_bands (key, article_id) VALUES (?, ?)",
                         [(key, article_id) for key in band_keys(signature)])


def remove(conn: sqlite3.Connection, article_id: int, signature: bytes | None) -> None:
    if signature:
        conn.executemany("DELETE FROM signature_bands WHERE key = ? AND article_id = ?",
                         [(key, article_id) for key in band_keys(signature)])


def lookup(conn: sqlite3.Connection, signature: bytes | None,
           threshold: float = COPY_THRESHOLD) -> list[Match]:
    """Stored articles whose text is a near-duplicate of `signature`, most similar first."""
    if not signature:
        return []
    keys = band_keys(signature)
    marks = ",".join("?" * len(keys))
    ids = [row[0] for row in conn.execute(
        f"SELECT DISTINCT article_id FROM signature_bands WHERE key IN ({marks}) LIMIT ?",
        [*keys, MAX_CANDIDATES])]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    matches = []
    for article_id, stored in conn.execute(
            f"SELECT id, signature FROM articles WHERE id IN ({marks})", ids):
        score = similarity(signature, stored) if stored else 0.0
        if score >= threshold:
            matches.append(Match(article_id, score))
    matches.sort(key=lambda m: (-m.similarity, m.article_id))
    return matches


def rebuild(conn: sqlite3.Connection) -> int:
    """Re-derive every band row from the stored signatures (after a change of BANDS/ROWS,
    in a migration); returns the number of articles indexed. Call inside a transaction."""
    conn.execute("DELETE FROM signature_bands")
    indexed = 0
    for article_id, stored in conn.execute("SELECT id, signature FROM articles"
                                           " WHERE signature IS NOT NULL"):
        add(conn, article_id, stored)
        indexed += 1
    return indexed
