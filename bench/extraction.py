"""Extraction quality and speed on real pages: newswatch vs trafilatura, on both dev sets.

    .venv/bin/python -m bench.extraction                 # both sets, pooled, listings, speed
    .venv/bin/python -m bench.extraction --json          # the same as JSON
    .venv/bin/python -m bench.extraction --save DIR      # predictions + reasons per extractor
    .venv/bin/python -m bench.extraction --against DIR   # paired diff vs a saved newswatch run
    .venv/bin/python -m bench.extraction --near-duplicates   # MinHash vs Simhash separation

The sets are ../shared/aeb-dev (91 news articles) and ../shared/modern-dev (230 article
pages of 2025-2026 and 71 listing/collection pages), read in place and scored with their
own score.py (word 4-shingles, per-page precision and recall averaged, F1 of the means).
"pooled" scores the 321 articles as one set, each page weighing the same. A change is
judged on both sets together: it must not lose on either (the paired bootstrap lines give
the difference and the share of resamples where newswatch wins).

Every extractor runs in one process on the same raw bytes, page by page alternately, timed
in CPU time (time.process_time: other processes on the machine do not count). ms/page is
over the article pages; "x balanced" is the ratio to trafilatura's balanced extraction
(`extract(include_comments=False)`), measured in the same run. An untimed pass over every
page comes first (--no-warm-up skips it): the crawler's extraction workers live long, and
the first pages would otherwise pay for one-off work such as dateparser compiling the
regular expressions of each language it meets.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from extract import extract_page

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
AEB_DIR = SHARED / "aeb-dev"
MODERN_DIR = SHARED / "modern-dev"
DATASETS = {"aeb-dev": AEB_DIR, "modern-dev": MODERN_DIR}
LISTING_TYPES = frozenset({"listing", "collection"})
ARTICLE_TYPES = frozenset({"article", "blog"})

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True)
class Page:
    key: str  # "<set>/<id>": unique over the sets
    url: str
    html: bytes
    kind: str  # "article", or modern-dev's page_type of a page that is not one
    truth: str | None  # the ground-truth text of an article page


def load_scorer(aeb_dir: Path = AEB_DIR) -> ModuleType:
    spec = importlib.util.spec_from_file_location("aeb_score", aeb_dir / "score.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(aeb_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _html(folder: Path, page_id: str) -> bytes:
    return gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())


def load_set(name: str, listings: bool = True) -> list[Page]:
    """A dev set's article pages with their truth, and (modern-dev) its listing pages."""
    folder = DATASETS[name]
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = [Page(f"{name}/{i}", truth[i]["url"], _html(folder, i), "article",
                  truth[i].get("articleBody") or "") for i in sorted(truth)]
    described = folder / "pages.json"
    if listings and described.exists():
        for i, page in sorted(json.loads(described.read_text("utf-8")).items()):
            if page["page_type"] in LISTING_TYPES:
                pages.append(Page(f"{name}/{i}", page["url"], _html(folder, i),
                                  page["page_type"], None))
    return pages


def newswatch_text(html: bytes, url: str) -> str:
    result = extract_page(html, url)
    return result.article.text if result.article else ""


def newswatch_reason(html: bytes, url: str) -> str:
    return extract_page(html, url).reason or ""


def trafilatura_defaults_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def trafilatura_balanced_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, url=url, include_comments=False) or ""


def trafilatura_precision_text(html: bytes, url: str) -> str:
    return trafilatura.extract(html, url=url, include_comments=False, favor_precision=True) or ""


EXTRACTORS: dict[str, Extractor] = {
    "newswatch": newswatch_text,
    "trafilatura-defaults": trafilatura_defaults_text,
    "trafilatura-balanced": trafilatura_balanced_text,
    "trafilatura-precision": trafilatura_precision_text,
}
BASE = "trafilatura-balanced"


def run(pages: list[Page], extractors: dict[str, Extractor],
        repeat: int = 1, warm_up: bool = True) -> dict[str, dict[str, Any]]:
    """Text and best-of-`repeat` CPU seconds per extractor and page, interleaved per page."""
    if warm_up:
        for page in pages:
            for fn in extractors.values():
                fn(page.html, page.url)
    out: dict[str, dict[str, Any]] = {name: {"pred": {}, "seconds": {}} for name in extractors}
    for page in pages:
        for name, fn in extractors.items():
            best = float("inf")
            for _ in range(repeat):
                start = time.process_time()
                text = fn(page.html, page.url)
                best = min(best, time.process_time() - start)
            out[name]["pred"][page.key] = text
            out[name]["seconds"][page.key] = best
    return out


def _score(scorer: ModuleType, truth: dict[str, str], pred: dict[str, str],
           n_bootstrap: int = 200) -> dict[str, Any]:
    res: dict[str, Any] = scorer.score(truth, pred, sorted(truth), n_bootstrap=n_bootstrap)
    res.pop("_per_page", None)
    return res


