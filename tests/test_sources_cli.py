"""`newswatch sources`: each source's health, last and next run, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from newswatch.commands.sources import HEADER, format_table
from store import Store
from store.model import iso, utcnow
from store.schema import INITIAL
from store.sources_view import source_states

SOURCES = {name: {"urls": [f"http://{name}.test/"]}
           for name in ("a-flaky", "b-broken", "good", "quiet", "fresh")}


class Clock:
    """A store clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def run(store: Store, clock: Clock, source: str, took: float, **counts: int) -> None:
    run_id = store.start_run(source)
    clock.tick(took)
    store.finish_run(run_id, counts)


@pytest.fixture
def config(write_config: Callable[..., Path]) -> Path:
    """b-broken failed 3 times, a-flaky once; good ran fine 10 minutes ago, quiet is silent;
    fresh never ran; gone ran but is no longer in the config."""
    path = write_config({**SOURCES, "good": {**SOURCES["good"], "every": "1h"}})
    clock = Clock(utcnow().replace(microsecond=0) - timedelta(minutes=10))
    store = Store.open(path.parent / "data/newswatch.db", clock=clock)
    for _ in range(3):
        run(store, clock, "b-broken", 2, fetched=0, errors=4)
    run(store, clock, "a-flaky", 1, fetched=0, errors=1)
    run(store, clock, "good", 12.5, fetched=10, new=2, updated=1, unchanged=6, duplicates=1)
    run(store, clock, "quiet", 3, fetched=5, unchanged=5)
    run(store, clock, "gone", 1, fetched=1, unchanged=1)
    store.conn.execute("UPDATE sources SET health = 'silent' WHERE name = 'quiet'")
    store.conn.execute("UPDATE sources SET next_run_at = ? WHERE name = 'good'",
                       (iso(utcnow() + timedelta(minutes=50)),))
    store.conn.execute("UPDATE sources SET next_run_at = ? WHERE name = 'b-broken'",
                       (iso(utcnow() - timedelta(minutes=5)),))
    store.close()
    return path


def right_aligned(line: str, header: str, column: str) -> str:
    """The cell of a right-aligned column: it ends where the column's name ends."""
    return line[:header.index(column) + len(column)].split()[-1]


