"""Extraction quality and speed on the real pages of aeb-dev, newswatch vs trafilatura defaults.

    .venv/bin/python -m bench.extraction            # table: F1, precision, recall, pages/s
    .venv/bin/python -m bench.extraction --json     # the same as JSON
    .venv/bin/python -m bench.extraction --save-predictions out/   # one JSON per extractor
    .venv/bin/python -m bench.extraction --near-duplicates   # MinHash vs Simhash separation

Reads the pages and ground truth from ../shared/aeb-dev (relative to the repo root) and
scores them with that folder's own score.py (word 4-shingles, per-page P/R averaged).
Both extractors run in the same process on the same raw bytes, page by page alternately;
each page is timed in CPU time (time.process_time, so other processes on the machine do
not distort the comparison), best of --repeat runs. pages/s = pages / summed CPU seconds.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from extract import extract_page

ROOT = Path(__file__).resolve().parents[1]
AEB_DIR = ROOT.parent / "shared" / "aeb-dev"

Extractor = Callable[[bytes, str], str]


def load_scorer(aeb_dir: Path = AEB_DIR) -> ModuleType:
    spec = importlib.util.spec_from_file_location("aeb_score", aeb_dir / "score.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(aeb_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(aeb_dir: Path = AEB_DIR) -> dict[str, tuple[str, bytes]]:
    """id -> (url, raw HTML bytes)."""
    truth = json.loads((aeb_dir / "ground-truth.json").read_text("utf-8"))
    return {page_id: (truth[page_id]["url"],
                      gzip.decompress((aeb_dir / "html" / f"{page_id}.html.gz").read_bytes()))
            for page_id in sorted(truth)}


def newswatch_text(html: bytes, url: str) -> str:
    result = extract_page(html, url)
    return result.article.text if result.article else ""


def trafilatura_defaults_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


EXTRACTORS: dict[str, Extractor] = {
    "newswatch": newswatch_text,
    "trafilatura-defaults": trafilatura_defaults_text,
}


def run(pages: dict[str, tuple[str, bytes]], extractors: dict[str, Extractor],
        repeat: int = 1) -> dict[str, dict[str, Any]]:
    """Predictions and total best-of-`repeat` seconds per extractor, interleaved per page."""
    out: dict[str, dict[str, Any]] = {name: {"pred": {}, "seconds": 0.0} for name in extractors}
    for page_id, (url, html) in pages.items():
        for name, fn in extractors.items():
            best = float("inf")
            for _ in range(repeat):
                start = time.process_time()
                text = fn(html, url)
                best = min(best, time.process_time() - start)
            out[name]["pred"][page_id] = text
            out[name]["seconds"] += best
    return out


def evaluate(repeat: int = 1, aeb_dir: Path = AEB_DIR,
             extractors: dict[str, Extractor] | None = None) -> dict[str, dict[str, Any]]:
    scorer = load_scorer(aeb_dir)
    truth = scorer.load_truth(aeb_dir / "ground-truth.json")
    pages = load_pages(aeb_dir)
    runs = run(pages, extractors or EXTRACTORS, repeat)
    results: dict[str, dict[str, Any]] = {}
    for name, data in runs.items():
        score = scorer.score(truth, data["pred"], sorted(truth), n_bootstrap=200)
        score.pop("_per_page", None)
        score["pages_per_second"] = len(pages) / data["seconds"]
        score["ms_per_page"] = 1000 * data["seconds"] / len(pages)
        score["predictions"] = data["pred"]
        results[name] = score
    return results


def near_duplicate_pairs() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(same-story pairs, different-article pairs) of clean texts, labelled.

    Same: each seed text against a syndicated copy of itself (last paragraph cut, a
    syndication note and a leaked newsletter line added), and every fixture syndicated copy
    against its original, both extracted from the rendered pages. Different: every pair of
    distinct articles among the seeds (five articles on the same North Korea-Russia story)
    and among the fixture articles.
    """
    from itertools import combinations

    from extract.normalize import normalize_text
    from newswatch.fixtures import FixtureSites

    seeds = {p.name[:3]: normalize_text(p.read_text("utf-8"))
             for p in sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))}
    same, different = [], []
    for (ka, a), (kb, b) in combinations(seeds.items(), 2):
        different.append((f"seed {ka} / seed {kb}", a, b))
    for key, text in seeds.items():
        paragraphs = text.split("\n\n")
        copy = "\n\n".join([*paragraphs[:-1], "This article originally appeared on Example News.",
                             "Sign up for our daily newsletter and never miss a story."])
        same.append((f"seed {key} / its syndicated copy", text, copy))
    sites = FixtureSites()
    bases = {name: f"http://127.0.0.1:{8000 + i}" for i, name in enumerate(sites.names)}
    state = sites.state_count - 1
    texts = {}
    for site in sites.names:
        for view in sites.views(site, state):
            page = sites.render(site, view.path, state, bases)
            result = extract_page(page.body, bases[site] + view.path,
                                  page.headers.get("Content-Type"))
            if result.article:
                texts[(site, view.path)] = (result.article.text, view)
    for ((sa, pa), (ta, va)), ((sb, pb), (tb, vb)) in combinations(texts.items(), 2):
        is_copy = (va.original is not None and va.original.path == pb) or \
            (vb.original is not None and vb.original.path == pa)
        (same if is_copy else different).append((f"{sa}{pa} / {sb}{pb}", ta, tb))
    return same, different


