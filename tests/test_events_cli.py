"""`newswatch events`: recent events from the store through the real CLI entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import run_cli
from test_store_support import BANKS, NK, TOPICS, UPDATE, ingest, page_html

from store import Store
from store.model import utcnow

A = "http://a.test/2024/10/troops/"


@pytest.fixture
def config(write_config: Callable[..., Path]) -> Path:
    """A config whose store holds a new on-topic story from 3 h ago, its update from 1 h
    ago and an off-topic story from 1 h ago (which raised no event)."""
    path = write_config({"a": {"urls": ["http://a.test/"]}}, topics=TOPICS)
    db, log = path.parent / "data/newswatch.db", path.parent / "data/events.jsonl"
    earlier = Store.open(db, events_log=log, topics=TOPICS,
                         clock=lambda: utcnow() - timedelta(hours=3))
    ingest(earlier, A, page_html("North Korea sends troops", NK))
    earlier.close()
    later = Store.open(db, events_log=log, topics=TOPICS,
                       clock=lambda: utcnow() - timedelta(hours=1))
    ingest(later, A, page_html("North Korea sends troops", NK + [UPDATE]))
    ingest(later, "http://a.test/banks/", page_html("Banks hold rates", BANKS))
    later.close()
    return path


def test_events_newest_last_in_the_log_format(config: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--config", str(config), "events")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].endswith(f"  NEW      [nk-russia] a  North Korea sends troops  {A}")
    assert lines[1].endswith(f"  UPDATED  [nk-russia] a  North Korea sends troops  "
                             f"v2: +1 -0 paragraphs  {A}")
    assert lines[0] < lines[1]  # ISO timestamps first: oldest first


def test_since_and_topic_filters(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--config", str(config), "events", "--since", "2h")
    assert code == 0 and [line.split()[1] for line in out.splitlines()] == ["UPDATED"]
    code, out, _ = run_cli(capsys, "--config", str(config), "events", "--topic", "nk-russia",
                       "--limit", "1")
    assert code == 0 and [line.split()[1] for line in out.splitlines()] == ["UPDATED"]


def test_json_lines_match_the_events_log(config: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--config", str(config), "events", "--json")
    assert code == 0
    printed = [json.loads(line) for line in out.splitlines()]
    logged = [json.loads(line) for line in
              (config.parent / "data/events.jsonl").read_text().splitlines()]
    assert printed == logged
    assert [e["kind"] for e in printed] == ["new", "updated"]
    assert printed[1]["detail"]["added"] == [UPDATE]


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--since", "two hours"], 2, ["--since", "bad duration"]),
    (["--topic", "weather"], 2, ["weather", "nk-russia"]),
])
def test_bad_options_are_one_line_usage_errors(config: Path, capsys: pytest.CaptureFixture[str],
                                               args: list[str], code: int,
                                               words: list[str]) -> None:
    got, out, err = run_cli(capsys, "--config", str(config), "events", *args)
    assert (got, out) == (code, "")
    assert len(err.strip().splitlines()) == 1
    for word in words:
        assert word in err


def test_no_store_yet_is_a_clear_error(write_config: Callable[..., Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config({"a": {"urls": ["http://a.test/"]}})
    code, _, err = run_cli(capsys, "--config", str(path), "events")
    assert code == 1
    assert "no store at" in err and "newswatch crawl" in err
    assert not (path.parent / "data/newswatch.db").exists()
