"""Quality floor on real pages, on both dev sets: ../shared/aeb-dev (91 news pages) and
../shared/modern-dev (230 article pages of 2025-2026, 71 listing and collection pages), scored
with the sets' own scorer. Every figure must stay at or above what it reaches now, minus a few
thousandths; and a regression set of pages once read wrong must stay fixed.

`python -m bench.extraction` prints the full comparison with trafilatura's settings.
Reached when pinned (trafilatura 2.3.1):

    set          F1       precision  recall   trafilatura's best F1 (setting)
    aeb-dev      0.9830   0.9800     0.9860   0.9751 (precision, no comments)
    modern-dev   0.9487   0.9459     0.9514   0.9369 (precision, no comments)
    pooled       0.9584   0.9556     0.9612   0.9478 (precision, no comments)

    modern-dev listing and collection pages rejected: 57 of 71; article pages rejected: 1 of
    230 (0113, whose text precision mode misses: 26 words of an FAQ), none of aeb-dev's 91.
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

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SETS = ("aeb-dev", "modern-dev")
FLOORS = {  # set: (F1, precision, recall)
    "aeb-dev": (0.980, 0.977, 0.983),
    "modern-dev": (0.945, 0.942, 0.948),
    "pooled": (0.955, 0.952, 0.958),
}
LISTINGS_REJECTED_FLOOR = 56  # of modern-dev's 71 listing and collection pages
ARTICLES_REJECTED_CEILING = 2  # of the 321 article pages of both sets

# Pages once read wrong, by kind; each line is a must-contain (text starts with "+"), a
# must-not-contain ("-"), a must-contain-once ("1"), or the page must be rejected
# ("rejected").
REGRESSIONS: dict[str, list[str]] = {
    # a resource page (links to PDFs and other sites) taken for a blob of teasers
    "modern-dev/0275": ["+Gardening Sustainably with a Changing Climate. In The New American"],
    # an article set in bare divs, above cards of linked headlines: "little other text"
    "modern-dev/0485": ["+How to make more and more different objects communicate"],
    # precision mode's own pass picked one block of a long article; the comparison finds it
    "modern-dev/1837": ["+Golden Bay Relocation is there for you, moving!"],
    "modern-dev/0183": ["+Offshore development projects often go over budget and miss deadlines"],
    "modern-dev/0073": ["+For some people, moderate alcohol consumption can offer health benefit"],
    "modern-dev/0089": ["+Many top health insurance companies in USA have expanded beyond"],
    # in-body promos: a label and one linked headline of the same site
    "aeb-dev/3c5bf8db4272": ["-From Big Bang to Present: Snapshots of Our Universe",
                             "-The 15 Weirdest Galaxies in Our Universe"],
    "aeb-dev/624fcd903d56": ["-SEE MORE: Hong Kong protests"],
    "modern-dev/0385": ["-Also read: Meta chief AI scientist Yann LeCun",
                        "-Also read: Who is Demis Hassabis"],
    "modern-dev/0127": ["-READ MORE: 23 unique and budget-friendly employee benefit ideas"],
    "modern-dev/0343": ["-Read more: A Guide to Small Business Accounting"],
    # section titles linked to their own page, dropped as teaser headlines
    "modern-dev/0091": ["+Cognitive Benefits"],
    # a list of links to another site (commits) is the article's, not a related list; a
    # table row with two equal cells lost the second as a repeated line
    "modern-dev/0389": ["+libgccjit: Allow casts between integers and pointers",
                        "+| Unwinding. | 80% | 80% |"],
    # schema.org CollectionPage on a page that also says og:type article
    "modern-dev/2967": ["rejected"],
    "modern-dev/2973": ["rejected"],
    # shops' categories: a grid of priced product cards above a long text for search engines
    "modern-dev/0649": ["rejected"],
    "modern-dev/0633": ["rejected"],
    # grids of cards and next to no text, on pages declaring themselves articles
    "modern-dev/0083": ["rejected"],
    "modern-dev/0203": ["rejected"],
    # a news front and an episode list whose text is their cards' blurbs
    "modern-dev/3030": ["rejected"],
    "modern-dev/0265": ["rejected"],
    # an A-Z list of names linking to the site's pages (Wikipedia: a schema.org Article)
    "modern-dev/2904": ["rejected"],
    # a data table in Webflow's div.w-embed, which trafilatura discards by its name
    "modern-dev/0061": ["+Bathroom Attendant", "+Full Service Restaurant"],
    # a list of links to other sites (sources), which trafilatura dropped as navigation
    "modern-dev/0069": ["+Home Depot (Dewalt)", "+Amazon (Klein Tools)"],
    # the article rendered twice (three times on 0355) by the page's layout
    "modern-dev/0355": ["1Labor constitutes approximately 60% of most remodeling budgets"],
    "modern-dev/0151": ["1When it comes to yoga classes, the right price can be the"],
    # the headline as the text's first line
    "aeb-dev/05844573ca7e": ["-New SUVs and electric vehicles highlight L.A. Auto Show"],
    # section titles linked to the work they present, on another site
    "modern-dev/0459": ["+Disarmed by Svetlana Shubina", "+Nori Noir by Fei Wang"],
    # a date line above the article's container, author and reviewer boxes below it
    "modern-dev/0065": ["-July 29, 2025", "-In his free time, Dr. Vedala",
                        "+The pharmacological treatment of obesity"],
    # notes under a table of results holding nine tenths of the words: the article's
    "aeb-dev/11ea381ad92b": ["+O calendário da Cup é composto por 36 corridas."],
}


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_score", SHARED / "aeb-dev" / "score.py")
    assert spec is not None and spec.loader is not None, f"no scorer in {SHARED}/aeb-dev"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pages(name: str) -> dict[str, tuple[str, str, str | None]]:
    """key -> (url, page kind, truth) of a set's article, listing and collection pages."""
    folder = SHARED / name
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = {f"{name}/{i}": (t["url"], "article", t.get("articleBody") or "")
             for i, t in truth.items()}
    described = folder / "pages.json"
    if described.exists():
        for i, page in json.loads(described.read_text("utf-8")).items():
            if page["page_type"] in ("listing", "collection"):
                pages[f"{name}/{i}"] = (page["url"], page["page_type"], None)
    return pages


