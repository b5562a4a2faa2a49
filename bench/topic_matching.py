"""What topic `stems` cost: rewriting (once per config load) and matching (per article).

    python -m bench.topic_matching [--rounds 200]

Extracts every fixture article page once (all sites, the last state), then times
`TopicMatcher.match` over them with the demo's topic as run under each `stems` mode, and
`rewrite` of the query; prints microseconds, next to the time extraction took a page.
"""

from __future__ import annotations

import argparse
import time

from extract import extract_page
from extract.stems import STEMS_MODES, rewrite
from extract.topics import TopicMatcher
from newswatch.demo import TOPIC
from newswatch.fixtures import FixtureSites


def articles(sites: FixtureSites) -> tuple[list[tuple[str | None, str]], float]:
    """(title, text) of every article page, and extraction's mean seconds a page."""
    state = sites.state_count - 1
    bases = {name: f"http://127.0.0.1:{18000 + i}" for i, name in enumerate(sites.names)}
    out, started = [], time.perf_counter()
    for site, path in sites.article_paths(state):
        page = sites.render(site, path, state, bases)
        article = extract_page(page.body, bases[site] + path,
                               page.headers["Content-Type"]).article
        if article is not None:
            out.append((article.title, article.text))
    return out, (time.perf_counter() - started) / max(1, len(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    docs, extraction = articles(FixtureSites())
    print(f"{len(docs)} fixture articles; extraction {extraction * 1e6:,.0f} µs a page")
    for mode in STEMS_MODES:
        started = time.perf_counter()
        query = rewrite(TOPIC, mode)
        rewriting = time.perf_counter() - started
        matcher = TopicMatcher({"nk-russia": query})
        hits = sum(bool(matcher.match(*doc)) for doc in docs)
        started = time.perf_counter()
        for _ in range(args.rounds):
            for doc in docs:
                matcher.match(*doc)
        each = (time.perf_counter() - started) / (args.rounds * len(docs))
        print(f"stems = {mode:4}  rewrite {rewriting * 1e6:8,.0f} µs once   match "
              f"{each * 1e6:6.1f} µs an article   on topic {hits}/{len(docs)}")


if __name__ == "__main__":
    main()
