"""Every command newswatch prints for the user to run works when pasted as is, from where
the user stands: `make demo` runs `.venv/bin/newswatch` in a shell whose PATH does not
have the virtualenv, so the demo must not say "newswatch serve" there.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from newswatch import hints

PROGRAM = Path(sys.executable).with_name("newswatch")  # the installed console script
# the user's shell: the virtualenv is not on PATH
USER_ENV = {**os.environ, "PATH": os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep)
    if p and Path(p).resolve() != PROGRAM.parent.resolve())}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def printed_commands(out: str) -> list[str]:
    """The indented command lines of the demo's closing hints."""
    tail = out[out.index("\nBrowse it"):]
    return [line.strip() for line in tail.splitlines() if line.startswith("    ")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """The real console script's demo (first timeline state only), run from the repo root."""
    folder = tmp_path_factory.mktemp("demo") / "nw-demo"
    proc = subprocess.run([str(PROGRAM), "demo", "--folder", str(folder), "--states", "1"],
                          cwd=ROOT, env=USER_ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield folder, printed_commands(proc.stdout)


def serve_answers(argv: list[str], port: int, cwd: Path) -> tuple[int | None, str]:
    """Start a server command, GET / on 127.0.0.1:port, stop it: (HTTP status, stderr)."""
    proc = subprocess.Popen(argv, cwd=cwd, env=USER_ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    status = None
    deadline = time.monotonic() + 30
    try:
        while status is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    status = resp.status
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # make's child too
        _, err = proc.communicate(timeout=15)
    return status, err


def test_what_the_demo_prints_works_from_the_repo_root(demo: tuple[Path, list[str]]) -> None:
    folder, commands = demo
    serve, events = commands
    assert serve.endswith(" serve") and events.endswith(" events")
    assert "/" in shlex.split(serve)[0]  # a path: `newswatch` is not on the user's PATH
    assert str(folder / "newswatch.toml") in serve

    proc = subprocess.run(shlex.split(events), cwd=ROOT, env=USER_ENV, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "NEW      [nk-russia]" in proc.stdout

    port = free_port()
    status, err = serve_answers([*shlex.split(serve), "--port", str(port)], port, ROOT)
    assert status == 200, err


@pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv/bin/newswatch").exists(),
                    reason="needs make and the repository's .venv")
def test_make_serve_serves_the_demo_store(demo: tuple[Path, list[str]]) -> None:
    folder, _ = demo
    port = free_port()
    # -o: take the virtualenv as installed (never reinstall in a test)
    argv = ["make", "--no-print-directory", "-o", ".venv/.installed", "serve",
            f"DEMO_DIR={folder}", f"SERVE_ARGS=--port {port}"]
    status, err = serve_answers(argv, port, ROOT)
    assert status == 200, err


def test_program_is_how_the_user_can_run_it_again(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "newswatch"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert hints.program() == "venv/bin/newswatch"  # below the current directory: relative
    assert hints.command_line("--config", "my dir/n.toml", "serve") == \
        "venv/bin/newswatch --config 'my dir/n.toml' serve"
    monkeypatch.chdir(ROOT)
    assert hints.program() == str(script)  # elsewhere: absolute
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert hints.program() == "newswatch"  # the one on PATH (an active virtualenv)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "newswatch" / "__main__.py")])
    assert hints.program().endswith(" -m newswatch")
