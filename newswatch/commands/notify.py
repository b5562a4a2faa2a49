"""`newswatch notify test NAME`: one test message to every URL of `[notify.NAME]`."""

from __future__ import annotations

import click

from newswatch.commands.common import config_from, with_global_options
from newswatch.exceptions import ConfigError, NewswatchError


@click.group(name="notify")
def command() -> None:
    """Notification channels (`[notify.NAME]` blocks of the config).

    Example: newswatch notify test desk
    """


@command.command(name="test")
@click.argument("name")
@click.pass_context
def test(ctx: click.Context, name: str) -> None:
    """Send one test message to every URL of `[notify.NAME]` and say, per URL, whether it
    was delivered (URLs shown with their secrets masked). Exit status 1 if any was not.

    Example: newswatch notify test desk
    """
    from newswatch.notify import build_channels, send
    from newswatch.notify.render import test_message

    config = config_from(ctx)
    if name not in config.notify:
        known = ", ".join(sorted(config.notify)) or "none"
        raise ConfigError(f"no [notify.{name}] block (configured: {known})",
                          path=str(config.path))
    channel = next(c for c in build_channels(config) if c.name == name)
    failed = 0
    for target in channel.targets:
        error = send(target, test_message(channel.name, target.target))
        verdict = "delivered" if error is None else f"NOT delivered: {error}"
        failed += error is not None
        click.echo(f"{target.target}  {verdict}")
    if failed:
        raise NewswatchError(f"{failed} of {len(channel.targets)} URLs of [notify.{name}]"
                             " did not take the test message")


with_global_options(test)  # `newswatch notify test NAME --config F` too
