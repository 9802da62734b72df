"""A small local HTTP server that records requests and misbehaves on demand.

Used as the destination of HTTP-request steps and outbound webhooks in tests: it can fail
the first N calls, answer slowly, and counts concurrent requests per tenant header.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Behaviour:
    fail_first: int = 0
    fail_status: int = 503
    delay_seconds: float = 0.0
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


class HttpTarget:
    """``with HttpTarget() as target: target.url`` — a real server on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.behaviour: dict[str, Behaviour] = defaultdict(Behaviour)
        self.calls: dict[str, int] = defaultdict(int)
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                group = self.headers.get("X-Group", "")
                with target._lock:
                    target.requests.append(
                        Recorded(self.command, self.path, dict(self.headers.items()), body)
                    )
                    target.calls[path] += 1
                    call = target.calls[path]
                    target.active[group] += 1
                    target.peak[group] = max(target.peak[group], target.active[group])
                    behaviour = target.behaviour[path]
                try:
                    if behaviour.delay_seconds:
                        time.sleep(behaviour.delay_seconds)
                    status = (
                        behaviour.fail_status
                        if call <= behaviour.fail_first
                        else (behaviour.status)
                    )
                    payload = json.dumps(behaviour.body).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in behaviour.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with target._lock:
                        target.active[group] -= 1

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HttpTarget:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, as the SSRF allow-list names it."""
        return self.url.removeprefix("http://")

    def reset(self) -> None:
        """Forget requests and behaviours (a server shared by several tests)."""
        with self._lock:
            self.requests.clear()
            self.behaviour.clear()
            self.calls.clear()

    def on(self, path: str, **behaviour: Any) -> None:
        self.behaviour[path] = Behaviour(**behaviour)

    def received(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]
