"""Load and validate `newswatch.toml` into typed, immutable objects.

Lookup order: an explicit path, else $NEWSWATCH_CONFIG, else ./newswatch.toml.
Relative paths inside the file are relative to the file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extract.stems import STEMS_MODES, rewrite
from newswatch.durations import parse_duration
from newswatch.exceptions import ConfigError

DEFAULT_EVERY = "30m"
DEFAULT_USER_AGENT = "newswatch (+https://github.com/newswatch/newswatch)"
DEFAULT_MAX_PAGES = 2  # listing pagination depth: start page + this many "next" pages
DISCOVERY_KEYS = ("feed", "sitemap", "start", "urls")
TOP_KEYS = {"db", "events_log", "defaults", "topics", "sources", "daemon", "notify",
            "cluster"}
DEFAULT_KEYS = {"every", "obey_robots", "user_agent", "max_pages", "concurrency",
                "download_timeout", "max_page_bytes", "delay", "retries", "revisit"}
# ages (since first seen) at which a known article is re-requested for edits
DEFAULT_REVISIT = ("1h", "3h", "12h", "1d", "3d", "7d")
DEFAULT_DELAY = 0.5  # seconds between requests to one host: AutoThrottle's start and floor
DEFAULT_RETRIES = 2  # retries (with backoff) after a 5xx, a 429 or a network error
SOURCE_KEYS = DEFAULT_KEYS | set(DISCOVERY_KEYS) | {"follow"}
TOPIC_KEYS = {"query", "stems"}
DEFAULT_STEMS = "auto"  # extract.stems.STEMS_MODES
CLUSTER_KEYS = {"redis", "prefix", "reclaim_after"}
DAEMON_KEYS = {"runs_in_flight", "requests_in_flight", "run_timeout", "recycle_after_runs",
               "recycle_above_mb"}
NOTIFY_KEYS = {"urls", "events", "topics", "sources", "digest", "at"}
# event kinds a [notify.NAME] block may select (store.events.EVENT_KINDS; not imported:
# loading the config must not load the store)
EVENT_KINDS = ("new", "updated", "duplicate", "source_failed", "source_recovered")
DEFAULT_NOTIFY_EVENTS = ("new", "updated", "source_failed")
_ENV_REF = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")  # ${NAME}; $${NAME} is literal


@dataclass(frozen=True)
class Topic:
    name: str
    query: str  # as written in the config
    stems: str = DEFAULT_STEMS
    run_query: str = ""  # as run (after `stems`): what the matcher, store and Datasette use

    @property
    def as_run(self) -> str:
        return self.run_query or self.query


@dataclass(frozen=True)
class Source:
    name: str
    feed: tuple[str, ...] = ()
    sitemap: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    every: str = DEFAULT_EVERY
    every_seconds: float = 1800.0
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    max_pages: int = DEFAULT_MAX_PAGES
    concurrency: int = 4
    download_timeout: float = 20.0
    max_page_bytes: int = 10 * 1024 * 1024
    delay: float = DEFAULT_DELAY
    retries: int = DEFAULT_RETRIES
    revisit: tuple[float, ...] = tuple(parse_duration(a) for a in DEFAULT_REVISIT)  # seconds

    @property
    def configured_urls(self) -> tuple[str, ...]:
        return self.feed + self.sitemap + self.start + self.urls


@dataclass(frozen=True)
class DaemonSettings:
    """`[daemon]`: the bounds of the long-lived crawl engine behind `newswatch run`."""

    runs_in_flight: int = 100  # source runs crawling at once; due runs beyond wait in line
    requests_in_flight: int = 64  # requests in flight over every source at once
    run_timeout: float = 600.0  # seconds: a run still going after this is cut (partial)
    recycle_after_runs: int = 5000  # the engine process is replaced after this many runs
    recycle_above_mb: int = 400  # ... or once its process tree uses more memory than this


@dataclass(frozen=True)
class Notify:
    """`[notify.NAME]`: which events go to which Apprise URLs, at once or as a digest."""

    name: str
    urls: tuple[str, ...] = field(repr=False)  # `${NAME}` substituted: may hold secrets
    events: tuple[str, ...] = DEFAULT_NOTIFY_EVENTS
    topics: tuple[str, ...] = ()  # () = every topic
    sources: tuple[str, ...] = ()  # () = every source
    digest: str | None = None  # e.g. "1h": one message per period instead of one per event
    digest_seconds: float | None = None
    at: str | None = None  # "HH:MM" local time: where digest periods start


@dataclass(frozen=True)
class ClusterSettings:
    """`[cluster]`: fetch and extract on many machines, coordinated through Redis."""

    redis: str  # redis://[user:password@]host:port/db
    prefix: str = "newswatch"  # of every Redis key, so several clusters can share a server
    reclaim_after: float = 120.0  # seconds: a run silent this long is taken over


@dataclass(frozen=True)
class Config:
    path: Path
    db: Path
    events_log: Path
    topics: tuple[Topic, ...] = ()
    sources: dict[str, Source] = field(default_factory=dict)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    notify: dict[str, Notify] = field(default_factory=dict)
    cluster: ClusterSettings | None = None  # None: one machine (the default)
    secrets: tuple[str, ...] = field(default=(), repr=False)  # `${NAME}` values: masked

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise ConfigError(f"no source named {name!r} (configured: {known})",
                              path=str(self.path)) from None

    def topic_queries(self) -> dict[str, str]:
        """Each topic's query as run (after `stems`): the one to match and search with."""
        return {t.name: t.as_run for t in self.topics}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("NEWSWATCH_CONFIG")
    if env:
        return Path(env)
    return Path("newswatch.toml")


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    path = config_path(explicit)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found (use --config PATH or $NEWSWATCH_CONFIG)",
                          path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    where = str(path)
    secrets: list[str] = []
    raw = _substitute_env(raw, where, (), secrets)
    _reject_unknown(raw, TOP_KEYS, where, None)
    base = path.parent
    db = _resolve(base, _string(raw.get("db", "data/newswatch.db"), where, None, "db"))
    log = _resolve(base, _string(raw.get("events_log", "data/events.jsonl"), where, None,
                                 "events_log"))
    defaults = _table(raw.get("defaults", {}), where, "[defaults]", "defaults")
    _reject_unknown(defaults, DEFAULT_KEYS, where, "[defaults]")
    topics = tuple(_topic(name, body, where)
                   for name, body in _table(raw.get("topics", {}), where, None, "topics").items())
    sources = {name: _source(name, body, defaults, where)
               for name, body in _table(raw.get("sources", {}), where, None, "sources").items()}
    daemon = _daemon(_table(raw.get("daemon", {}), where, "[daemon]", "daemon"), where)
    notify = {name: _notify(name, body, where, topics, sources)
              for name, body in _table(raw.get("notify", {}), where, None, "notify").items()}
    cluster = (_cluster(_table(raw["cluster"], where, "[cluster]", "cluster"), where)
               if "cluster" in raw else None)
    return Config(path=path, db=db, events_log=log, topics=topics, sources=sources,
                  daemon=daemon, notify=notify, cluster=cluster,
                  secrets=tuple(dict.fromkeys(secrets)))


