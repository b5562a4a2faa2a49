"""`newswatch demo` (not built yet)."""

import click

from newswatch.exceptions import NewswatchError


@click.command(name="demo")
def command() -> None:
    """Not built yet."""
    raise NewswatchError("'newswatch demo' is not built yet")
