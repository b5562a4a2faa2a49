"""A tiny stdlib HTTP server on 127.0.0.1 (port 0) that serves exactly what a test routes.

Each route is a list of answers (status, headers, body): they are given in turn and the
last one repeats, so "429 then the page" is `[(429, {...}, b""), (200, {}, page)]`.
Every request is logged with its path and arrival time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]
HTML = "text/html; charset=utf-8"


class RouteServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.requests.append((self.path, time.monotonic()))
                    answers = site.routes.get(self.path) or [(404, {}, b"not here")]
                    status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in {"Content-Type": HTML, "Content-Length": str(len(body)),
                                    **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def log(self) -> list[str]:
        """Requested paths, in order."""
        return [path for path, _ in self.requests]

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str, content_type: str = HTML) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = [(200, {"Content-Type": content_type}, data)]
        return self.url(path)

    @contextmanager
    def running(self) -> Iterator[RouteServer]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)
