"""`newswatch feed TOPIC`: the topic's new and updated events as an Atom feed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from newswatch.commands.common import config_from, unknown_topic


@click.command(name="feed")
@click.argument("topic")
@click.option("--out", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
              default=None,
              help="Write the feed to FILE (replaced atomically) instead of standard output.")
@click.pass_context
def command(ctx: click.Context, topic: str, out: str | None) -> None:
    """The TOPIC's new and updated events (the 200 most recent) as an Atom feed, for
    static hosting: the same feed `newswatch serve` offers at
    /newswatch/topic_feed.atom?topic=TOPIC. A configured topic without events gives a
    valid feed without entries; a topic that is neither configured nor in any stored
    event is an error.

    Example: newswatch feed nk-russia --out /var/www/feeds/nk-russia.atom
    """
    from store.feed import topic_feed
    from store.queries import open_read_only

    config = config_from(ctx)
    conn = open_read_only(config.db)
    try:
        known = topic in config.topic_queries() or conn.execute(
            "SELECT 1 FROM events WHERE json_valid(topics) AND EXISTS"
            " (SELECT 1 FROM json_each(events.topics) WHERE value = ?) LIMIT 1",
            (topic,)).fetchone() is not None
        if not known:
            raise unknown_topic(config, topic, "TOPIC")
        xml = topic_feed(conn, topic)
    finally:
        conn.close()
    if out is None:
        click.echo(xml, nl=False)
        return
    write_atomically(Path(out), xml)
    click.echo(f"newswatch: wrote {out}", err=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a web server never serves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
