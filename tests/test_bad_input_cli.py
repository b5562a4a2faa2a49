"""Bad configuration and bad command-line input, through the real CLI: each is exit status 2
and exactly one line on stderr naming what is wrong (file, source, key or option), never
a traceback, never a half-started command.

test_config checks load_config's messages for the common mistakes; this file drives
every command with a wide table of bad configs and bad arguments.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
GOOD_SOURCE = '[sources.a]\nfeed = ["http://127.0.0.1:9/feed/"]\n'

# (id, config text, words the message must contain)
BAD_CONFIGS = [
    ("not-toml", "[sources.a\n", ["not valid TOML"]),
    ("unknown-top-key", 'database = "x.db"\n' + GOOD_SOURCE, ["database", "unknown key"]),
    ("unknown-source-key", GOOD_SOURCE + "evrey = '1h'\n", ["sources.a", "evrey"]),
    ("unknown-default-key", "[defaults]\nspeed = 1\n" + GOOD_SOURCE, ["[defaults]", "speed"]),
    ("no-discovery", "[sources.a]\nevery = '1h'\n", ["sources.a", "feed, sitemap, start, urls"]),
    ("bad-regex", '[sources.a]\nstart = ["http://a.test/"]\nfollow = ["(["]\n',
     ["sources.a", "follow", "bad regex"]),
    ("follow-no-start", '[sources.a]\nfeed = ["http://a.test/f"]\nfollow = ["x"]\n',
     ["sources.a", "follow", "start"]),
    ("bad-fts", "[topics.t]\nquery = 'korea AND'\n" + GOOD_SOURCE, ["topics.t", "query", "FTS5"]),
    ("topic-no-query", "[topics.t]\n" + GOOD_SOURCE, ["topics.t", "query"]),
    ("bad-duration", GOOD_SOURCE + "every = 'fortnightly'\n", ["sources.a", "every"]),
    ("zero-duration", GOOD_SOURCE + "every = '0s'\n", ["sources.a", "every", "zero"]),
    ("huge-duration", GOOD_SOURCE + "every = '99999999999d'\n", ["sources.a", "every"]),
    ("duration-not-string", GOOD_SOURCE + "every = 30\n", ["sources.a", "every"]),
    ("ftp-url", '[sources.a]\nfeed = ["ftp://a.test/feed"]\n', ["sources.a", "feed", "http"]),
    ("file-url", '[sources.a]\nurls = ["file:///etc/passwd"]\n', ["sources.a", "urls"]),
    ("space-in-host", '[sources.a]\nurls = ["http://exa mple.com/"]\n', ["sources.a", "urls"]),
    ("bad-ipv6", '[sources.a]\nsitemap = ["http://[::1/s.xml"]\n', ["sources.a", "sitemap"]),
    ("bad-port", '[sources.a]\nstart = ["http://a.test:99999/"]\n', ["sources.a", "start"]),
    ("url-not-list", "[sources.a]\nfeed = 3\n", ["sources.a", "feed"]),
    ("robots-not-bool", GOOD_SOURCE + 'obey_robots = "yes"\n', ["sources.a", "obey_robots"]),
    ("zero-concurrency", GOOD_SOURCE + "concurrency = 0\n", ["sources.a", "concurrency"]),
    ("tiny-max-bytes", GOOD_SOURCE + "max_page_bytes = 10\n", ["sources.a", "max_page_bytes"]),
    ("negative-delay", GOOD_SOURCE + "delay = -1\n", ["sources.a", "delay"]),
    ("zero-timeout", GOOD_SOURCE + "download_timeout = 0\n", ["sources.a", "download_timeout"]),
    ("negative-retries", GOOD_SOURCE + "retries = -1\n", ["sources.a", "retries"]),
    ("empty-user-agent", GOOD_SOURCE + 'user_agent = ""\n', ["sources.a", "user_agent"]),
    ("sources-not-table", "sources = 3\n", ["sources"]),
    ("empty-db", 'db = ""\n' + GOOD_SOURCE, ["db"]),
]
COMMANDS = [["crawl"], ["run"], ["events"], ["serve"], ["reextract"]]


def assert_one_line(code: int, err: str, words: list[str]) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_one_line_and_exit_2_for_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
        words: list[str]) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text(text)
    for command in COMMANDS:
        code, out, err = run_cli(capsys, "--config", str(path), *command)
        assert_one_line(code, err, [str(path), *words])
        assert out == ""
    assert not (tmp_path / "data").exists()  # nothing was started or created


def test_unreadable_configs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    cases = {tmp_path / "missing.toml": "not found", tmp_path: "is a directory",
             binary: "cannot read config"}
    for path, words in cases.items():
        code, _, err = run_cli(capsys, "--config", str(path), "crawl")
        assert_one_line(code, err, [str(path), words])


@pytest.mark.parametrize(("args", "words"), [
    (["nosuchcommand"], ["No such command", "nosuchcommand"]),
    (["--bogus", "crawl"], ["--bogus"]),
    (["crawl", "nosuchsource"], ["nosuchsource", "a"]),
    (["crawl", "--bogus"], ["--bogus", "newswatch crawl --help"]),
    (["events", "--since"], ["--since", "requires an argument"]),
    (["events", "--since", "yesterday"], ["--since", "bad duration"]),
    (["events", "--since", "99999999999d"], ["--since", "at most"]),
    (["events", "--topic", "weather"], ["weather"]),
    (["serve", "--port", "99999"], ["--port", "99999"]),
    (["serve", "--port", "http"], ["--port", "http"]),
    (["extract"], ["FILE_OR_URL"]),
    (["extract", "ftp://a.test/x.html"], ["only http:// and https://"]),
])
def test_bad_command_line_is_one_line_and_exit_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  args: list[str], words: list[str]) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text("[topics.t]\nquery = 'korea'\n" + GOOD_SOURCE)
    code, out, err = run_cli(capsys, "--config", str(path), *args)
    assert_one_line(code, err, words)
    assert out == ""


def test_run_with_no_sources_is_a_usage_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text('db = "nw.db"\n')
    code, _, err = run_cli(capsys, "--config", str(path), "run")
    assert_one_line(code, err, [str(path), "no [sources.*]"])


def test_scheduler_script_with_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text(BAD_CONFIGS[2][1])
    proc = subprocess.run([sys.executable, "scheduler.py", "--config", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert_one_line(proc.returncode, proc.stderr, [str(path), "evrey"])
