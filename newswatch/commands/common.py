"""Helpers shared by the command modules."""

from __future__ import annotations

import click

from newswatch.config import Config, load_config


def config_from(ctx: click.Context) -> Config:
    """The validated config named by --config / $NEWSWATCH_CONFIG / ./newswatch.toml."""
    root = ctx.find_root()
    return load_config((root.obj or {}).get("config_path"))
