"""Notifications without the daemon: config, masking, selection, messages, and the sender
against a real webhook receiver and a real SMTP server on 127.0.0.1 (tests/notify_servers)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import config_text, run_cli
from notify_servers import SmtpReceiver, WebhookReceiver

from newswatch.config import load_config
from newswatch.exceptions import ConfigError
from newswatch.notify import build_channels, outbox
from newswatch.notify.channels import Channel
from newswatch.notify.digest import period_of
from newswatch.notify.render import digest_message, event_message
from newswatch.notify.secrets import mask_url, secret_pieces
from newswatch.notify.sender import LEASE_SECONDS, Sender
from store import Store
from store import events as store_events

T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
UPDATE_DETAIL = {"version": 2, "summary": "v2: +1 -1 ~1 paragraphs", "title_changed": False,
                 "added": ["A new <script>alert(1)</script> paragraph & more. " * 10],
                 "removed": ["An old paragraph."],
                 "changed": [{"old": "Before.", "new": "After."}]}


class Clock:
    """A clock the test moves: backoff and digest periods without sleeping."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def write_config(tmp_path: Path, notify: str, name: str = "newswatch.toml") -> Path:
    path = tmp_path / name
    text = config_text({"m31": {"urls": ["http://127.0.0.1:9/a"]},
                        "wj": {"urls": ["http://127.0.0.1:9/b"]}},
                       topics={"nk": "pyongyang", "other": "moscow"}, db="nw.db",
                       events_log="events.jsonl")
    path.write_text(text + "\n" + notify, encoding="utf-8")
    return path


def add_events(store: Store, *specs: dict[str, Any]) -> list[int]:
    """Insert events (kind, source, topics, title, at, detail) in one transaction."""
    ids = []
    with store.transaction() as pending:
        for n, spec in enumerate(specs):
            event = store_events.insert(
                store.conn, at=spec.get("at", store.now()), kind=spec.get("kind", "new"),
                source=spec.get("source", "m31"), url=spec.get("url", f"https://e.test/{n}"),
                title=spec.get("title", f"Story {n}"), topics=spec.get("topics", ["nk"]),
                detail=spec.get("detail"))
            pending.append(event)
            ids.append(event["id"])
    return ids


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# -- configuration ------------------------------------------------------------------------

def test_notify_block_with_defaults_and_env_secrets(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NW_TEST_PW", "hunter2-secret")
    config = load_config(write_config(tmp_path, """
[notify.desk]
urls = ["mailto://alerts:${NW_TEST_PW}@mail.example.org?to=desk@example.org",
        "json://hooks.example.org/newswatch?x=$${LITERAL}"]
topics = ["nk"]
digest = "1d"
at = "07:00"
[notify.all]
urls = "json://hooks.example.org/all"
"""))
    desk, every = config.notify["desk"], config.notify["all"]
    assert desk.urls[0] == "mailto://alerts:hunter2-secret@mail.example.org?to=desk@example.org"
    assert desk.urls[1].endswith("?x=${LITERAL}")
    assert (desk.topics, desk.digest_seconds, desk.at) == (("nk",), 86400, "07:00")
    assert desk.events == ("new", "updated", "source_failed")
    assert (every.urls, every.topics, every.sources, every.digest) == (
        ("json://hooks.example.org/all",), (), (), None)
    assert config.secrets == ("hunter2-secret",)
    targets = [t.target for c in build_channels(config) for t in c.targets]
    assert targets[0] == "mailto://alerts:****@mail.example.org?to=desk@example.org"
    assert all("hunter2" not in t for t in targets)


@pytest.mark.parametrize(("block", "words"), [
    ('[notify.x]\nevents = ["new"]\n', ["[notify.x]", "urls", "needs"]),
    ('[notify.x]\nurls = ["json://h/"]\nevents = ["born"]\n', ["[notify.x]", "events", "born"]),
    ('[notify.x]\nurls = ["json://h/"]\ntopics = ["nope"]\n', ["[notify.x]", "topics", "nope"]),
    ('[notify.x]\nurls = ["json://h/"]\nsources = ["zz"]\n', ["[notify.x]", "sources", "zz"]),
    ('[notify.x]\nurls = ["json://h/"]\nat = "07:00"\n', ["[notify.x]", "at", "digest"]),
    ('[notify.x]\nurls = ["json://h/"]\ndigest = "1d"\nat = "7am"\n', ["[notify.x]", "at"]),
    ('[notify.x]\nurls = ["json://h/"]\ndigest = "weekly"\n', ["[notify.x]", "digest"]),
    ('[notify.x]\nurls = ["json://h/"]\ncolour = "red"\n', ["[notify.x]", "colour", "unknown"]),
    ('[notify.x]\nurls = ["hunter2"]\n', ["[notify.x]", "urls[0]", "not a URL"]),
])
def test_bad_notify_blocks_are_config_errors(tmp_path: Path, block: str,
                                             words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, block))
    message = str(info.value)
    assert all(word in message for word in words), message
    assert "hunter2" not in message


