"""What runs inside the extraction worker processes: kept to plain, picklable functions.

The workers come from a forkserver that imports `extract` (trafilatura, lxml, the
fingerprinting) once; each worker is then a cheap fork of it, never of the crawler
process with its reactor and threads.
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.context import BaseContext

from extract.record import Extraction

PRELOAD = ["extract"]


def worker_context() -> BaseContext:
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