def sources_json(config: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    code, out, err = run_cli(capsys, "--config", str(config), "sources", "--json")
    assert code == 0, err
    result: list[dict[str, Any]] = json.loads(out)
    return result


def test_failing_first_then_silent_ok_never_run_then_unconfigured(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--config", str(config), "sources")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split("  ")[0] == "HEALTH" and "LAST ERROR" in lines[0]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["failing", "b-broken"], ["failing", "a-flaky"], ["silent", "quiet"], ["ok", "good"],
        ["new", "fresh"], ["ok", "gone"]]
    assert lines[-1].split()[1:4] == ["gone", "(not", "configured)"]


def test_columns_show_last_run_counts_failures_and_next_run(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "--config", str(config), "sources")
    rows = {line.split()[1]: line for line in out.splitlines()[1:]}
    header = out.splitlines()[0]
    good = rows["good"]
    # every column starts where its header does (numbers end where theirs ends)
    assert right_aligned(good, header, "TOOK") == "12.5s"
    assert right_aligned(good, header, "FAIL") == "0"
    assert right_aligned(rows["b-broken"], header, "FAIL") == "3"
    took, fail = header.index("TOOK"), header.index("FAIL")
    counts = header.index("FETCHED")
    assert good[counts:].split()[:7] == ["10", "2", "1", "6", "1", "0", "-"]
    assert "ago)" in good[header.index("LAST RUN"):took]
    next_run = good[header.index("NEXT RUN"):fail]
    assert "(in 49m)" in next_run or "(in 50m)" in next_run
    assert "(overdue 5m)" in rows["b-broken"]
    assert rows["b-broken"].endswith("nothing fetched, 4 errors")
    fresh = rows["fresh"].split()
    assert fresh[:4] == ["new", "fresh", "never", "run"] and set(fresh[4:]) == {"-"}


def test_json_has_every_field(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    states = {state["name"]: state for state in sources_json(config, capsys)}
    assert list(states) == ["b-broken", "a-flaky", "quiet", "good", "fresh", "gone"]
    good = states["good"]
    assert set(good) == {"name", "health", "failures", "last_run_at", "last_ok_at",
                         "last_duration_s", "next_run_at", "last_error", "running_since",
                         "configured", "every", "last_run"}
    assert good["every"] == "1h" and good["configured"] is True
    assert good["last_duration_s"] == 12.5 and good["last_ok_at"] == good["last_run_at"]
    assert good["last_run"]["status"] == "ok"
    assert {k: good["last_run"][k] for k in ("fetched", "new", "updated", "unchanged",
                                             "duplicates", "errors", "reason")} == {
        "fetched": 10, "new": 2, "updated": 1, "unchanged": 6, "duplicates": 1, "errors": 0,
        "reason": None}
    broken = states["b-broken"]
    assert (broken["health"], broken["failures"], broken["last_ok_at"]) == ("failing", 3, None)
    assert broken["last_error"] == "nothing fetched, 4 errors"
    assert broken["last_run"]["status"] == "failed"
    assert states["fresh"] == {
        "name": "fresh", "configured": True, "every": "30m", "health": "new", "failures": 0,
        "last_run_at": None, "last_ok_at": None, "last_duration_s": None, "next_run_at": None,
        "last_error": None, "running_since": None, "last_run": None}
    assert states["gone"]["configured"] is False and states["gone"]["every"] is None


def test_missing_store_is_never_run_and_creates_nothing(
        write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(SOURCES)
    code, out, err = run_cli(capsys, "--config", str(path), "sources")
    assert (code, err) == (0, "")
    lines = out.splitlines()[1:]
    assert [line.split()[1] for line in lines] == sorted(SOURCES)
    assert all(line.split()[0] == "new" and "never run" in line for line in lines)
    states = sources_json(path, capsys)
    assert [s["health"] for s in states] == ["new"] * len(SOURCES)
    assert not (path.parent / "data").exists()


def test_run_in_progress_shows_running_since(write_config: Callable[..., Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(SOURCES)
    store = Store.open(path.parent / "data/newswatch.db",
                       clock=lambda: utcnow() - timedelta(minutes=3))
    run_id = store.start_run("good")  # this process: alive, so the run is in progress
    store.finish_run(run_id, {"fetched": 4, "unchanged": 4})
    started = store.start_run("good")
    store.close()
    _, out, _ = run_cli(capsys, "--config", str(path), "sources")
    good = next(line for line in out.splitlines() if line.split()[1] == "good")
    assert "running since" in good and "(3m ago)" in good
    assert good.split()[0] == "ok"  # the last finished run still says how it went
    state = next(s for s in sources_json(path, capsys) if s["name"] == "good")
    assert state["running_since"] is not None and state["last_run"]["fetched"] == 4

    # a run whose process is gone is not running (the next daemon start closes it)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    with sqlite3.connect(path.parent / "data/newswatch.db") as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (int(dead), started))
    conn.close()
    state = next(s for s in sources_json(path, capsys) if s["name"] == "good")
    assert state["running_since"] is None


def test_first_run_in_progress_is_new_and_running(write_config: Callable[..., Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(SOURCES)
    store = Store.open(path.parent / "data/newswatch.db")
    store.start_run("fresh")
    store.close()
    state = next(s for s in sources_json(path, capsys) if s["name"] == "fresh")
    assert (state["health"], state["last_run"]) == ("new", None)
    assert state["running_since"] is not None


def test_store_from_before_m004_is_read(write_config: Callable[..., Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """No next_run_at, last_duration_s or runs.pid: the duration comes from the run."""
    path = write_config(SOURCES)
    (path.parent / "data").mkdir()
    with sqlite3.connect(path.parent / "data/newswatch.db") as conn:
        for statement in INITIAL:
            conn.execute(statement)
        conn.execute("INSERT INTO sources (name, last_run_at, last_ok_at) VALUES"
                     " ('good', '2024-10-01T12:00:20Z', '2024-10-01T12:00:20Z')")
        conn.execute("INSERT INTO runs (source, started_at, finished_at, status, fetched)"
                     " VALUES ('good', '2024-10-01T12:00:00Z', '2024-10-01T12:00:20Z', 'ok', 7)")
        conn.execute("INSERT INTO runs (source, started_at) VALUES"
                     " ('good', '2024-10-01T13:00:00Z')")
    conn.close()
    code, out, err = run_cli(capsys, "--config", str(path), "sources")
    assert (code, err) == (0, "")
    assert "2024-10-01 12:00 (" in out and "20.0s" in out
    state = next(s for s in sources_json(path, capsys) if s["name"] == "good")
    assert state["last_duration_s"] == 20.0 and state["next_run_at"] is None
    assert state["running_since"] == "2024-10-01T13:00:00Z"  # no pid: cannot tell it ended
    assert state["last_run"]["fetched"] == 7


def test_bad_config_is_a_one_line_error(write_config: Callable[..., Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config({"a": {"urls": ["http://a.test/"], "every": "often"}})
    code, out, err = run_cli(capsys, "--config", str(path), "sources")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "every" in err


def test_a_file_that_is_not_a_store_is_a_one_line_error(
        write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(SOURCES)
    (path.parent / "data").mkdir()
    (path.parent / "data/newswatch.db").write_bytes(b"not sqlite at all" * 100)
    code, out, err = run_cli(capsys, "--config", str(path), "sources")
    assert (code, out) == (1, "")
    assert len(err.strip().splitlines()) == 1 and "not a newswatch store" in err


def test_long_errors_are_cut_to_the_width(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = Store.open(db)
    run_id = store.start_run("a")
    store.finish_run(run_id, {"fetched": 0, "errors": 1})
    store.conn.execute("UPDATE sources SET last_error = ?", ("x\n" * 300,))
    store.close()
    states = source_states(db, {"a": "30m"})
    now = utcnow()
    piped = format_table(states, now).splitlines()
    assert piped[1].endswith("...") and len(piped[1]) - piped[0].index("LAST ERROR") == 80
    assert "x x x" in piped[1]  # one line: the error's newlines are spaces
    wide = format_table(states, now, 200).splitlines()
    assert max(len(line) for line in wide) == 200
    narrow = format_table(states, now, 40).splitlines()
    assert len(narrow[1]) - narrow[0].index("LAST ERROR") == 20
    assert narrow[0].split("  ")[0] == HEADER[0]
