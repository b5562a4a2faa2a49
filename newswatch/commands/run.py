"""`newswatch run` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="run")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch run' is not built yet")