def test_missing_env_variable_is_one_line_and_exit_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NW_TEST_UNSET", raising=False)
    config = write_config(tmp_path, '[notify.desk]\nurls = ["json://u:${NW_TEST_UNSET}@h/"]\n')
    for command in (["notify", "test", "desk"], ["crawl"], ["sources"]):
        code, out, err = run_cli(capsys, "--config", str(config), *command)
        assert code == 2, (command, err)
        assert err.count("\n") == 1 and out == ""
        assert "NW_TEST_UNSET" in err and "[notify.desk]" in err and "'urls'" in err


def test_a_url_apprise_cannot_use_is_a_config_error_without_its_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, '[notify.desk]\nurls = ["nosuch://user:pw-x1y2z3@h/"]\n')
    code, _, err = run_cli(capsys, "--config", str(config), "notify", "test", "desk")
    assert code == 2 and err.count("\n") == 1
    assert "urls[0]" in err and "nosuch" in err and "pw-x1y2z3" not in err


# -- masking ------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "secrets", "kept"), [
    ("mailtos://alerts:S3cretPw@smtp.example.org:587?to=desk@example.org", ["S3cretPw"],
     ["alerts", "smtp.example.org", "desk@example.org"]),
    ("mailto://127.0.0.1:2525?user=alerts&pass=S3cretPw&to=c@d.org&from=a@b.org", ["S3cretPw"],
     ["alerts", "c@d.org"]),
    ("mailtos://me:S3cretPw@example.org?smtp=smtp2.example.org&to=desk2024@example.org",
     ["S3cretPw"], ["smtp=smtp2.example.org"]),
    ("json://hooks.example.org/hook?+Authorization=Bearer%20tok123456&-apikey=zzz999",
     ["tok123456", "zzz999"], ["hooks.example.org/hook"]),
    ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
     ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"], ["hooks.slack.com/services"]),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#newsdesk",
     ["T1JJ3T3L2", "TIiajkdnlazkcOXrIdevi7FQ"], ["newsdesk"]),
    ("ntfys://ntfy.example.org/newswatch?token=tk_abcdefghijklmnop", ["tk_abcdefghijklmnop"],
     ["ntfy.example.org/newswatch"]),
    ("ntfy://user:S3cretPw@ntfy.sh/mytopic", ["S3cretPw"], ["ntfy.sh/mytopic"]),
    ("tgram://123456789:ABCdefGhIJKlmnOPqrSTUvwXYz/987654", ["ABCdefGhIJKlmnOPqrSTUvwXYz"],
     ["tgram://"]),
])
def test_urls_are_masked(url: str, secrets: list[str], kept: list[str]) -> None:
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    assert plugin is not None
    masked = mask_url(url, secret_pieces(url, plugin.url(privacy=True)))
    assert "****" in masked
    assert not any(secret in masked for secret in secrets), masked
    assert all(part in masked for part in kept), masked


def test_values_from_env_are_masked_even_where_apprise_shows_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NW_HOOK_PATH", "plainlowercasepath")
    config = load_config(write_config(
        tmp_path, '[notify.x]\nurls = ["json://hooks.example.org/${NW_HOOK_PATH}"]\n'))
    (target,) = build_channels(config)[0].targets
    assert target.target == "json://hooks.example.org/****"


