"""Every command and every setting is documented (sqlite-utils' test_docs.py, in spirit)."""

import re
from pathlib import Path

import click
import pytest

from newswatch import config
from newswatch.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text()
COMMANDS_DOC = (ROOT / "docs" / "commands.md").read_text()


@pytest.mark.parametrize(
    "key",
    sorted((config.TOP_KEYS | config.SOURCE_KEYS | config.TOPIC_KEYS | config.DAEMON_KEYS
            | config.CLUSTER_KEYS | config.NOTIFY_KEYS)
           - {"defaults", "topics", "sources"}),
)
def test_every_setting_is_documented(key: str) -> None:
    assert f"| `{key}` |" in CONFIG_DOC


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_documented(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert command is not None
    assert "Example:" in (command.help or ""), f"{name}: help has no example"
    assert re.search(rf"^## `newswatch {name}\b", COMMANDS_DOC, re.M), name
    for param in command.params:
        if isinstance(param, click.Option):
            flag = max(param.opts, key=len)
            assert flag in COMMANDS_DOC, f"{name} {flag} undocumented"
