"""The store's one writer thread, committing in groups.

Every store call of a crawl (reads included) runs on this thread, so SQLite sees a single
writer and the reactor never waits on a lock. Calls that arrive while a batch is open
join it (`Store.batch`: one transaction, a savepoint per call), and the batch commits
when no call has come for LINGER seconds, or after MAX_CALLS calls or MAX_SECONDS. A
5,000-page crawl made one COMMIT (and one rewrite of the full-text index's pages) per
page before; now a few per second. Results are handed back only after their batch
committed, so nobody acts on a write that a failed COMMIT undid.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from store import Store

logger = logging.getLogger(__name__)

T = TypeVar("T")

LINGER = 0.02  # seconds an open batch waits for one more call before it commits
MAX_SECONDS = 0.25  # a batch commits at the latest this long after it opened
MAX_CALLS = 500  # ... or after this many calls

_Call = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class BatchWriter:
    """`submit(fn, *args)` runs `fn(*args)` on the writer thread, inside a store batch."""

    def __init__(self, store: Store, name: str = "newswatch-store") -> None:
        self.store = store
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._closed = False  # no more submissions
        self._stopping = False  # the writer thread took the stop mark: last batch
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("the store writer is closed")
        future: Future[T] = Future()
        self._calls.put((future, fn, args))
        return future

    def shutdown(self) -> None:
        """Run every call already submitted, commit, and stop the thread."""
        if not self._closed:
            self._closed = True
            self._calls.put(None)
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping and (first := self._calls.get()) is not None:
            self._batch(first)
        # a call that raced the stop mark gets an answer rather than a wait forever
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            if call is not None:
                _answer(call[0], False, RuntimeError("the store writer is closed"))

    def _batch(self, first: _Call) -> None:
        """Run `first` and whatever follows in one batch, then hand out the results."""
        taken = [first]
        done: list[tuple[Future[Any], bool, Any]] = []
        try:
            with self.store.batch():
                call: _Call | None = first
                deadline = time.monotonic() + MAX_SECONDS
                while call is not None:
                    done.append(_run_call(call))
                    call = self._next(len(done), deadline)
                    if call is not None:
                        taken.append(call)
        except BaseException as exc:  # no transaction (store locked), or no COMMIT: nothing kept
            logger.error("store batch of %d calls failed: %r", len(taken), exc)
            for future, _, _ in taken:
                _answer(future, False, exc)
            return
        for future, ok, value in done:
            _answer(future, ok, value)

    def _next(self, calls: int, deadline: float) -> _Call | None:
        """The next call for this batch, or None when the batch should commit now."""
        remaining = deadline - time.monotonic()
        if calls >= MAX_CALLS or remaining <= 0:
            return None
        try:
            call = self._calls.get(timeout=min(LINGER, remaining))
        except queue.Empty:
            return None
        if call is None:  # shutdown: commit this batch, then stop
            self._stopping = True
        return call


def _answer(future: Future[Any], ok: bool, value: Any) -> None:
    """Hand a call its result (ok) or its exception, unless it was cancelled meanwhile."""
    if not future.set_running_or_notify_cancel():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _run_call(call: _Call) -> tuple[Future[Any], bool, Any]:
    future, fn, args = call
    try:
        return future, True, fn(*args)
    except BaseException as exc:  # the call's own failure, rolled back to its savepoint
        return future, False, exc