# -- selection and messages -------------------------------------------------------------------

def channel(tmp_path: Path, block: str) -> Channel:
    return build_channels(load_config(write_config(tmp_path, block)))[0]


def test_selection_by_kind_topic_and_source(tmp_path: Path) -> None:
    default = channel(tmp_path, '[notify.x]\nurls = ["json://h/"]\n')
    narrow = channel(tmp_path, '[notify.x]\nurls = ["json://h/"]\ntopics = ["other"]\n'
                               'sources = ["wj"]\nevents = ["new", "source_recovered"]\n')
    event = {"kind": "new", "source": "m31", "topics": ["nk"]}
    assert default.selects(event)
    assert default.selects({**event, "kind": "source_failed", "topics": []})
    assert not default.selects({**event, "kind": "duplicate"})
    assert not default.selects({**event, "kind": "source_recovered"})
    assert not narrow.selects(event)  # wrong topic and source
    assert not narrow.selects({**event, "topics": ["other"]})  # wrong source
    assert narrow.selects({**event, "source": "wj", "topics": ["nk", "other"]})
    # source events have no topic: the topic filter does not apply to them
    assert narrow.selects({"kind": "source_recovered", "source": "wj", "topics": []})
    assert not narrow.selects({"kind": "source_failed", "source": "wj", "topics": []})


def test_update_message_is_short_escaped_and_carries_the_id() -> None:
    event = {"id": 41, "at": "2026-03-02T10:00:00Z", "kind": "updated", "source": "m31",
             "topics": ["nk"], "url": "https://e.test/a?x=1&y=<2>", "title": "Kim & <Putin>",
             "detail": {**UPDATE_DETAIL, "added": UPDATE_DETAIL["added"] * 5}}
    message = event_message(event)
    assert message.fields == {"event_id": "41", "event_kind": "updated"}
    assert "Kim & <Putin>" in message.title
    for body in (message.text, message.html):
        assert "v2: +1 -1 ~1 paragraphs" in body and "newswatch event 41" in body
        assert "An old paragraph." in body and "After." in body
        assert "(and 2 more)" in body
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "Kim &amp; &lt;Putin&gt;" in message.html
    assert 'href="https://e.test/a?x=1&amp;y=&lt;2&gt;"' in message.html
    longest = max(len(line) for line in message.text.splitlines())
    assert longest <= 210, "paragraph excerpts are cut"


def test_digest_message_lists_every_event_of_the_period() -> None:
    events = [{"id": i, "at": "2026-03-02T10:00:01Z", "kind": "new", "source": "m31",
               "topics": ["nk"], "url": f"https://e.test/{i}", "title": f"Story {i}",
               "detail": {}} for i in (3, 4, 9)]
    start = T0
    message = digest_message("desk", events, start, start + timedelta(hours=1))
    assert message.fields["event_ids"] == "3,4,9"
    assert message.fields["digest_start"] == "2026-03-02T10:00:00Z"
    assert "3 events" in message.title
    for i in (3, 4, 9):
        assert f"newswatch event {i} " in message.text and f"Story {i}" in message.html


def test_digest_periods_follow_at_in_local_time() -> None:
    moment = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)
    local = moment.astimezone()
    start, end = period_of(moment, 86400, "07:00")
    assert (end - start) == timedelta(days=1)
    assert start.astimezone().strftime("%H:%M") == "07:00"
    assert start <= moment < end
    start, end = period_of(moment, 3600, None)
    assert start.astimezone() == local.replace(minute=0, second=0)
    start, end = period_of(moment, 5, None)
    assert start <= moment < end and (end - start).total_seconds() == 5


# -- the sender ----------------------------------------------------------------------------

def open_store(tmp_path: Path, clock: Clock | None = None) -> Store:
    return Store.open(tmp_path / "nw.db", tmp_path / "events.jsonl",
                      topics={"nk": "pyongyang", "other": "moscow"}, clock=clock)


