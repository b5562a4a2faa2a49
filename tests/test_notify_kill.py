"""Deliveries survive a power cut: the daemon (`newswatch run`) SIGKILLed at random moments
while it delivers, and restarted.

Events are written into the store in bursts while the daemon runs (the way the crawl
engine writes them); the daemon delivers them to four URLs of a slow webhook receiver
(three sent one event at a time, one as a 2-second digest). The receiver keeps a message
as soon as it has read it and answers 0.15 s later, so a kill often lands between a
receiver's acceptance and the sender's record of it: the one window in which a message
is sent again after the restart. At the end every event must have reached every URL
(0 lost), and each URL may have seen at most one repeat per kill (the message in flight).

CI runs 3 kills; `NEWSWATCH_NOTIFY_KILLS=N` runs N and prints the figures either way.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

from notify_servers import WebhookReceiver
from test_daemon_kill import power_cut, start_daemon

from newswatch.demo import fixture_config
from newswatch.fixture_server import FixtureServer
from store import Store
from store import events as store_events

KILLS = int(os.environ.get("NEWSWATCH_NOTIFY_KILLS", "0")) or 3
SEED = int(os.environ.get("NEWSWATCH_KILL_SEED", time.time_ns() % 2**32))
BURST = 8  # events written before each kill
IMMEDIATE = ("a", "b", "c")


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait(check: Any, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-3000:]}")
        time.sleep(0.05)


def burst(store: Store, n: int) -> list[int]:
    ids = []
    with store.transaction() as pending:
        for _ in range(n):
            event = store_events.insert(store.conn, at=store.now(), kind="new", source="src",
                                        url=f"https://e.test/{time.time_ns()}",
                                        title="A story", topics=["nk-russia"])
            pending.append(event)
            ids.append(event["id"])
    return ids


def received(hook: WebhookReceiver) -> Counter[tuple[str, int]]:
    """(URL path, event id) -> times received; a digest counts for each of its events."""
    got: Counter[tuple[str, int]] = Counter()
    for message in hook.messages():
        ids = message.get("event_ids") or message.get("event_id")
        for event_id in str(ids).split(","):
            got[(message["_path"], int(event_id))] += 1
    return got


def test_daemon_killed_while_delivering_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    db, log = tmp_path / "nw.db", tmp_path / "daemon.log"
    started = time.monotonic()
    with WebhookReceiver() as hook, FixtureServer(state=0) as srv:
        hook.delay = 0.15
        base = f"json://127.0.0.1:{hook.port}"
        blocks = "".join(f'\n[notify.{name}]\nurls = ["{base}/{name}"]\n' for name in IMMEDIATE)
        blocks += f'\n[notify.d]\nurls = ["{base}/d"]\ndigest = "2s"\n'
        config = tmp_path / "newswatch.toml"
        config.write_text(fixture_config(srv, {"src": ("analysis", "1h")}, db="nw.db")
                          + blocks)
        store = Store.open(db, tmp_path / "events.jsonl")
        written: list[int] = []
        kills = processes = 0
        try:
            for _ in range(KILLS):
                daemon = start_daemon(config, log)
                wait(lambda: len(query(db, "SELECT 1 FROM notify_targets")) == 4, 30,
                     "the URLs registered", log)
                before = len(hook.messages())
                written += burst(store, BURST)
                wait(lambda n=before: len(hook.messages()) > n, 30, "deliveries under way", log)
                time.sleep(rng.uniform(0, 1.2))
                processes += power_cut(daemon)
                kills += 1
            daemon = start_daemon(config, log)
            wait(lambda: query(db, "SELECT count(*) FROM deliveries WHERE status != 'sent'")
                 == [(0,)] and len(query(db, "SELECT 1 FROM deliveries")) == 4 * len(written),
                 60, "every delivery sent", log)
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            store.close()
            if daemon.poll() is None:
                power_cut(daemon)
    got = received(hook)
    want = {(f"/{name}", i) for name in (*IMMEDIATE, "d") for i in written}
    lost = len(want - set(got))
    repeats = sum(n - 1 for n in got.values())
    repeated_messages = sum(1 for m, n in Counter(
        (m["_path"], str(m.get("event_ids") or m.get("event_id"))) for m in hook.messages()
    ).items() if n > 1)
    print(f"notify kill test (seed {SEED}): {kills} daemons killed ({processes} processes),"
          f" {len(written)} events x 4 URLs, {len(got)} (URL, event) pairs received,"
          f" {lost} lost, {repeats} repeats in {repeated_messages} repeated messages,"
          f" {time.monotonic() - started:.0f}s")
    assert lost == 0
    assert set(got) == want, "only the events written, to the URLs configured"
    assert repeated_messages <= kills * 4, "at most the message in flight per URL and kill"
    assert query(db, "SELECT count(*) FROM deliveries WHERE claimed_by IS NOT NULL") == [(0,)]
