"""`newswatch extract FILE_OR_URL [--url URL] [--json]` through the real CLI entry point."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest
from conftest import run_cli

from newswatch.fixture_server import FixtureServer
from newswatch.fixtures import load_expectations

EXPECTATION = next(e for e in load_expectations() if e.site == "m31" and 0 in e.states)


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer(state=0, churn=False) as srv:
        yield srv


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "extract", *args)


def test_url(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, server.url("m31", EXPECTATION.path))
    assert code == 0
    assert f"title:     {EXPECTATION.title}" in out
    assert f"author:    {EXPECTATION.author}" in out
    assert EXPECTATION.paragraphs[0] in out
    assert all(line not in out for line in EXPECTATION.boilerplate)


def test_saved_file_as_json_with_its_url(server: FixtureServer, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    page = server.url("m31", EXPECTATION.path)
    saved = tmp_path / "page.html.gz"
    with urlopen(page) as response:  # the raw page, saved (gzipped, like aeb-dev's)
        saved.write_bytes(gzip.compress(response.read()))
    code, out, _ = run(capsys, str(saved), "--url", page + "?utm_source=mail", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["reason"] is None
    article = record["article"]
    assert article["url"] == page  # canonical: the page's rel=canonical, tracking dropped
    assert article["title"] == EXPECTATION.title
    assert article["published"][:10] == EXPECTATION.published
    assert set(article) >= {"url", "title", "author", "published", "modified", "language",
                            "sitename", "text", "text_hash", "tags"}


def test_not_an_article_exits_1(server: FixtureServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, server.url("m31", "/tag/north-korea/"))
    assert code == 1 and out.startswith("not an article: listing page")
    code, out, _ = run(capsys, server.url("m31", "/feed/"), "--json")
    assert code == 1 and json.loads(out)["article"] is None
    assert "feed" in json.loads(out)["reason"]


def test_fetch_failure_is_one_line(server: FixtureServer,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, server.url("m31", "/no/such/page/"))
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "HTTP 404" in err


def test_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope.html"))
    assert code == 1 and err.strip().count("\n") == 0 and "nope.html" in err


def test_only_http_urls(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ftp://127.0.0.1/page.html")
    assert code == 2 and "http" in err