def _html(key: str) -> bytes:
    name, page_id = key.split("/")
    return gzip.decompress((SHARED / name / "html" / f"{page_id}.html.gz").read_bytes())


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    pages = {k: v for name in SETS for k, v in _pages(name).items()}
    texts, reasons = {}, {}
    for key, (url, _, _) in sorted(pages.items()):
        result = extract_page(_html(key), url)
        texts[key] = result.article.text if result.article else ""
        reasons[key] = result.reason
    return {"pages": pages, "texts": texts, "reasons": reasons}


def _truth(results: dict[str, Any], group: str) -> dict[str, str]:
    return {k: t for k, (_, _, t) in results["pages"].items()
            if t is not None and (group == "pooled" or k.startswith(group + "/"))}


def test_every_page_is_read(results: dict[str, Any]) -> None:
    assert len(_truth(results, "aeb-dev")) == 91
    assert len(_truth(results, "modern-dev")) == 230
    assert sum(1 for _, kind, _ in results["pages"].values() if kind != "article") == 71


@pytest.mark.parametrize("group", [*SETS, "pooled"])
def test_quality_floors(results: dict[str, Any], group: str) -> None:
    truth = _truth(results, group)
    scored = scorer().score(truth, results["texts"], sorted(truth), n_bootstrap=0)
    f1, precision, recall = FLOORS[group]
    figures = {k: round(scored[k], 4) for k in ("f1", "precision", "recall")}
    assert scored["f1"] >= f1, figures
    assert scored["precision"] >= precision, figures
    assert scored["recall"] >= recall, figures


def test_real_articles_are_kept(results: dict[str, Any]) -> None:
    rejected = {k: results["reasons"][k] for k in _truth(results, "pooled")
                if not results["texts"][k]}
    assert len(rejected) <= ARTICLES_REJECTED_CEILING, rejected
    assert all("listing" in r or "too little text" in r for r in rejected.values()), rejected


def test_listing_pages_are_rejected_with_a_reason(results: dict[str, Any]) -> None:
    listings = [k for k, (_, kind, _) in results["pages"].items() if kind != "article"]
    rejected = [k for k in listings if not results["texts"][k]]
    assert len(rejected) >= LISTINGS_REJECTED_FLOOR, f"{len(rejected)} of {len(listings)}"
    assert all(results["reasons"][k] for k in rejected)


@pytest.mark.parametrize("key", sorted(REGRESSIONS))
def test_regression_set(results: dict[str, Any], key: str) -> None:
    matches = [k for k in results["texts"] if k.startswith(key)]
    assert len(matches) == 1, matches
    text, reason = results["texts"][matches[0]], results["reasons"][matches[0]]
    for check in REGRESSIONS[key]:
        if check == "rejected":
            assert not text and reason and "listing" in reason, (key, reason)
        elif check.startswith("+"):
            assert check[1:] in text, (key, reason, check)
        elif check.startswith("1"):
            assert text.count(check[1:]) == 1, (key, reason, check)
        else:
            assert check[1:] not in text, (key, check)
