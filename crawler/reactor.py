"""Reaching the Twisted reactor, and bridging thread/process futures back onto it."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, TypeVar

from twisted.internet.defer import Deferred

T = TypeVar("T")


def the_reactor() -> Any:
    """The installed reactor, imported late: importing it too early installs the default
    one instead of the asyncio reactor the settings ask for. (Typed Any: Twisted's stubs
    describe the reactor by its many interfaces, none of them complete.)"""
    from twisted.internet import reactor

    return reactor


def deferred_from_future(future: Future[T]) -> Deferred[T]:
    """A Deferred fired on the reactor thread when a concurrent.futures Future completes."""
    reactor = the_reactor()
    d: Deferred[T] = Deferred()

    def fire(done: Future[T]) -> None:
        exc = done.exception()
        if exc is not None:
            reactor.callFromThread(d.errback, exc)
        else:
            reactor.callFromThread(d.callback, done.result())

    future.add_done_callback(fire)
    return d
