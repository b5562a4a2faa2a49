"""Shared test fixtures: a running fixture server, a config writer, the CLIs in a subprocess.

Crawls always run in a subprocess: the Twisted reactor cannot be restarted inside one
pytest process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newswatch.cli import main
from newswatch.fixture_server import FixtureServer

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = Path(sys.executable).with_name("scrapy")

# Tests talk to 127.0.0.1 only, so politeness delays only slow them down.
TEST_DEFAULTS: dict[str, Any] = {"delay": 0, "retries": 0, "download_timeout": 10}


def toml_value(value: Any) -> str:
    """A TOML literal for the few types a newswatch config uses."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def config_text(sources: dict[str, dict[str, Any]], *, topics: dict[str, str] | None = None,
                defaults: dict[str, Any] | None = None, db: str = "data/newswatch.db",
                events_log: str = "data/events.jsonl") -> str:
    lines = [f"db = {toml_value(db)}", f"events_log = {toml_value(events_log)}", "",
             "[defaults]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in {**TEST_DEFAULTS, **(defaults or {})}.items()]
    for name, query in (topics or {}).items():
        lines += ["", f"[topics.{name}]", f"query = {toml_value(query)}"]
    for name, keys in sources.items():
        lines += ["", f"[sources.{name}]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """write_config({"m31": {"feed": [url]}}, topics=..., defaults=..., name=...) -> path.

    Test defaults: no politeness delay, no retries, a 10 s timeout (override per test).
    """

    def write(sources: dict[str, dict[str, Any]], *, name: str = "newswatch.toml",
              **kwargs: Any) -> Path:
        path = tmp_path / name
        path.write_text(config_text(sources, **kwargs), encoding="utf-8")
        return path

    return write


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    """Every fixture site on 127.0.0.1 (port 0), state 0, no churn; stopped afterwards."""
    with FixtureServer(state=0) as srv:
        yield srv


def run_newswatch(config: Path, *args: str, timeout: float = 90,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m newswatch --config CONFIG ARGS...` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "newswatch", "--config", str(config), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def run_scrapy(*args: str, timeout: float = 90,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`scrapy ARGS...` from the repository root (where scrapy.cfg is)."""
    return subprocess.run([str(SCRAPY), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def crawl_json(config: Path, *sources: str, timeout: float = 90) -> dict[str, dict[str, Any]]:
    """Run `newswatch crawl --json` and return its summary; fail with its stderr if it fails."""
    proc = run_newswatch(config, "crawl", "--json", *sources, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary: dict[str, dict[str, Any]] = json.loads(proc.stdout)
    return summary


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real CLI in-process: (exit status, stdout, stderr).

    The status is main()'s return value, or the code of the SystemExit it raised.
    """
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
