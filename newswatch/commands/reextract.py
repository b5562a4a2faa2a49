"""`newswatch reextract`: re-run extraction over the stored raw pages, without the network."""

from __future__ import annotations

import sys

import click

from newswatch.commands.common import config_from


@click.command(name="reextract")
@click.pass_context
def command(ctx: click.Context) -> None:
    """Re-read every stored article from its kept raw body with the current extractor
    (after an upgrade or a cleaning change). A text that comes out different becomes
    a new version marked re-extracted and raises no `updated` event: the story did not
    change. Topics are recomputed for every article. No network is used.

    Example: newswatch --config newswatch.toml reextract
    """
    from store import Store
    from store.queries import open_read_only
    from store.reextract import reextract

    config = config_from(ctx)
    open_read_only(config.db).close()  # a clear error when there is no store yet
    store = Store.open(config.db, events_log=config.events_log, topics=config.topic_queries())
    try:
        total = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        if sys.stderr.isatty() and total:
            with click.progressbar(length=total, label="re-extracting", file=sys.stderr) as bar:
                summary = reextract(store, progress=lambda done, _: bar.update(1))
        else:
            summary = reextract(store)
    finally:
        store.close()
    click.echo(f"reextract: {summary.line()}")
