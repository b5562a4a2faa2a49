"""Fingerprints of clean article text: an exact hash and a near-duplicate signature.

`text_hash` ignores whitespace and paragraph layout, so re-rendered markup never
looks like a new text; any change of a word changes it.  The signature is a
MinHash over word 3-shingles, stored as bytes and compared with `similarity`.

The MinHash is computed in numpy, with multiply-shift hashing (one random odd 64-bit
multiplier and offset per value): each distinct word is hashed once (crc32), a shingle's
hash mixes its three word hashes, and the 128 minimums come from one array operation.
datasketch's MinHash hashed every shingle with SHA-1 in a Python loop and permuted modulo
a prime: 1.9x the time, for the same estimate of the Jaccard similarity. A change of this
scheme changes every signature: store migration m003 recomputed the stored ones.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib

import numpy as np

from extract.normalize import normalize_paragraph

NUM_PERM = 128
SHINGLE = 3
SEED = 1  # of the multiply-shift parameters
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def text_hash(text: str) -> str:
    """sha256 over the text's whitespace-separated tokens (NFC, invisible format
    characters such as soft hyphens dropped, as extract.normalize does), hex."""
    canonical = normalize_paragraph(text)  # whitespace folded, newlines included
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shingles(text: str) -> set[bytes]:
    """The text's word 3-shingles: what the signature estimates Jaccard similarity over."""
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i:i + SHINGLE]).encode("utf-8")
            for i in range(len(tokens) - SHINGLE + 1)}


def _odd_multipliers() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    multipliers = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + 1
    offsets = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
    return multipliers[:, None], offsets[:, None]


_MULTIPLIERS, _OFFSETS = _odd_multipliers()
# odd constants (splitmix64's) that mix a shingle's three word hashes into 64 bits
_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB], dtype=np.uint64)
_EMPTY = np.full(NUM_PERM, 2**32 - 1, dtype=np.uint64)


def shingle_hashes(text: str) -> np.ndarray:
    """A 64-bit hash of each word 3-shingle of the text, repeats included (they do not
    change a minimum); a text of one or two words is one shingle."""
    tokens = words(text)
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    ids = {word: zlib.crc32(word.encode("utf-8")) for word in dict.fromkeys(tokens)}
    h = np.fromiter((ids[word] for word in tokens), dtype=np.uint64, count=len(tokens))
    if len(h) < SHINGLE:
        h = np.concatenate([h, np.zeros(SHINGLE - len(h), dtype=np.uint64)])
    # unsigned arithmetic wraps modulo 2**64, which is what the hash wants
    return h[:-2] * _MIX[0] + h[1:-1] * _MIX[1] + h[2:] * _MIX[2]


def signature(text: str) -> bytes:
    """The MinHash signature of a text as bytes (NUM_PERM little-endian uint64, each the
    minimum over the shingles of a 32-bit multiply-shift hash)."""
    hashed = shingle_hashes(text)
    if not len(hashed):
        return _EMPTY.astype("<u8").tobytes()
    values = ((_MULTIPLIERS * hashed + _OFFSETS) >> np.uint64(32)).min(axis=1)
    return values.astype("<u8").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets, from their signatures."""
    va = np.frombuffer(a, dtype="<u8")
    vb = np.frombuffer(b, dtype="<u8")
    if va.shape != vb.shape or not len(va):
        return 0.0
    return float(np.count_nonzero(va == vb)) / len(va)
