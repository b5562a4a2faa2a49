"""`newswatch extract` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="extract")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch extract' is not built yet")
