"""Commands printed for the user to paste: they must work from where the user stands.

`make demo` runs `.venv/bin/newswatch`; a hint saying `newswatch ...` would fail in the
user's shell, where the virtualenv is not active. So a hint names the program the way it
was started: `newswatch` when that is the one on PATH, else its path (relative to the
current directory when it is below it), or `python -m newswatch` with that python.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def program() -> str:
    """How to run this newswatch again from the current directory, shell-quoted."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == "__main__.py":  # python -m newswatch
        return f"{_shell_path(Path(sys.executable))} -m newswatch"
    script = Path(argv0) if os.sep in argv0 else _which(argv0)
    if script is None or not script.exists():
        return "newswatch"
    on_path = _which("newswatch")
    if on_path is not None and _same_file(on_path, script):
        return "newswatch"
    return _shell_path(script)


def command_line(*args: str | os.PathLike[str]) -> str:
    """`program()` followed by `args`, each shell-quoted: ready to paste."""
    return " ".join([program(), *(shlex.quote(os.fspath(a)) for a in args)])


def _which(name: str) -> Path | None:
    found = shutil.which(name) if name else None
    return Path(found) if found else None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def _shell_path(path: Path) -> str:
    """`path` relative to the current directory when it is below it (`.venv/bin/x`)."""
    absolute = Path(os.path.abspath(path))
    try:
        shown = str(absolute.relative_to(Path.cwd()))
        if os.sep not in shown:
            shown = f".{os.sep}{shown}"  # `./x`: a bare name would be looked up on PATH
    except ValueError:
        shown = str(absolute)
    return shlex.quote(shown)
