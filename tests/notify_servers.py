"""Real receivers for notification tests, on 127.0.0.1 (port 0): an HTTP webhook receiver
(stdlib http.server) and an SMTP server (aiosmtpd) that requires a password."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class WebhookReceiver:
    """Takes JSON (or form) POSTs and keeps them; can go down and come back on its port,
    answer with an error status, or take its time."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.status
                if status < 300:  # kept at once: a sender killed before the answer repeats
                    with receiver._lock:
                        receiver.received.append({**json.loads(body or b"{}"),
                                                  "_path": self.path})
                        receiver.headers.append(dict(self.headers))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections are refused until up()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)

    def event_ids(self) -> list[int]:
        return [int(m["event_id"]) for m in self.messages() if m.get("event_id", "test") != "test"]

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    text: str
    html: str
    raw: str


class SmtpReceiver:
    """An SMTP server that wants AUTH with `user`/`password` (no TLS) and keeps the mail."""

    def __init__(self, user: str = "alerts", password: str = "S3cret-smtp-pw") -> None:
        self.user, self.password = user, password
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _start(self) -> asyncio.AbstractServer:
        return await self._loop.create_server(
            lambda: SMTP(self, hostname="localhost", auth_require_tls=False,
                         authenticator=self._authenticate), "127.0.0.1", 0)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.user.encode()
              and auth_data.password == self.password.encode())
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd's
                          envelope: Envelope) -> str:
        if not session.authenticated:
            return "530 Authentication required"
        raw = envelope.content.decode("utf-8", "replace") if isinstance(
            envelope.content, bytes) else str(envelope.content)
        message = email.message_from_string(raw, policy=email.policy.default)
        parts = {"text/plain": "", "text/html": ""}
        for part in message.walk():
            if part.get_content_type() in parts:
                parts[part.get_content_type()] = part.get_content()
        with self._lock:
            self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos),
                                   str(message["subject"]), parts["text/plain"],
                                   parts["text/html"], raw))
        return "250 OK"

    def url(self, password: str | None = None, to: str = "desk@example.org") -> str:
        return (f"mailto://{self.user}:{password or self.password}@127.0.0.1:{self.port}"
                f"?from=newswatch@example.org&to={to}&mode=insecure")

    def received(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> SmtpReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
