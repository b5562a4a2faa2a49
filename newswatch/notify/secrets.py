"""Keeping notification secrets out of the store, the logs and every output.

A notification URL is shown, stored and logged only masked: its password, the values
of secret-looking parameters (token, key, pass, ...), headers (`+Name=value`) and
GET parameters (`-name=value`) of webhooks, every token-like piece Apprise itself
hides in its privacy form of the URL (`url(privacy=True)`), and every value `${NAME}`
brought into the config become `****`. The same pieces are scrubbed from any text
that could carry them (Apprise's log lines and error messages).
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, unquote

MASK = "****"
MIN_FREE_TEXT = 4  # shorter secrets are masked in URLs, not searched for in free text
_DELIMITERS = re.compile(r"([/:@?&=#,;])")
_HOSTNAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")  # smtp2.example.org: not a token
_SECRET_PARAM = re.compile(r"pass|pwd|token|secret|key|auth|sig|cred|bearer|session|sid",
                           re.IGNORECASE)


def _token_like(piece: str) -> bool:
    """A piece that looks generated (an API token, a webhook key) rather than written by a
    person: 8 characters or more, with letters and digits, or in mixed case."""
    if len(piece) < 8 or _HOSTNAME.fullmatch(piece):
        return False
    has_digit = any(c.isdigit() for c in piece)
    has_alpha = any(c.isalpha() for c in piece)
    mixed_case = any(c.isupper() for c in piece) and any(c.islower() for c in piece)
    return (has_digit and has_alpha) or mixed_case


def _pieces(text: str) -> list[str]:
    return [p for p in _DELIMITERS.split(text) if p and not _DELIMITERS.fullmatch(p)]


def secret_pieces(url: str, privacy: str | None = None) -> set[str]:
    """The pieces of `url` (as written, between URL delimiters) that are secret: the
    password, the values of secret-looking parameters, webhook headers (`+Name=`) and GET
    parameters (`-name=`), token-like pieces of the path and the query, and, given
    Apprise's privacy form of the URL, the pieces of the host part it hides (a Telegram
    bot token, a Slack or Discord webhook key)."""
    _, _, rest = url.partition("://")
    head, _, query = rest.partition("?")
    netloc, _, path = head.partition("/")
    pieces: set[str] = set()
    if "@" in netloc:
        userinfo = netloc.rsplit("@", 1)[0]
        _, colon, password = userinfo.partition(":")
        if colon and password:
            pieces.add(password)
    for pair in filter(None, re.split(r"[&;]", query)):
        name, equals, value = pair.partition("=")
        name = unquote(name)
        if equals and value and (name[:1] in "+-" or _SECRET_PARAM.search(name)):
            pieces.add(value)
    pieces.update(p for p in _pieces(path) + _pieces(query) if _token_like(p))
    if privacy is not None:
        shown = unquote(privacy)
        pieces.update(p for p in _pieces(netloc) if _token_like(p) and unquote(p) not in shown)
    return pieces


def mask_url(url: str, pieces: set[str], secrets: tuple[str, ...] = ()) -> str:
    """`url` with each secret piece (and any `${NAME}` value in `secrets`) as ****."""
    parts = _DELIMITERS.split(url)
    head = 1 if "://" in url else 0  # the scheme itself is never a secret
    masked = "".join(MASK if i >= head and part in pieces else part
                     for i, part in enumerate(parts))
    return _replace(masked, secrets)


def _replace(text: str, secrets: tuple[str, ...] | set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) < MIN_FREE_TEXT:
            continue
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, MASK)
    return text


class Scrubber:
    """Replaces every known secret in a text with ****; shared by all senders."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        with self._lock:
            for secret in secrets:
                if secret:
                    self._secrets.add(secret)
                    self._secrets.add(unquote(secret))

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = set(self._secrets)
        return _replace(text, secrets)


class ScrubFilter(logging.Filter):
    """A logging filter that scrubs secrets from each record's message (in place)."""

    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = self.scrub(message), None
        return True


SCRUBBER = Scrubber()
_installed = threading.Lock()


def guard_apprise_logs() -> Scrubber:
    """Scrub secrets from everything Apprise logs (its log lines can name a URL), and
    keep its lines out of ours unless debugging: each delivery's outcome is logged once,
    by the sender, with Apprise's reason in it. Idempotent; returns the process's
    Scrubber."""
    with _installed:
        apprise_log = logging.getLogger("apprise")
        if not any(isinstance(f, ScrubFilter) for f in apprise_log.filters):
            apprise_log.addFilter(ScrubFilter(SCRUBBER))
        # Apprise's own lines (scrubbed) only when debugging (-vv)
        apprise_log.propagate = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    return SCRUBBER