def test_each_event_goes_once_to_each_url(tmp_path: Path, hook: WebhookReceiver,
                                          smtp: SmtpReceiver) -> None:
    config = load_config(write_config(tmp_path, f"""
[notify.hook]
urls = ["{hook.url}"]
[notify.mail]
urls = ["{smtp.url()}"]
events = ["new", "updated", "source_failed", "source_recovered"]
"""))
    store = open_store(tmp_path)
    add_events(store, {"title": "before the sender"})  # older than every URL: not sent
    time.sleep(1.1)  # event times are to the second
    sender = Sender(config, build_channels(config))
    ids = add_events(store, {"title": "one"}, {"kind": "updated", "detail": UPDATE_DETAIL},
                     {"kind": "duplicate"}, {"kind": "source_recovered", "topics": []})
    tally = sender.drain()
    assert hook.event_ids() == [ids[0], ids[1]]  # the default kinds: no duplicate, recovered
    mails = smtp.received()
    assert [int(m.text.split("newswatch event ")[1].split()[0]) for m in mails] == [
        ids[0], ids[1], ids[3]]
    assert "v2: +1 -1 ~1 paragraphs" in mails[1].text and "<li>" in mails[1].html
    assert "https://e.test/0" in mails[0].text  # the link survives in the text part
    assert tally["sent"] == 5 and tally["waiting"] == 0
    # the next pass, and a new sender, send nothing again
    assert sender.drain()["sent"] == 5
    sender.close()
    again = Sender(config, build_channels(config))
    assert again.drain()["sent"] == 0
    again.close()
    assert len(hook.messages()) == 2 and len(smtp.received()) == 3
    statuses = rows(tmp_path / "nw.db", "SELECT channel, status, attempts, count(*) FROM"
                                        " deliveries GROUP BY 1, 2, 3 ORDER BY 1")
    assert statuses == [("hook", "sent", 1, 2), ("mail", "sent", 1, 3)]
    store.close()


def test_failing_url_backs_off_turns_failing_and_never_blocks_the_other(
        tmp_path: Path, hook: WebhookReceiver, caplog: pytest.LogCaptureFixture) -> None:
    with WebhookReceiver() as other:
        config = load_config(write_config(tmp_path, f"""
[notify.desk]
urls = ["{hook.url}", "{other.url}"]
"""))
        clock = Clock()
        store = open_store(tmp_path, clock)
        sender = Sender(config, build_channels(config), clock=clock)
        hook.down()
        ids = add_events(store, {}, {}, {})
        caplog.set_level(logging.INFO, "newswatch.notify")
        for attempts in range(1, 5):  # four failed attempts: 1 s, 2 s, 5 s, 10 s of backoff
            tally = sender.drain()
            assert tally["failed"] == attempts
            assert other.event_ids() == ids  # the working URL got everything at once
            before = Counter(sender.drain())
            assert before["failed"] == attempts, "held back: no attempt before the backoff"
            clock.advance(outbox.BACKOFF[attempts - 1])
        health = rows(tmp_path / "nw.db", "SELECT target, health, failures FROM notify_targets"
                                          " ORDER BY health")
        assert health == [(hook.url, "failing", 4), (other.url, "ok", 0)]
        assert "is failing (3 attempts in a row)" in caplog.text
        unsent = rows(tmp_path / "nw.db", "SELECT status, attempts, error FROM deliveries"
                                          " WHERE target = ? ORDER BY event_id", hook.url)
        assert [r[:2] for r in unsent] == [("failed", 4), ("pending", 0), ("pending", 0)]
        assert "Connection error" in unsent[0][2]
        hook.up()
        tally = sender.drain()
        assert hook.event_ids() == ids, "everything that waited, in order, once"
        assert "works again" in caplog.text
        assert rows(tmp_path / "nw.db", "SELECT health, failures, hold_until FROM notify_targets"
                                        " WHERE target = ?", hook.url) == [("ok", 0, None)]
        assert other.event_ids() == ids
        sender.close()
        store.close()


