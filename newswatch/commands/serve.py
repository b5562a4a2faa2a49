"""`newswatch serve` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="serve")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch serve' is not built yet")
