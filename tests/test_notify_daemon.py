"""Notifications end to end: the real daemon (a subprocess) and a real `newswatch crawl`,
over the fixture sites' timeline, delivering to a real webhook receiver and a real SMTP
server on 127.0.0.1: every selected event exactly once, digests holding exactly their
period's events, a receiver down for a while losing and doubling nothing, secrets kept
out of the log and the store."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from notify_servers import SmtpReceiver, WebhookReceiver
from test_daemon_kill import query

from newswatch.demo import fixture_config
from newswatch.fixture_server import FixtureServer
from newswatch.notify.outbox import parse_iso

SMTP_PASSWORD = "Sm7p-pa55word-for-the-test"
ALL_KINDS = '["new", "updated", "duplicate", "source_failed", "source_recovered"]'
DIGEST_SECONDS = 5


def write_config(path: Path, srv: FixtureServer, notify: str,
                 sources: dict[str, tuple[str, str]]) -> Path:
    path.write_text(fixture_config(srv, sources, {"delay": "0", "retries": "0",
                                                  "download_timeout": "3"}, db="nw.db")
                    + "\n" + notify)
    return path


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def event_rows(db: Path, kinds: tuple[str, ...] | None = None) -> list[tuple[int, str, str]]:
    rows = query(db, "SELECT id, kind, at FROM events ORDER BY id")
    return [(int(i), k, a) for i, k, a in rows if kinds is None or k in kinds]


def unsent(db: Path) -> int:
    rows = query(db, "SELECT count(*) FROM deliveries WHERE status != 'sent'")
    return int(rows[0][0]) if rows else -1


def mail_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"newswatch event (\d+) ", text)]


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, SmtpReceiver]]:
    with WebhookReceiver() as hook, SmtpReceiver(password=SMTP_PASSWORD) as smtp:
        yield hook, smtp


def start_daemon(config: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "newswatch", "--config", str(config), "run"], stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NW_SMTP_PASSWORD": SMTP_PASSWORD})


def test_daemon_delivers_the_timeline_once_digests_by_period_and_survives_a_down_receiver(
        tmp_path: Path, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hook, smtp = receivers
    db, log = tmp_path / "nw.db", tmp_path / "daemon.log"
    notify = f"""
[notify.hook]
urls = ["{hook.url}"]
events = {ALL_KINDS}

[notify.mail]
urls = ["{smtp.url(password='${NW_SMTP_PASSWORD}')}"]
digest = "{DIGEST_SECONDS}s"
"""
    health_seen: list[str] = []

    def hook_health() -> str:
        rows = query(db, "SELECT health FROM notify_targets WHERE channel = 'hook'")
        health = rows[0][0] if rows else "-"
        if not health_seen or health_seen[-1] != health:
            health_seen.append(health)
        return str(health)

    def delivered(n: int) -> Callable[[], bool]:
        return lambda: hook_health() is not None and len(hook.event_ids()) >= n

    with FixtureServer(state=0) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv, notify, {
            "m31": ("m31", "1s"), "westjournal": ("westjournal", "1s"),
            "analysis": ("analysis", "2s")})
        daemon = start_daemon(config, log)
        try:
            wait_for(lambda: len(event_rows(db, ("new",))) >= 5, 60, "the state-0 stories")
            wait_for(delivered(5), 30, "their webhook deliveries")
            srv.set_state(2)  # a new story
            wait_for(delivered(6), 60, "the state-2 story delivered")
            srv.set_state(3)  # an edit
            wait_for(delivered(7), 60, "the update delivered")
            hook.down()  # the receiver goes away for a while
            srv.set_state(4)  # a syndicated copy: a duplicate event
            srv.fault("m31", "/", "down")  # and a source breaks: source_failed
            wait_for(lambda: hook_health() == "failing", 60, "the webhook marked failing")
            wait_for(lambda: len(event_rows(db, ("source_failed",))) == 1, 60, "source_failed")
            srv.clear_faults()
            wait_for(lambda: len(event_rows(db, ("source_recovered",))) == 1, 60, "recovery")
            assert len(hook.event_ids()) == 7, "nothing reached a receiver that was down"
            hook.up()
            wanted = len(event_rows(db))
            wait_for(delivered(wanted), 60, "what waited, delivered once the receiver is up")
            wait_for(lambda: hook_health() == "ok", 10, "the webhook ok again")
            last_at = parse_iso(event_rows(db)[-1][2])
            wait_for(lambda: datetime.now(last_at.tzinfo) > last_at + timedelta(
                seconds=DIGEST_SECONDS + 3) and unsent(db) == 0, 60, "the last digest")
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    output = log.read_text()
    events = event_rows(db)

    # the webhook: every event exactly once, in order, each carrying its id
    assert hook.event_ids() == [i for i, _, _ in events]
    assert Counter(kind for _, kind, _ in events) == {
        "new": 6, "updated": 1, "duplicate": 1, "source_failed": 1, "source_recovered": 1}
    assert health_seen[-3:] == ["ok", "failing", "ok"]
    assert "is failing (3 attempts in a row)" in output and "works again" in output

    # the e-mail digest: the default kinds, each event once, each mail exactly its period
    mails = smtp.received()
    selected = {i: parse_iso(at) for i, kind, at in events
                if kind in ("new", "updated", "source_failed")}
    got = Counter(i for mail in mails for i in mail_ids(mail.text))
    assert got == Counter(selected.keys())
    periods = dict(query(db, "SELECT event_id, digest FROM deliveries WHERE channel = 'mail'"))
    for mail in mails:
        ids = mail_ids(mail.text)
        (start,) = {parse_iso(periods[i]) for i in ids}
        end = start + timedelta(seconds=DIGEST_SECONDS)
        assert set(ids) == {i for i, at in selected.items() if start <= at < end}, mail.subject
        assert f"{len(ids)} event" in mail.subject
        assert mail.recipients == ["desk@example.org"] and mail.html
    assert len(mails) < len(selected), "events of one period share a message"

    # secrets: never in the log, the store or the events log
    assert SMTP_PASSWORD not in output
    for path in tmp_path.iterdir():
        if path.is_file() and path.name != "newswatch.toml":
            assert SMTP_PASSWORD.encode() not in path.read_bytes(), path.name
    assert query(db, "SELECT DISTINCT target FROM deliveries WHERE channel = 'mail'")[0][0] \
        .startswith("mailto://alerts:****@127.0.0.1:")


def test_crawl_delivers_its_events_and_what_was_pending_before_it_exits(
        tmp_path: Path, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hook, _ = receivers
    db = tmp_path / "nw.db"
    with FixtureServer(state=0) as srv:
        config = write_config(tmp_path / "newswatch.toml", srv,
                              f'[notify.hook]\nurls = ["{hook.url}"]\n',
                              {"analysis": ("analysis", "1h"), "wj": ("westjournal", "1h")})
        hook.down()
        first = crawl(config)
        assert first.returncode == 0, first.stderr[-2000:]  # a failed delivery fails no crawl
        assert "did not take" in first.stderr and "0 sent" in first.stderr
        new = [i for i, _, _ in event_rows(db, ("new",))]
        assert len(new) == 4 and hook.event_ids() == []
        hook.up()
        second = crawl(config)  # nothing new: it sends what the first one could not
        assert second.returncode == 0, second.stderr[-2000:]
        assert "4 sent" in second.stderr
        assert hook.event_ids() == new
    assert unsent(db) == 0


def crawl(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newswatch", "--config", str(config), "crawl",
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
