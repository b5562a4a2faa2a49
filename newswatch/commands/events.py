"""`newswatch events`: recent events from the store, newest last."""

from __future__ import annotations

import click

from newswatch.commands.common import config_from, since_window, unknown_topic

DEFAULT_LIMIT = 100


@click.command(name="events")
@click.option("--since", metavar="DURATION", default=None,
              help="Only events of the last DURATION: s, m, h, d suffixes, e.g. 2h.")
@click.option("--topic", metavar="T", default=None, help="Only events on topic T.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per line, as in the events log.")
@click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
              help=f"At most this many (the newest). Default: {DEFAULT_LIMIT} without "
                   "--since, all with it; 0 for all.")
@click.pass_context
def command(ctx: click.Context, since: str | None, topic: str | None, as_json: bool,
            limit: int | None) -> None:
    """Recent events (new, updated, duplicate, source_failed, source_recovered), newest last.

    Example: newswatch events --since 2h --topic nk-russia
    """
    from store import events as event_format
    from store.queries import open_read_only, recent_events

    config = config_from(ctx)
    window = since_window(since)
    if topic is not None and topic not in config.topic_queries():
        raise unknown_topic(config, topic, "--topic")
    if limit is None:
        limit = 0 if window is not None else DEFAULT_LIMIT
    conn = open_read_only(config.db)
    try:
        rows = recent_events(conn, since=window,
                             topic=topic, limit=limit or None)
    finally:
        conn.close()
    for event in rows:
        if as_json:
            click.echo(event_format.to_json(event))
        else:
            click.echo(f"{event['at']}  {event_format.format_line(event)}")