def near_duplicates() -> dict[str, dict[str, Any]]:
    """Similarity of same-story vs different-article pairs under MinHash and Simhash."""
    from trafilatura.deduplication import Simhash

    from extract.fingerprint import signature, similarity

    same, different = near_duplicate_pairs()
    methods: dict[str, Callable[[str, str], float]] = {
        "minhash (numpy multiply-shift, 128 values, word 3-shingles)":
            lambda a, b: similarity(signature(a), signature(b)),
        "simhash (trafilatura, 64 bit)": lambda a, b: Simhash(a).similarity(Simhash(b)),
    }
    out = {}
    for name, fn in methods.items():
        s = sorted((fn(a, b), label) for label, a, b in same)
        d = sorted(((fn(a, b), label) for label, a, b in different), reverse=True)
        out[name] = {"same_min": s[0], "different_max": d[0], "gap": s[0][0] - d[0][0],
                     "same_pairs": len(s), "different_pairs": len(d)}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="timing runs per page (best of)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--save-predictions", type=Path, metavar="DIR",
                        help="write DIR/<extractor>.json for score.py --paired")
    parser.add_argument("--near-duplicates", action="store_true",
                        help="compare MinHash and Simhash on same-story vs different articles")
    args = parser.parse_args(argv)
    if args.near_duplicates:
        for name, res in near_duplicates().items():
            print(f"{name}\n  same story, lowest:      {res['same_min'][0]:.3f}  "
                  f"({res['same_min'][1]}, {res['same_pairs']} pairs)\n"
                  f"  different, highest:     {res['different_max'][0]:.3f}  "
                  f"({res['different_max'][1]}, {res['different_pairs']} pairs)\n"
                  f"  gap:                    {res['gap']:.3f}")
        return
    if not (AEB_DIR / "ground-truth.json").exists():
        sys.exit(f"bench.extraction: no benchmark pages at {AEB_DIR}")
    results = evaluate(args.repeat)
    if args.save_predictions:
        args.save_predictions.mkdir(parents=True, exist_ok=True)
        for name, res in results.items():
            (args.save_predictions / f"{name}.json").write_text(
                json.dumps(res["predictions"], ensure_ascii=False), "utf-8")
    for res in results.values():
        res.pop("predictions")
    base = results["trafilatura-defaults"]["ms_per_page"]
    for res in results.values():
        res["time_vs_trafilatura_defaults"] = res["ms_per_page"] / base
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"aeb-dev: {results['newswatch']['n']} pages, {AEB_DIR}")
    print(f"{'extractor':<22}{'F1':>8}{'precision':>11}{'recall':>9}{'empty':>7}"
          f"{'pages/s':>9}{'ms/page':>9}{'time x':>8}")
    for name, res in results.items():
        print(f"{name:<22}{res['f1']:>8.4f}{res['precision']:>11.4f}{res['recall']:>9.4f}"
              f"{res['empty_predictions']:>7}{res['pages_per_second']:>9.1f}"
              f"{res['ms_per_page']:>9.1f}{res['time_vs_trafilatura_defaults']:>8.2f}")


if __name__ == "__main__":
    main()
