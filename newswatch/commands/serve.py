"""`newswatch serve`: Datasette over the store, with newswatch's metadata and canned queries."""

from __future__ import annotations

import click

from newswatch.commands.common import config_from


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the store to the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on.")
@click.pass_context
def command(ctx: click.Context, host: str, port: int) -> None:
    """Browse the store with Datasette, read-only: articles (full-text search), their
    versions and copies, events, runs and source health, plus canned queries
    (latest events, on-topic articles with their copies, one article's history,
    copies and events, source health, duplicate clusters, topic feeds). An article's
    page (/newswatch/articles/ID) is its story: versions with each change as added and
    removed paragraphs, copies on other sites, events. Each topic's Atom feed is at
    /newswatch/topic_feed.atom?topic=NAME.

    Example: newswatch serve --port 8001, then open http://127.0.0.1:8001/
    """
    import asyncio

    import uvicorn

    from store.datasette_app import database_name, make_datasette
    from store.queries import open_read_only

    config = config_from(ctx)
    open_read_only(config.db).close()  # a clear error when there is no store yet
    ds = make_datasette(config.db)
    asyncio.run(ds.invoke_startup())
    name = database_name(config.db)
    click.echo(f"newswatch: serving {config.db} read-only at http://{host}:{port}/{name}"
               " (Ctrl-C to stop)", err=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