def evaluate(repeat: int = 1, sets: tuple[str, ...] = tuple(DATASETS),
             extractors: dict[str, Extractor] | None = None,
             warm_up: bool = True) -> dict[str, Any]:
    """Scores per set and pooled, listing rejection, speed, per extractor."""
    scorer = load_scorer()
    extractors = extractors or EXTRACTORS
    pages = [p for name in sets for p in load_set(name)]
    runs = run(pages, extractors, repeat, warm_up)
    articles = [p for p in pages if p.truth is not None]
    listings = [p for p in pages if p.kind in LISTING_TYPES]
    groups = {name: {p.key: str(p.truth) for p in articles if p.key.startswith(name + "/")}
              for name in sets}
    if len(sets) > 1:
        groups["pooled"] = {p.key: str(p.truth) for p in articles}
    results: dict[str, Any] = {"sets": {}, "extractors": {}}
    for name, data in runs.items():
        pred = data["pred"]
        ms = 1000 * sum(data["seconds"][p.key] for p in articles) / len(articles)
        results["extractors"][name] = {
            "ms_per_page": ms,
            "articles_rejected": sorted(p.key for p in articles if not pred[p.key].strip()),
            "listings_rejected": sum(1 for p in listings if not pred[p.key].strip()),
            "listings": len(listings),
            "predictions": pred,
        }
    for group, truth in groups.items():
        results["sets"][group] = {
            name: _score(scorer, truth, {k: runs[name]["pred"][k] for k in truth})
            for name in runs}
        if "newswatch" in runs:
            results["sets"][group]["paired"] = {
                other: scorer.paired_diff(truth, runs["newswatch"]["pred"],
                                          runs[other]["pred"], sorted(truth), n_bootstrap=500)
                for other in runs if other != "newswatch"}
    return results


def _against(results: dict[str, Any], folder: Path, sets: tuple[str, ...]) -> None:
    """Paired difference between this run's newswatch and a saved one, per set."""
    scorer = load_scorer()
    saved = json.loads((folder / "newswatch.json").read_text("utf-8"))
    now = results["extractors"]["newswatch"]["predictions"]
    articles = [p for name in sets for p in load_set(name, listings=False)]
    print(f"\nnewswatch now vs {folder}/newswatch.json (paired bootstrap, 1000 resamples)")
    groups = [(name, [p for p in articles if p.key.startswith(name + "/")]) for name in sets]
    for group, members in [*groups, ("pooled", articles)]:
        truth = {p.key: str(p.truth) for p in members}
        diff = scorer.paired_diff(truth, now, saved, sorted(truth))
        print(f"  {group:<11}" + "  ".join(
            f"{k} {d:+.4f} ±{s:.4f} (wins {w:.0%})" for k, (d, s, w) in diff.items()))
    changed = [k for k in now if k in saved and now[k] != saved[k]]
    print(f"  {len(changed)} pages read differently: {' '.join(changed[:40])}")


def print_table(results: dict[str, Any]) -> None:
    extractors = results["extractors"]
    base = extractors.get(BASE, {}).get("ms_per_page")
    for group, scores in results["sets"].items():
        print(f"\n{group} ({scores['newswatch']['n'] if 'newswatch' in scores else ''} articles)")
        print(f"  {'extractor':<24}{'F1':>8}{'prec':>8}{'recall':>8}{'empty':>7}")
        for name in extractors:
            s = scores[name]
            print(f"  {name:<24}{s['f1']:>8.4f}{s['precision']:>8.4f}{s['recall']:>8.4f}"
                  f"{s['empty_predictions']:>7}")
        for other, diff in scores.get("paired", {}).items():
            f1, std, wins = diff["f1"]
            print(f"  newswatch - {other:<22} F1 {f1:+.4f} ±{std:.4f} "
                  f"(newswatch ahead in {wins:.0%} of resamples)")
    print(f"\n  {'extractor':<24}{'ms/page':>9}{'x balanced':>11}{'listings rejected':>19}"
          f"{'articles rejected':>19}")
    for name, e in extractors.items():
        ratio = e["ms_per_page"] / base if base else float("nan")
        print(f"  {name:<24}{e['ms_per_page']:>9.1f}{ratio:>11.2f}"
              f"{e['listings_rejected']:>12} / {e['listings']:<5}"
              f"{len(e['articles_rejected']):>12}")
    rejected = extractors.get("newswatch", {}).get("articles_rejected")
    if rejected:
        print(f"  newswatch rejected articles: {' '.join(rejected)}")


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
             for p in sorted((SHARED / "seeds").glob("*.txt"))}
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


def _save(results: dict[str, Any], folder: Path, sets: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, e in results["extractors"].items():
        (folder / f"{name}.json").write_text(
            json.dumps(e["predictions"], ensure_ascii=False, indent=0), "utf-8")
    reasons = {p.key: newswatch_reason(p.html, p.url)
               for name in sets for p in load_set(name)}
    (folder / "newswatch-reasons.json").write_text(
        json.dumps({k: v for k, v in reasons.items() if v}, ensure_ascii=False, indent=1),
        "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="timing runs per page (best of)")
    parser.add_argument("--set", action="append", choices=sorted(DATASETS), dest="sets",
                        help="only this dev set (repeatable; default: both)")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append",
                        help="only this extractor (repeatable; default: all)")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="time the first pass (one-off work included)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--save", type=Path, metavar="DIR",
                        help="write DIR/<extractor>.json (for score.py --paired) and "
                             "DIR/newswatch-reasons.json")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="paired difference of newswatch vs DIR/newswatch.json")
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
    sets = tuple(args.sets or DATASETS)
    missing = [str(DATASETS[s]) for s in sets if not (DATASETS[s] / "ground-truth.json").exists()]
    if missing:
        sys.exit(f"bench.extraction: no dev set at {', '.join(missing)}")
    extractors = {k: v for k, v in EXTRACTORS.items() if not args.only or k in args.only}
    results = evaluate(args.repeat, sets, extractors, not args.no_warm_up)
    if args.save:
        _save(results, args.save, sets)
    if args.against and "newswatch" in extractors:
        _against(results, args.against, sets)
    for e in results["extractors"].values():
        e.pop("predictions")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_table(results)


if __name__ == "__main__":
    main()