def _cluster(body: dict[str, Any], where: str) -> ClusterSettings:
    section = "[cluster]"
    _reject_unknown(body, CLUSTER_KEYS, where, section)
    url = _string(body.get("redis"), where, section, "redis")
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"not a Redis URL (redis://host:port/db): {url.split('@')[-1]!r}",
                          path=where, source=section, key="redis")
    prefix = _string(body.get("prefix", "newswatch"), where, section, "prefix")
    reclaim = body.get("reclaim_after")
    return ClusterSettings(
        redis=url, prefix=prefix,
        reclaim_after=(120.0 if reclaim is None
                       else _duration(reclaim, where, section, "reclaim_after")))


def _substitute_env(value: Any, where: str, keys: tuple[str, ...], found: list[str]) -> Any:
    """`${NAME}` in every string replaced by the environment variable NAME (its value is
    added to `found`); a missing variable is a ConfigError naming the table and the key."""
    if isinstance(value, dict):
        return {k: _substitute_env(v, where, (*keys, k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, where, keys, found) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(1):  # $${NAME}: the text ${NAME} itself
            return match.group(0)[1:]
        name = match.group(2)
        if name not in os.environ:
            section = f"[{'.'.join(keys[:-1])}]" if len(keys) > 1 else None
            raise ConfigError(f"environment variable {name} is not set (used as ${{{name}}})",
                              path=where, source=section, key=keys[-1] if keys else None)
        found.append(os.environ[name])
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


def _notify(name: str, body: Any, where: str, topics: tuple[Topic, ...],
            sources: dict[str, Source]) -> Notify:
    section = f"[notify.{name}]"
    body = _table(body, where, section, "notify")
    _reject_unknown(body, NOTIFY_KEYS, where, section)
    if "urls" not in body:
        raise ConfigError("needs the Apprise URLs to send to", path=where, source=section,
                          key="urls")
    urls = _string_list(body["urls"], where, section, "urls")
    for index, url in enumerate(urls):
        if "://" not in url:  # not echoed: it may hold a secret (Apprise checks the rest)
            raise ConfigError(f"urls[{index}] is not a URL (an Apprise URL such as"
                              " mailto://... or json://...)", path=where, source=section,
                              key="urls")
    events = _string_list(body.get("events", list(DEFAULT_NOTIFY_EVENTS)), where, section,
                          "events")
    _known(events, EVENT_KINDS, "event kind", where, section, "events")
    chosen_topics = _string_list(body.get("topics", []), where, section, "topics")
    _known(chosen_topics, tuple(t.name for t in topics), "topic", where, section, "topics")
    chosen_sources = _string_list(body.get("sources", []), where, section, "sources")
    _known(chosen_sources, tuple(sources), "source", where, section, "sources")
    digest = body.get("digest")
    seconds = None if digest is None else _duration(digest, where, section, "digest")
    at = body.get("at")
    if at is not None:
        if digest is None:
            raise ConfigError("needs digest: it sets when digest periods start", path=where,
                              source=section, key="at")
        if not isinstance(at, str) or not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", at):
            raise ConfigError('must be a local time "HH:MM", e.g. "07:00"', path=where,
                              source=section, key="at")
    return Notify(name=name, urls=urls, events=events, topics=chosen_topics,
                  sources=chosen_sources, digest=digest, digest_seconds=seconds, at=at)


def _known(values: tuple[str, ...], allowed: tuple[str, ...], what: str, where: str,
           section: str, key: str) -> None:
    for value in values:
        if value not in allowed:
            raise ConfigError(f"unknown {what} {value!r} (known: {', '.join(allowed) or 'none'})",
                              path=where, source=section, key=key)


def _daemon(body: dict[str, Any], where: str) -> DaemonSettings:
    section = "[daemon]"
    _reject_unknown(body, DAEMON_KEYS, where, section)
    base = DaemonSettings()
    timeout = body.get("run_timeout")
    return DaemonSettings(
        runs_in_flight=_int(body.get("runs_in_flight", base.runs_in_flight), where, section,
                            "runs_in_flight", low=1),
        requests_in_flight=_int(body.get("requests_in_flight", base.requests_in_flight),
                                where, section, "requests_in_flight", low=1),
        run_timeout=(base.run_timeout if timeout is None
                     else _duration(timeout, where, section, "run_timeout")),
        recycle_after_runs=_int(body.get("recycle_after_runs", base.recycle_after_runs),
                                where, section, "recycle_after_runs", low=1),
        recycle_above_mb=_int(body.get("recycle_above_mb", base.recycle_above_mb), where,
                              section, "recycle_above_mb", low=50),
    )


def _duration(value: Any, where: str, section: str, key: str) -> float:
    try:
        return parse_duration(_string(value, where, section, key))
    except ValueError as exc:
        raise ConfigError(str(exc), path=where, source=section, key=key) from None


def _revisit(value: Any, where: str, section: str) -> tuple[float, ...]:
    """Ages in seconds, ascending: `revisit = []` re-checks only on a feed's signal."""
    if not isinstance(value, list):
        raise ConfigError('must be a list of durations, e.g. ["1h", "1d"]', path=where,
                          source=section, key="revisit")
    return tuple(sorted({_duration(v, where, section, "revisit") for v in value}))


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _reject_unknown(table: dict[str, Any], allowed: set[str], where: str,
                    section: str | None) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key (allowed: {', '.join(sorted(allowed))})",
                              path=where, source=section, key=key)


def _table(value: Any, where: str, section: str | None, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError("must be a table", path=where, source=section, key=key)
    return value


def _string(value: Any, where: str, section: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("must be a non-empty string", path=where, source=section, key=key)
    return value


def _string_list(value: Any, where: str, section: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("must be a string or a list of strings", path=where, source=section,
                          key=key)
    return tuple(value)


def _topic(name: str, body: Any, where: str) -> Topic:
    section = f"[topics.{name}]"
    body = _table(body, where, section, "topics")
    _reject_unknown(body, TOPIC_KEYS, where, section)
    query = _string(body.get("query"), where, section, "query")
    check_fts_query(query, where=where, section=section)
    stems = body.get("stems", DEFAULT_STEMS)
    if stems not in STEMS_MODES:
        raise ConfigError(f"must be one of {', '.join(map(repr, STEMS_MODES))}, not {stems!r}",
                          path=where, source=section, key="stems")
    run_query = rewrite(query, stems)
    check_fts_query(run_query, where=where, section=section)
    return Topic(name=name, query=query, stems=stems, run_query=run_query)


def check_fts_query(query: str, *, where: str = "", section: str | None = None) -> None:
    """Raise ConfigError if SQLite FTS5 rejects the query syntax."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(title, text)")
        con.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
    except sqlite3.OperationalError as exc:
        raise ConfigError(f"bad FTS5 query {query!r}: {exc}", path=where or None,
                          source=section, key="query") from None
    finally:
        con.close()


def _source(name: str, body: Any, defaults: dict[str, Any], where: str) -> Source:
    section = f"[sources.{name}]"
    body = _table(body, where, section, "sources")
    _reject_unknown(body, SOURCE_KEYS, where, section)
    merged = {**defaults, **body}
    lists = {k: _string_list(merged.get(k, []), where, section, k)
             for k in (*DISCOVERY_KEYS, "follow")}
    if not any(lists[k] for k in DISCOVERY_KEYS):
        raise ConfigError("needs at least one of feed, sitemap, start, urls", path=where,
                          source=section, key="feed")
    for key in DISCOVERY_KEYS:
        for url in lists[key]:
            if not _http_url(url):
                raise ConfigError(f"not an http(s) URL: {url!r}", path=where, source=section,
                                  key=key)
    for pattern in lists["follow"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"bad regex {pattern!r}: {exc}", path=where, source=section,
                              key="follow") from None
    if lists["follow"] and not lists["start"]:
        raise ConfigError("follow needs start pages to follow links from", path=where,
                          source=section, key="follow")
    every = _string(merged.get("every", DEFAULT_EVERY), where, section, "every")
    every_seconds = _duration(every, where, section, "every")
    return Source(
        name=name, **lists, every=every, every_seconds=every_seconds,
        obey_robots=_bool(merged.get("obey_robots", True), where, section, "obey_robots"),
        user_agent=_string(merged.get("user_agent", DEFAULT_USER_AGENT), where, section,
                           "user_agent"),
        max_pages=_int(merged.get("max_pages", DEFAULT_MAX_PAGES), where, section, "max_pages"),
        concurrency=_int(merged.get("concurrency", 4), where, section, "concurrency", low=1),
        download_timeout=float(_number(merged.get("download_timeout", 20.0), where, section,
                                       "download_timeout")),
        max_page_bytes=_int(merged.get("max_page_bytes", 10 * 1024 * 1024), where, section,
                            "max_page_bytes", low=1024),
        delay=_delay(merged.get("delay", DEFAULT_DELAY), where, section),
        retries=_int(merged.get("retries", DEFAULT_RETRIES), where, section, "retries"),
        revisit=_revisit(merged.get("revisit", list(DEFAULT_REVISIT)), where, section),
    )


def _http_url(url: str) -> bool:
    """An absolute http(s) URL with a host, a valid port and no whitespace."""
    if not re.match(r"^https?://[^/\s]+", url) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:  # e.g. "http://[::1/x": an unclosed IPv6 literal
        return False
    return bool(parts.hostname)


def _delay(value: Any, where: str, section: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError("must be a number >= 0 (seconds)", path=where, source=section,
                          key="delay")
    return float(value)


def _bool(value: Any, where: str, section: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", path=where, source=section, key=key)
    return value


def _int(value: Any, where: str, section: str, key: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"must be an integer >= {low}", path=where, source=section, key=key)
    return value


def _number(value: Any, where: str, section: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError("must be a positive number", path=where, source=section, key=key)
    return float(value)
