"""Helpers shared by the command modules."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from newswatch.config import Config, config_path, load_config
from newswatch.durations import parse_duration
from newswatch.exceptions import ConfigError

CONFIG_HELP = "Config file (default: $NEWSWATCH_CONFIG, else ./newswatch.toml)."
VERBOSE_HELP = "More log output: library warnings and INFO (-vv: debug)."


def config_from(ctx: click.Context) -> Config:
    """The validated config named by --config / $NEWSWATCH_CONFIG / ./newswatch.toml."""
    root = ctx.find_root()
    return load_config((root.obj or {}).get("config_path"))


def since_window(since: str | None) -> timedelta | None:
    """A `--since DURATION` option as a time span; a bad duration is a usage error."""
    if since is None:
        return None
    try:
        return timedelta(seconds=parse_duration(since))
    except ValueError as exc:
        raise ConfigError(str(exc), key="--since") from None


def unknown_topic(config: Config, name: str, key: str) -> ConfigError:
    """The error for a topic name the config does not define, listing those it does."""
    names = ", ".join(sorted(t.name for t in config.topics)) or "none"
    return ConfigError(f"no topic named {name!r} (configured: {names})",
                       path=str(config.path), key=key)


def optional_config(ctx: click.Context) -> Config | None:
    """Like config_from, but None when no config was named and ./newswatch.toml does not
    exist (for commands that can work without one). A named file must exist."""
    explicit = (ctx.find_root().obj or {}).get("config_path")
    if explicit is None and not os.environ.get("NEWSWATCH_CONFIG") \
            and not config_path().exists():
        return None
    return load_config(explicit)


def named_config_path(ctx: click.Context) -> Path:
    """The config file this run reads (it may not exist yet)."""
    return config_path((ctx.find_root().obj or {}).get("config_path"))


def with_global_options(command: click.Command) -> click.Command:
    """Let `command` also take the group's `--config` and `-v` after its name.

    `newswatch crawl --config F` is `newswatch --config F crawl`; given in both places,
    the one after the command name wins. `-v` counts add up: `newswatch -v crawl -v`
    is `-vv`. Added once per command object (commands are module-level singletons); a
    group's subcommands get them too (`newswatch notify test NAME --config F`).
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    names = {param.name for param in command.params}
    if "config_path" not in names:
        command.params.append(click.Option(
            ["--config", "config_path"], type=click.Path(dir_okay=False), default=None,
            expose_value=False, callback=_set_config, metavar="PATH", help=CONFIG_HELP))
    if "verbose" not in names:
        command.params.append(click.Option(
            ["-v", "--verbose"], count=True, expose_value=False, callback=_add_verbose,
            help=VERBOSE_HELP))
    return command


def _root_obj(ctx: click.Context) -> dict[str, Any]:
    root = ctx.find_root()
    root.ensure_object(dict)
    obj: dict[str, Any] = root.obj
    return obj


def _set_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        _root_obj(ctx)["config_path"] = value


def _add_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        from newswatch.logs import setup_logging

        obj = _root_obj(ctx)
        obj["verbose"] = obj.get("verbose", 0) + value
        setup_logging(obj["verbose"])
