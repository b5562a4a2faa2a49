"""`newswatch worker`: a cluster's fetch-and-extract worker (needs `[cluster]`)."""

from __future__ import annotations

import logging
import queue
import signal
import sys
import time
from types import FrameType
from typing import Any

import click

from newswatch.commands.common import config_from

log = logging.getLogger("newswatch.worker")



@click.command(name="worker")
@click.pass_context
def command(ctx: click.Context) -> None:
    """A long-lived fetch-and-extract worker of a cluster, until SIGINT/SIGTERM.

    Takes source runs from the `[cluster]` Redis server, crawls them (per-site
    politeness, conditional requests, the revisit schedule), extracts the pages and
    sends the results to the coordinator (`newswatch run` with the same `[cluster]`),
    which alone writes the store: a worker needs the config file, not the store. Start
    any number, on any machines that reach Redis. Its engine is replaced after
    `[daemon] recycle_after_runs` runs or past `recycle_above_mb`; a run of a worker
    that dies is taken over by another after `[cluster] reclaim_after`.

    Example: newswatch --config /etc/newswatch/newswatch.toml worker
    """
    from scheduler import (
        STOP_GRACE_SECONDS,
        EngineProcess,
        engine_argv,
        kill_group,
        restart_delay,
    )

    config = config_from(ctx)
    if config.cluster is None:
        raise click.UsageError(f"{config.path}: no [cluster] table: `newswatch worker` takes"
                               " its runs from a Redis server (see docs/cluster.md)")
    inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    argv = [*(a for a in engine_argv(config)), "--cluster"]
    signals_seen = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals_seen
        signals_seen += 1
        inbox.put(("signal", signum))

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    restarts, code = 0, 0
    try:
        while not signals_seen:
            engine = EngineProcess(argv, inbox)
            started = time.monotonic()
            log.info("worker engine started (pid %d)", engine.pid)
            while True:
                item = inbox.get()
                if item[0] == "exit" and item[1] is engine:
                    code = item[2]
                    break
                if item[0] == "signal":
                    if signals_seen > 1:
                        kill_group(engine.pid)
                        sys.exit(1)
                    engine.terminate()
                    _wait(engine, STOP_GRACE_SECONDS)
                    code = 0
                    break
            kill_group(engine.pid)
            if signals_seen:
                break
            if code == 0:  # recycled: a fresh engine at once
                restarts = 0
                continue
            restarts, wait = restart_delay(restarts, time.monotonic() - started)
            log.error("the worker engine stopped unexpectedly (exit %s): a new one in %.0fs",
                      code, wait)
            deadline = time.monotonic() + wait
            while not signals_seen and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    ctx.exit(0)


def _wait(engine: Any, grace: float) -> None:
    try:
        engine.proc.wait(timeout=grace)
    except Exception:
        log.warning("the worker engine did not stop within %.0fs; killing it", grace)
        engine.kill()
