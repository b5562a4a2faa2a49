"""What runs inside the extraction worker processes: kept to plain, picklable functions.

Workers are plain forks of the crawler process when they can be started before it runs
any thread (they then share the extractor it already imported: no start-up cost).
Otherwise they come from a forkserver that imports `extract` (trafilatura, lxml, the
fingerprinting) once and forks each worker from that clean process, never from one
with a running reactor and threads.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from multiprocessing.context import BaseContext

from extract.record import Extraction

PRELOAD = ["extract"]


def fork_is_safe() -> bool:
    """A plain fork copies only the calling thread: safe while it is the only one."""
    return (threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


def forkserver_context() -> BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def init_worker() -> None:
    # Ctrl-C reaches the whole process group; the parent decides how to stop, so a
    # worker must not die mid-page with a KeyboardInterrupt of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ready() -> bool:
    """A no-op task: submitting it makes the pool start its workers."""
    return True


def extract_raw(body: bytes, url: str, content_type: str | None) -> Extraction:
    """Plain data in, plain data out (both picklable)."""
    from extract import extract_page  # preloaded by the forkserver: free here

    return extract_page(body, url, content_type)
