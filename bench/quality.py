"""Extraction quality of newswatch and the three peers, scored with aeb-dev's score.py.

    from bench.quality import aeb_quality, fixture_quality, site_quality

- `aeb_quality()`: the 91 real pages of ../shared/aeb-dev, every extractor on the same
  bytes (through `bench.extraction.evaluate`, which also times them in CPU seconds);
- `fixture_quality()`: every fixture expectation (fixtures/expect), the page rendered in the
  first state it is served in; F1 against the page's full article text, and how many pages
  pass the expectation (every expected paragraph in the text, no boilerplate line in it);
- `site_quality(truth, texts)`: F1 of texts fetched from the generated site against the
  paragraphs each page was generated from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.extraction import load_scorer
from bench.peers import ERRORS, EXTRACTORS

Extractor = Callable[[bytes, str], str]


def _flat(text: str) -> str:
    return " ".join(text.split())


def aeb_quality(extractors: dict[str, Extractor] | None = None) -> dict[str, dict[str, Any]]:
    from bench.extraction import evaluate
    results = evaluate(1, sets=("aeb-dev",), extractors=extractors or EXTRACTORS)
    out: dict[str, dict[str, Any]] = {}
    for name, res in results["sets"]["aeb-dev"].items():
        if name == "paired":
            continue
        out[name] = {k: res[k] for k in ("f1", "precision", "recall", "n", "empty_predictions")
                     if k in res}
        out[name]["pages_per_second"] = 1000 / results["extractors"][name]["ms_per_page"]
    _errors(out)
    return out


def _errors(out: dict[str, dict[str, Any]]) -> None:
    """Move the peers' exceptions (pages scored as empty) into the results, then forget them."""
    names = {"trafilatura_text": "trafilatura", "newsplease_text": "news-please",
             "newspaper_text": "newspaper4k"}
    for fn, errors in ERRORS.items():
        if names.get(fn) in out:
            out[names[fn]]["errors"] = errors
    ERRORS.clear()


def fixture_quality(extractors: dict[str, Extractor] | None = None) -> dict[str, dict[str, Any]]:
    from newswatch.fixtures import FixtureSites, load_expectations
    sites = FixtureSites()
    bases = {name: f"http://127.0.0.1:{18000 + i}" for i, name in enumerate(sites.names)}
    scorer = load_scorer()
    truth: dict[str, str] = {}
    pages: dict[str, tuple[str, bytes, Any]] = {}
    for exp in load_expectations():
        state = exp.states[0]
        view = next(v for v in sites.views(exp.site, state) if v.path == exp.path)
        key = f"{exp.site}{exp.path}@{state}"
        truth[key] = "\n\n".join(view.paragraphs)
        body = sites.render(exp.site, exp.path, state, bases).body
        pages[key] = (bases[exp.site] + exp.path, body, exp)
    out: dict[str, dict[str, Any]] = {}
    for name, fn in (extractors or EXTRACTORS).items():
        pred, passed, failures = {}, 0, []
        for key, (url, body, exp) in pages.items():
            text = fn(body, url)
            pred[key] = text
            flat = _flat(text)
            missing = [p for p in exp.paragraphs if _flat(p) not in flat]
            leaked = [b for b in exp.boilerplate if _flat(b) in flat]
            if not missing and not leaked:
                passed += 1
            else:
                failures.append({"page": key, "missing": len(missing), "leaked": len(leaked)})
        score = scorer.score(truth, pred, sorted(truth), n_bootstrap=0)
        out[name] = {"f1": score["f1"], "precision": score["precision"],
                     "recall": score["recall"], "pages": len(pages), "passed": passed,
                     "failures": failures}
    _errors(out)
    return out


def site_quality(truth: dict[str, str], texts: dict[str, str]) -> dict[str, Any]:
    """F1 of `texts` (url -> text) over the URLs they cover."""
    scorer = load_scorer()
    ids = sorted(u for u in texts if u in truth)
    if not ids:
        return {"f1": None, "pages": 0}
    score = scorer.score(truth, texts, ids, n_bootstrap=0)
    return {"f1": score["f1"], "precision": score["precision"], "recall": score["recall"],
            "pages": len(ids)}
