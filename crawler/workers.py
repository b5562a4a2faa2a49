"""What runs inside the extraction worker processes: kept to plain, picklable functions.

Workers are plain forks of the crawler process when they can be started before it runs
any thread (they then share the extractor it already imported: no start-up cost).
Otherwise they come from a forkserver that imports `extract` (trafilatura, lxml, the
fingerprinting) once and forks each worker from that clean process, never from one
with a running reactor and threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.context import BaseContext

from extract.record import Extraction
from extract.topics import TopicQueries

PRELOAD = ["extract"]
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


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
    die_with_parent()
    # a forkserver's child starts without the crawl's log set-up: library chatter
    # (trafilatura's "discarding data") would reach stderr through logging's last resort
    from newswatch.logs import setup_worker_logging

    setup_worker_logging()


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send `sig` (SIGKILL) to this process when the one that forked it dies.

    A forked worker inherits both ends of its task pipe, so it never sees EOF when a
    crawl is killed: without this it would linger forever, holding the crawl's stdout.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def ready() -> bool:
    """A no-op task: submitting it makes the pool start its workers."""
    return True


def extract_raw(body: bytes, url: str, content_type: str | None,
                boilerplate: frozenset[str] | None = None,
                topics: TopicQueries = ()) -> tuple[Extraction, bytes | None]:
    """Plain data in, plain data out (both picklable).

    Besides extracting, a worker does the rest of a page's CPU work that needs no store:
    matching the topics and packing the body the store keeps of an article. The crawl's
    main process, which runs the reactor and the store writer, is the bottleneck.
    """
    from extract import extract_page  # preloaded by the forkserver: free here
    from extract.topics import match_topics
    from store.bodies import pack

    extraction = extract_page(body, url, content_type, boilerplate=boilerplate)
    article = extraction.article
    if article is None:
        return extraction, None
    extraction.topics = match_topics(topics, article.title, article.text)
    return extraction, pack(body)
