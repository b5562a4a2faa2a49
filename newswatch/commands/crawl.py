"""`newswatch crawl [SOURCE ...]`: one ingest pass over the named sources, then exit."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from crawler.outcomes import SUMMARY_COLUMNS
from newswatch.commands.common import config_from
from newswatch.exceptions import NewswatchError

if TYPE_CHECKING:
    from crawler.runner import SourceRun


@click.command(name="crawl")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--quiet", "-q", is_flag=True, help="No live progress; only the summary.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON: {source: {status, fetched, new, ...}}.")
@click.option("--due", is_flag=True,
              help="Ask again only for known articles whose revisit is due or whose feed, "
                   "sitemap or listing entry changed, as the daemon does (default: every "
                   "listed article, conditionally).")
@click.pass_context
def command(ctx: click.Context, sources: tuple[str, ...], quiet: bool, as_json: bool,
            due: bool) -> None:
    """One ingest pass over the named sources (default: all), then exit.

    Shows live progress on a terminal (pages fetched and extracted per source), then a
    per-source summary: fetched, new, updated, unchanged, duplicates, errors. Exit
    status 1 when every source failed, 2 for a bad config or an unknown source.
    SIGINT/SIGTERM stop cleanly: pages in flight are stored, runs recorded as partial.
    With --due, known articles follow their source's `revisit` schedule, as in the
    daemon: the cheap way to poll from cron.

    Example: newswatch crawl m31 westernjournal
    """
    config = config_from(ctx)
    for name in sources:
        config.source(name)  # an unknown name is a config error (exit 2), checked first
    from crawler.runner import run_sources  # Scrapy loads only when a crawl really runs
    from newswatch import notify

    notifier = notify.prepare(config)  # [notify.*]: URLs checked before the crawl
    progress = not (quiet or as_json) and sys.stderr.isatty()
    runs = run_sources(config, list(sources) or None, progress=progress, recheck_all=not due)
    if notifier is not None:  # this run's events and anything still pending, then exit
        notify.finish(notifier)
    if as_json:
        # one line: easy to pick out of a log, e.g. by the daemon
        click.echo(json.dumps({run.name: run.as_dict() for run in runs}))
    else:
        click.echo(format_table(runs))
    if runs and all(run.failed for run in runs):
        raise NewswatchError("every source failed" if len(runs) > 1 else
                             f"source {runs[0].name!r} failed")


def format_table(runs: list[SourceRun]) -> str:
    """The summary as an aligned text table, one row per source."""
    header = ["source", "status", *SUMMARY_COLUMNS]
    rows = [[run.name, run.status, *(str(run.counts.get(c, 0)) for c in SUMMARY_COLUMNS)]
            for run in runs]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    for run in runs:
        if run.error:
            lines.append(f"{run.name}: {run.error}")
    return "\n".join(lines)
