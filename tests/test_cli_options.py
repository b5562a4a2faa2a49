"""`--config` and `-v` before or after the command name (SPEC: "`newswatch --config F crawl`
and `newswatch crawl --config F` are the same"). Given in both places, the one after the
command name wins; `-v` counts add up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from conftest import run_cli

from newswatch.cli import COMMANDS, cli


@pytest.fixture
def configs(write_config: Callable[..., Path]) -> tuple[Path, Path]:
    """Two valid configs that differ in their sources: `sources --json` tells which one ran."""
    a = write_config({"alpha": {"feed": ["http://127.0.0.1:9/a.xml"]}}, name="a.toml")
    b = write_config({"beta": {"feed": ["http://127.0.0.1:9/b.xml"]}}, name="b.toml")
    return a, b


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """run_cli sets logging up in this process; leave it as it was for the next tests."""
    names = ["", "newswatch", "trafilatura", "scrapy", "scrapy.downloadermiddlewares.robotstxt"]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def sources_of(out: str) -> list[str]:
    return [source["name"] for source in json.loads(out)]


@pytest.mark.parametrize("args", [
    ["--config", "{a}", "sources", "--json"],
    ["sources", "--config", "{a}", "--json"],
    ["sources", "--json", "--config", "{a}"],
    ["-v", "sources", "--json", "--config", "{a}"],
    ["sources", "-v", "--config", "{a}", "--json"],
])
def test_config_before_or_after_the_command(configs: tuple[Path, Path],
                                            capsys: pytest.CaptureFixture[str],
                                            args: list[str]) -> None:
    a, _ = configs
    code, out, err = run_cli(capsys, *(arg.format(a=a) for arg in args))
    assert code == 0, err
    assert sources_of(out) == ["alpha"]


def test_the_one_after_the_command_wins(configs: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = configs
    code, out, _ = run_cli(capsys, "--config", str(a), "sources", "--json", "--config", str(b))
    assert code == 0 and sources_of(out) == ["beta"]
    missing = a.parent / "missing.toml"
    code, out, _ = run_cli(capsys, "--config", str(missing), "sources", "--config", str(b),
                           "--json")
    assert code == 0 and sources_of(out) == ["beta"]


@pytest.mark.parametrize("command", [["sources"], ["events"], ["crawl"], ["reextract"],
                                     ["serve"], ["run"]])
def test_a_missing_file_is_one_line_and_exit_2_either_way(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    missing = tmp_path / "nope.toml"
    for args in (["--config", str(missing), *command], [*command, "--config", str(missing)]):
        code, out, err = run_cli(capsys, *args)
        assert code == 2, (args, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(missing) in lines[0] and "not found" in lines[0], err
        assert out == ""


def test_a_directory_after_the_command_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "events", "--config", str(tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "is a directory" in err and "newswatch events --help" in err


def test_verbose_after_the_command_counts(configs: tuple[Path, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = configs
    run_cli(capsys, "--config", str(a), "sources")
    assert logging.getLogger().level == logging.WARNING
    assert logging.getLogger("trafilatura").level == logging.CRITICAL  # quiet by default
    assert logging.getLogger("scrapy").level == logging.ERROR
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    assert not robots.isEnabledFor(logging.ERROR)  # a traceback per unreachable robots.txt
    run_cli(capsys, "sources", "-v", "--config", str(a))
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("trafilatura").level == logging.NOTSET  # shown with -v
    run_cli(capsys, "-v", "sources", "-v", "--config", str(a))
    assert logging.getLogger().level == logging.DEBUG


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_both_options(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    flags = {flag for param in command.params for flag in param.opts}
    assert {"--config", "-v", "--verbose"} <= flags
    # fetched again (commands are cached module objects): the options are not doubled
    again = cli.get_command(click.Context(cli), name)
    assert again is not None
    assert sum("--config" in param.opts for param in again.params) == 1


def test_a_groups_subcommands_take_them_too(configs: tuple[Path, Path]) -> None:
    from newswatch.commands.common import config_from, with_global_options

    seen: list[str] = []

    @click.group()
    def group() -> None:
        pass

    @group.command()
    @click.pass_context
    def sub(ctx: click.Context) -> None:
        seen.append(str(config_from(ctx).path))

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.ensure_object(dict)

    root.add_command(with_global_options(group), "group")
    a, b = configs
    root.main(["group", "--config", str(a), "sub", "--config", str(b)], standalone_mode=False)
    assert seen == [str(b)]
