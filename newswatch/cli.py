"""The `newswatch` command line: a thin click layer over the library.

Each command lives in its own module under `newswatch.commands` and is imported
only when it runs, so `newswatch --help` stays fast and one broken optional
dependency cannot take every command down.
"""

from __future__ import annotations

import importlib
import sys

import click

from newswatch.commands.common import CONFIG_HELP, VERBOSE_HELP, with_global_options
from newswatch.exceptions import NewswatchError
from newswatch.logs import setup_logging

__all__ = ["COMMANDS", "cli", "main", "setup_logging"]

# command name -> module in newswatch.commands exposing a click command named `command`
COMMANDS = {
    "crawl": "crawl",
    "run": "run",
    "demo": "demo",
    "serve": "serve",
    "events": "events",
    "extract": "extract",
    "reextract": "reextract",
    "sources": "sources",
    "notify": "notify",
    "feed": "feed",
    "discover": "discover",
    "worker": "worker",
    "topics": "topics",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"newswatch.commands.{module_name}")
        command: click.Command = module.command
        return with_global_options(command)  # --config and -v after the command name too


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help=CONFIG_HELP)
@click.option("-v", "--verbose", count=True, help=VERBOSE_HELP)
@click.version_option(package_name="newswatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Watch news sources for articles on chosen topics.

    --config and -v may also follow the command name.

    Example: newswatch --config newswatch.toml crawl m31
    """
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["verbose"] = verbose
    setup_logging(verbose)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the exit status (also when a command ended with ctx.exit(code))."""
    try:
        result = cli.main(args=argv, prog_name="newswatch", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except NewswatchError as exc:
        click.echo(f"newswatch: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # one line, like every other user error: what is wrong, and where to read more
        where = exc.ctx.command_path if exc.ctx is not None else "newswatch"
        click.echo(f"newswatch: error: {exc.format_message()} (see '{where} --help')",
                   err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"newswatch: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    raise SystemExit(main())
