"""Counting a request's outcome from a downloader middleware (kept apart from
crawler.outcomes, which imports the middlewares' exception types)."""

from __future__ import annotations

from typing import Any

PREFIX = "newswatch/"


def count_request(crawler: Any, request: Any, outcome: str) -> None:
    """Count an outcome of a request seen by a middleware: in the crawl's stats and, when
    the request belongs to a source run (its cb_kwargs), on that run."""
    crawler.stats.inc_value(PREFIX + outcome)
    run = request.cb_kwargs.get("run") if request is not None else None
    counts = getattr(run, "counts", None)
    if counts is not None:
        counts[outcome] += 1
