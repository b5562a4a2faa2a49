"""`newswatch run`: the daemon."""

import click

from newswatch.commands.common import config_from


@click.command(name="run")
@click.pass_context
def command(ctx: click.Context) -> None:
    """Run the daemon: every source on its own `every`, until SIGINT/SIGTERM.

    One run per source at a time, in one long-lived crawl engine whatever the number
    of sources; first runs are spread over each source's cadence (at most an hour),
    or resume where the previous daemon left off. The first SIGINT/SIGTERM lets runs
    in hand finish and commit (exit 0); a second one stops at once. With `[cluster]`
    it is the coordinator: `newswatch worker` processes crawl, it writes the store.
    Same as `python scheduler.py`.

    Example: newswatch --config newswatch.toml run
    """
    import scheduler

    config = config_from(ctx)
    if not config.sources:
        raise click.UsageError(f"{config.path}: no [sources.*] configured: nothing to run")
    ctx.exit(scheduler.serve_forever(config))
