"""How much memory a process and its children use, from /proc (Linux; 0.0 elsewhere).

PSS (proportional set size) where the kernel offers it: the extraction workers are forks
that share most of their pages with the engine, and RSS would count those pages once per
process. Reading smaps_rollup costs about a millisecond, so callers sample, not poll.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """The process's children, their children, and so on."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for path in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                kids = [int(k) for k in path.read_text().split()]
                found += kids
                todo += kids
    return found


def process_mb(pid: int) -> float:
    """PSS of one process in MB (RSS when PSS is not available; 0.0 if it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_mb(pid: int | None = None) -> float:
    """Memory of a process and all its descendants, in MB."""
    root = os.getpid() if pid is None else pid
    return sum(process_mb(p) for p in [root, *descendants(root)])
