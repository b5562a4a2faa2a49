"""`newswatch events` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="events")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch events' is not built yet")
