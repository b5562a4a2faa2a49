"""Fingerprints of clean article text: an exact hash and a near-duplicate signature.

`text_hash` ignores whitespace and paragraph layout, so re-rendered markup never
looks like a new text; any change of a word changes it.  The signature is a
MinHash over word 3-shingles, stored as bytes and compared with `similarity`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from extract.normalize import normalize_paragraph

NUM_PERM = 128
SHINGLE = 3
_SEED = 1
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def text_hash(text: str) -> str:
    """sha256 over the text's whitespace-separated tokens (NFC, invisible format
    characters such as soft hyphens dropped, as extract.normalize does), hex."""
    canonical = normalize_paragraph(text)  # whitespace folded, newlines included
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _template() -> MinHash:
    # Built once: MinHash() would otherwise draw its permutations on every call.
    return MinHash(num_perm=NUM_PERM, seed=_SEED)


def shingles(text: str) -> set[bytes]:
    tokens = words(text)
    if len(tokens) < SHINGLE:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i:i + SHINGLE]).encode("utf-8")
            for i in range(len(tokens) - SHINGLE + 1)}


def minhash(text: str) -> LeanMinHash:
    template = _template()
    m = MinHash(num_perm=NUM_PERM, seed=_SEED, permutations=template.permutations,
                scheme=template.scheme)
    m.update_batch(list(shingles(text)))
    return LeanMinHash(m)


def signature(text: str) -> bytes:
    """The MinHash signature of a text as bytes (NUM_PERM little-endian uint64)."""
    return minhash(text).hashvalues.astype("<u8").tobytes()


def from_signature(data: bytes) -> LeanMinHash:
    values = np.frombuffer(data, dtype="<u8").astype(np.uint64)
    return LeanMinHash(seed=_SEED, hashvalues=values, scheme=_template().scheme)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets, from their signatures."""
    va = np.frombuffer(a, dtype="<u8")
    vb = np.frombuffer(b, dtype="<u8")
    if va.shape != vb.shape or not len(va):
        return 0.0
    return float(np.count_nonzero(va == vb)) / len(va)
