"""`newswatch crawl` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="crawl")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch crawl' is not built yet")
