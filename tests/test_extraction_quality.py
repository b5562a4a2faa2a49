"""Quality floor on real pages: newswatch's extraction of the 91 aeb-dev pages, scored with the
benchmark's own scorer, must not fall below what it reaches now (minus a few thousandths).

`python -m bench.extraction` prints the full comparison with trafilatura's defaults.
Reached when pinned (trafilatura 2.3.1): F1 0.9795, precision 0.9743, recall 0.9847.
Without the fallback comparison on short texts (extract.options.FALLBACK_BELOW) recall
drops to 0.979, below RECALL_FLOOR.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from extract import extract_page

AEB_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "aeb-dev"
F1_FLOOR = 0.976
PRECISION_FLOOR = 0.970
RECALL_FLOOR = 0.981


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("aeb_score", AEB_DIR / "score.py")
    assert spec is not None and spec.loader is not None, f"no scorer in {AEB_DIR}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    score = scorer()
    truth_file = AEB_DIR / "ground-truth.json"
    truth = score.load_truth(truth_file)
    urls = {k: v["url"] for k, v in json.loads(truth_file.read_text("utf-8")).items()}
    predictions, rejected = {}, {}
    for page_id in sorted(truth):
        html = gzip.decompress((AEB_DIR / "html" / f"{page_id}.html.gz").read_bytes())
        result = extract_page(html, urls[page_id])
        predictions[page_id] = result.article.text if result.article else ""
        if result.reason:
            rejected[page_id] = result.reason
    results: dict[str, Any] = score.score(truth, predictions, sorted(truth), n_bootstrap=0)
    results["rejected"] = rejected
    return results


def test_all_pages_are_scored(scored: dict[str, Any]) -> None:
    assert scored["n"] == 91


def test_no_real_article_is_rejected(scored: dict[str, Any]) -> None:
    assert scored["rejected"] == {}


def test_f1_floor(scored: dict[str, Any]) -> None:
    assert scored["f1"] >= F1_FLOOR, scored


def test_precision_and_recall_floors(scored: dict[str, Any]) -> None:
    assert scored["precision"] >= PRECISION_FLOOR, scored
    assert scored["recall"] >= RECALL_FLOOR, scored


def test_a_short_fast_pass_gets_the_fallback_comparison(scored: dict[str, Any]) -> None:
    """The one aeb-dev page the fast pass reads worse (213 characters of a 427-character
    article): the readability comparison finds the rest, and it is complete."""
    page = scored["_per_page"][_page_id("e372e42c")]
    assert page["recall"] == 1.0, page


def _page_id(prefix: str) -> str:
    ids = [p.name.split(".")[0] for p in (AEB_DIR / "html").glob(f"{prefix}*.html.gz")]
    assert len(ids) == 1, ids
    return ids[0]
