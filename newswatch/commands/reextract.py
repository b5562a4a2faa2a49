"""`newswatch reextract` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="reextract")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch reextract' is not built yet")
