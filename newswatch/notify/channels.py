"""`[notify.NAME]` blocks as channels: which events they select, and their URLs as targets.

Each URL becomes a `Target` with its own Apprise object (so a result belongs to one URL),
a masked form (`target`, the only form ever shown or stored) and a `url_key` that names
it in the store without its secrets: a password or token can change without losing what
is pending for the URL.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from newswatch.config import Config, Notify
from newswatch.exceptions import ConfigError
from newswatch.notify.secrets import guard_apprise_logs, mask_url, secret_pieces

ARTICLE_KINDS = ("new", "updated", "duplicate")  # events about a story: `topics` applies
PAYLOAD_SCHEMES = ("json", "jsons", "form", "forms")  # webhooks that take extra fields


@dataclass(frozen=True)
class Target:
    """One notification URL of one channel."""

    channel: str
    url: str = field(repr=False)  # as configured: may hold secrets, never shown
    url_key: str
    target: str  # the URL with its secrets masked
    scheme: str
    html: bool  # the service takes HTML (e-mail): it gets the HTML body, else the text one

    def with_fields(self, fields: dict[str, str]) -> str:
        """The URL with extra JSON/form payload fields (Apprise's `:name=value`), for
        webhooks; other services get the URL as it is."""
        if self.scheme not in PAYLOAD_SCHEMES or not fields:
            return self.url
        extra = "&".join(f":{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items())
        return self.url + ("&" if "?" in self.url else "?") + extra


@dataclass(frozen=True)
class Channel:
    spec: Notify
    targets: tuple[Target, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    def selects(self, event: dict[str, Any]) -> bool:
        """Whether the channel sends this event: its kind, its source and, for events
        about a story, one of its topics (source health events have no topic)."""
        spec = self.spec
        if event["kind"] not in spec.events:
            return False
        if spec.sources and event.get("source") not in spec.sources:
            return False
        if spec.topics and event["kind"] in ARTICLE_KINDS:
            return bool(set(event.get("topics") or ()) & set(spec.topics))
        return True


def build_channels(config: Config) -> list[Channel]:
    """Every `[notify.NAME]` block with its URLs checked by Apprise; a URL Apprise cannot
    send to is a ConfigError (its text is not repeated: it may hold a secret)."""
    if not config.notify:
        return []
    scrub = guard_apprise_logs()
    scrub.add(*config.secrets)
    return [Channel(spec, _targets(spec, config)) for spec in config.notify.values()]


def _targets(spec: Notify, config: Config) -> tuple[Target, ...]:
    import apprise

    section = f"[notify.{spec.name}]"
    scrub = guard_apprise_logs()
    targets, seen = [], Counter[str]()
    for index, url in enumerate(spec.urls):
        scrub.add(url, *secret_pieces(url))  # before Apprise logs its reading of the URL
        plugin = apprise.Apprise.instantiate(url)
        scheme = url.split("://", 1)[0].lower()
        if plugin is None:
            raise ConfigError(f"urls[{index}] is not a URL Apprise can send to (scheme"
                              f" {scheme!r}: see https://github.com/caronc/apprise/wiki)",
                              path=str(config.path), source=section, key="urls")
        privacy = str(plugin.url(privacy=True))
        pieces = secret_pieces(url, privacy)
        scrub.add(url, *pieces)
        masked = mask_url(url, pieces, config.secrets)
        seen[masked] += 1
        identity = masked if seen[masked] == 1 else f"{masked}#{seen[masked]}"
        key = hashlib.sha256(f"{spec.name}\n{identity}".encode()).hexdigest()[:16]
        targets.append(Target(channel=spec.name, url=url, url_key=key, target=masked,
                              scheme=scheme, html=_takes_html(plugin)))
    return tuple(targets)


def _takes_html(plugin: Any) -> bool:
    formats = plugin.notify_format
    first = formats[0] if isinstance(formats, (tuple, list)) else formats
    return str(getattr(first, "value", first)) == "html"
