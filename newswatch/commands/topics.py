"""`newswatch topics`: each topic's query as written and as run, and what it matches."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from extract.stems import STEMS_MODES
from newswatch.commands.common import config_from, since_window, unknown_topic
from newswatch.config import Config, Topic
from newswatch.exceptions import ConfigError

if TYPE_CHECKING:
    from store.topic_report import TopicReport


@click.command(name="topics")
@click.argument("name", required=False)
@click.option("--test", "test_query", metavar="QUERY", default=None,
              help="Try this FTS5 query (with NAME: against that topic) without editing the "
                   "config.")
@click.option("--stems", type=click.Choice(STEMS_MODES), default=None,
              help="The stems mode for the --test query (default: NAME's, else auto).")
@click.option("--since", metavar="DURATION", default=None,
              help="Only articles first seen in the last DURATION, e.g. 7d.")
@click.pass_context
def command(ctx: click.Context, name: str | None, test_query: str | None, stems: str | None,
            since: str | None) -> None:
    """Each topic's query as written and as run (after `stems`), and the stored articles
    it matches: counts per source and language, the newest titles.

    Paste the query as run into Datasette's search (raw mode) for the same articles.
    With --test, a query is tried on the stored articles; with NAME too, the articles it
    would add to or drop from that topic are listed.

    Example: newswatch topics nk-russia --test '북한 AND 러시아' --since 7d
    """
    from store.queries import open_read_only

    config = config_from(ctx)
    window = since_window(since)
    chosen = _chosen(config, name)
    if stems is not None and test_query is None:
        raise ConfigError("--stems applies to a --test query", key="--stems")
    conn = open_read_only(config.db)
    try:
        if test_query is None:
            for i, topic in enumerate(chosen):
                if i:
                    click.echo()
                _show_topic(conn, topic, window)
        else:
            base = chosen[0] if name is not None else None
            _show_test(conn, test_query, stems or (base.stems if base else "auto"), base, window)
    finally:
        conn.close()


def _chosen(config: Config, name: str | None) -> list[Topic]:
    if name is None:
        return list(config.topics)
    for topic in config.topics:
        if topic.name == name:
            return [topic]
    raise unknown_topic(config, name, "NAME")


def _show_topic(conn: sqlite3.Connection, topic: Topic, window: timedelta | None) -> None:
    from store.topic_report import tagged_ids, topic_report

    click.echo(f"[topics.{topic.name}]  stems = {topic.stems}")
    click.echo(f"  as written: {topic.query}")
    click.echo(f"  as run:     {topic.as_run}")
    report = topic_report(conn, topic.as_run, since=window)
    _show_report(report, window)
    if window is None and report.ids != tagged_ids(conn, topic.name):
        click.echo("  (the store's `topics` column answers other queries, of another config: "
                   "the next crawl, run or reextract with this one re-matches it)")


def _show_test(conn: sqlite3.Connection, query: str, stems: str, base: Topic | None,
               window: timedelta | None) -> None:
    from extract.stems import rewrite
    from store.topic_report import TopicReport, topic_report

    as_run = rewrite(query, stems)
    try:
        report = topic_report(conn, as_run, since=window)
    except sqlite3.OperationalError as exc:  # FTS5 syntax: what config loading reports
        raise ConfigError(f"bad FTS5 query {query!r}: {exc}", key="--test") from None
    click.echo(f"--test  stems = {stems}" + (f"  (against [topics.{base.name}])" if base else ""))
    click.echo(f"  as written: {query}")
    click.echo(f"  as run:     {as_run}")
    _show_report(report, window)
    if base is not None:
        now = topic_report(conn, base.as_run, since=window)
        gained = TopicReport([h for h in report.hits if h.id not in now.ids])
        lost = TopicReport([h for h in now.hits if h.id not in report.ids])
        click.echo(f"  newly matching (not on {base.name} now): {gained.total}")
        _show_titles(gained, count=None)
        click.echo(f"  no longer matching: {lost.total}")
        _show_titles(lost, count=None)


def _show_report(report: TopicReport, window: timedelta | None) -> None:
    span = f" first seen in the last {_days(window)}" if window is not None else ""
    click.echo(f"  matches {report.total} stored article{'s' * (report.total != 1)}{span}")
    if report.total:
        click.echo("  by source:   " + ", ".join(f"{k} {v}" for k, v in report.by_source))
        click.echo("  by language: " + ", ".join(f"{k} {v}" for k, v in report.by_language))
        click.echo("  newest:")
        _show_titles(report)


def _days(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _show_titles(report: TopicReport, count: int | None = 5) -> None:
    hits = report.hits if count is None else report.newest(count)
    for hit in hits:
        click.echo(f"    {hit.first_seen[:10]}  {hit.source}  {hit.title or '(no title)'}"
                   f"  {hit.url}")