def test_two_senders_never_send_the_same_delivery(tmp_path: Path,
                                                  hook: WebhookReceiver) -> None:
    hook.delay = 0.02
    config = load_config(write_config(tmp_path, f'[notify.a]\nurls = ["{hook.url}"]\n'
                                                f'[notify.b]\nurls = ["{hook.url}/b"]\n'))
    store = open_store(tmp_path)
    senders = [Sender(config, build_channels(config)) for _ in range(3)]
    for sender in senders:
        sender.step()  # register the URLs
    ids = add_events(store, *({} for _ in range(40)))
    threads = [threading.Thread(target=s.drain) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for sender in senders:
        sender.drain()
        sender.close()
    got = Counter((m["_path"], int(m["event_id"])) for m in hook.messages())
    assert set(got.values()) == {1}, "no delivery sent twice"
    assert sorted(got) == sorted([("/hook", i) for i in ids] + [("/hook/b", i) for i in ids])
    assert sum(s.tally["sent"] for s in senders) == 80
    assert sum(1 for s in senders if s.tally["sent"]) >= 2, "the work was shared"
    store.close()


def test_claims_of_a_dead_process_are_taken_over_and_live_ones_wait_for_their_lease(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    config = load_config(write_config(tmp_path, f'[notify.a]\nurls = ["{hook.url}"]\n'))
    clock = Clock()
    store = open_store(tmp_path, clock)
    sender = Sender(config, build_channels(config), clock=clock)
    sender.step()
    ids = add_events(store, {}, {})
    (target,) = sender.channels[0].targets
    conn = outbox.connect(tmp_path / "nw.db")
    outbox.materialize(conn, "a", target.url_key, target.target, sender.channels[0].selects,
                       None, clock())
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_owner = f"{outbox.socket.gethostname()}:{gone.stdout.strip()}:deadbeef"
    live_owner = f"{outbox.socket.gethostname()}:{outbox.os.getpid()}:otherone"
    (first,) = outbox.claim(conn, "a", target.url_key, live_owner, clock(), LEASE_SECONDS, 1)
    (second,) = outbox.claim(conn, "a", target.url_key, dead_owner, clock(), LEASE_SECONDS, 1)
    assert (first.events[0]["id"], second.events[0]["id"]) == tuple(ids)
    sender.drain()
    assert hook.event_ids() == [ids[1]], "a dead process's claim is void, a live one holds"
    clock.advance(LEASE_SECONDS + 1)
    sender.drain()
    assert hook.event_ids() == [ids[1], ids[0]], "a lapsed lease is taken over"
    conn.close()
    sender.close()
    store.close()


def test_digest_holds_exactly_its_period_and_empty_periods_send_nothing(
        tmp_path: Path, hook: WebhookReceiver) -> None:
    config = load_config(write_config(tmp_path, f"""
[notify.digest]
urls = ["{hook.url}"]
digest = "1h"
"""))
    clock = Clock(T0 + timedelta(minutes=5))
    store = open_store(tmp_path, clock)
    sender = Sender(config, build_channels(config), clock=clock)
    sender.step()
    hour = period_of(clock(), 3600, None)
    first = add_events(store, {}, {"kind": "source_failed", "topics": []})
    clock.advance(60)
    first += add_events(store, {"kind": "updated", "detail": UPDATE_DETAIL})
    assert sender.drain()["sent"] == 0, "nothing before the period ends"
    clock.now = hour[1] + timedelta(minutes=10)  # the next hour
    second = add_events(store, {})
    sender.drain()
    (message,) = hook.messages()
    assert message["event_ids"] == ",".join(map(str, first))
    assert message["digest_start"] == outbox.iso(hour[0])
    assert "3 events" in message["title"]
    clock.now = hour[1] + timedelta(hours=3)  # two hours with no event: no message
    late = add_events(store, {"at": outbox.iso(hour[1] + timedelta(minutes=20))})
    sender.drain()
    messages = hook.messages()
    assert [m["event_ids"] for m in messages] == [
        ",".join(map(str, first)), ",".join(map(str, second + late))]
    # an event of a period whose digest already went goes into the current one
    stale = add_events(store, {"at": outbox.iso(hour[0] + timedelta(minutes=30))})
    sender.drain()
    assert len(hook.messages()) == 2
    clock.advance(3600 + 5)
    sender.drain()
    assert hook.messages()[-1]["event_ids"] == str(stale[0])
    sender.close()
    store.close()


# -- the commands ---------------------------------------------------------------------------

def test_notify_test_says_per_url_whether_it_was_delivered(
        tmp_path: Path, hook: WebhookReceiver, smtp: SmtpReceiver,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NW_SMTP_PW", smtp.password)
    dead = WebhookReceiver()
    dead.down()
    config = write_config(tmp_path, f"""
[notify.desk]
urls = ["{smtp.url(password='${NW_SMTP_PW}')}", "{hook.url}", "{dead.url}",
        "{smtp.url(password='wrong-pw-123')}"]
""")
    code, out, err = run_cli(capsys, "--config", str(config), "notify", "test", "desk")
    lines = out.splitlines()
    assert code == 1 and "2 of 4 URLs of [notify.desk]" in err
    assert lines[0].startswith("mailto://alerts:****@127.0.0.1:") and \
        lines[0].endswith("  delivered")
    assert lines[1] == f"{hook.url}  delivered"
    assert lines[2].startswith(f"{dead.url}  NOT delivered: ") and "Connection" in lines[2]
    assert "NOT delivered" in lines[3]
    assert smtp.password not in out + err and "wrong-pw-123" not in out + err
    assert [m["event_id"] for m in hook.messages()] == ["test"]
    assert "newswatch test (desk)" in smtp.received()[0].subject
    code, _, err = run_cli(capsys, "--config", str(config), "notify", "test", "nope")
    assert code == 2 and "[notify.nope]" in err and "desk" in err


def test_sources_lists_notification_urls_failing_first(
        tmp_path: Path, hook: WebhookReceiver, capsys: pytest.CaptureFixture[str]) -> None:
    down = WebhookReceiver()
    down.down()
    config_path = write_config(tmp_path, f"""
[notify.desk]
urls = ["{hook.url}", "{down.url}"]
[notify.later]
urls = ["{hook.url}/later"]
""")
    config = load_config(config_path)
    store = open_store(tmp_path)
    sender = Sender(config, [c for c in build_channels(config) if c.name == "desk"])
    sender.step()
    add_events(store, {}, {})
    sender.drain()
    sender.close()
    code, out, _ = run_cli(capsys, "--config", str(config_path), "sources")
    assert code == 0
    table = out.split("\n\n", 1)[1].splitlines()
    assert table[0].split()[:3] == ["NOTIFY", "CHANNEL", "URL"]
    by_url = {line.split()[2]: line.split() for line in table[1:]}
    assert by_url[down.url][:5] == ["ok", "desk", down.url, "1", "2"]  # 1 failure: not yet
    assert by_url[hook.url][:5] == ["ok", "desk", hook.url, "0", "0"]
    assert table[-1].split()[:2] == ["new", "later"]
    store.close()


def test_secrets_stay_out_of_the_store_the_logs_and_errors(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NW_TOKEN", "Tok3n-from-env-9876")
    secrets = ("Tok3n-from-env-9876", "S3cretPw-in-url", "HeaderS3cret77", "T1JJ3T3L2xx")
    config = load_config(write_config(tmp_path, """
[notify.desk]
urls = ["mailto://alerts:S3cretPw-in-url@127.0.0.1:9?to=a@b.org&from=c@d.org",
        "json://127.0.0.1:9/hook?+X-Token=HeaderS3cret77&-sig=${NW_TOKEN}",
        "jsons://user:${NW_TOKEN}@127.0.0.1:9/T1JJ3T3L2xx"]
"""))
    caplog.set_level(logging.DEBUG)
    store = open_store(tmp_path)
    sender = Sender(config, build_channels(config))
    sender.step()
    add_events(store, {})
    sender.drain()
    sender.close()
    store.close()
    text = caplog.text + capsys.readouterr().err
    assert "did not take" in text
    assert "Loaded JSON URL" in text, "Apprise's own lines (debugging) are checked too"
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("nw.db"))
    for secret in secrets:
        assert secret not in text, secret
        assert secret.encode() not in stored, secret
    targets = [r[0] for r in rows(tmp_path / "nw.db", "SELECT target FROM notify_targets")]
    assert all("****" in t for t in targets), targets


def test_the_config_knows_every_event_kind_of_the_store() -> None:
    from newswatch import config

    assert config.EVENT_KINDS == store_events.EVENT_KINDS
