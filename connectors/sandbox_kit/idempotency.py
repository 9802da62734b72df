"""Idempotency-Key support for sandboxes: the same key replays the first answer, no new record.

A key reused for a *different* request (method, path or body) is refused, as Stripe-style
providers do, instead of replaying an unrelated answer.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from starlette.responses import Response


class IdempotencyMismatch(Exception):
    """The key was first used for another request; the sandbox answers with its error shape."""


@dataclass(frozen=True)
class _Stored:
    fingerprint: str
    status: int
    body: bytes
    media_type: str | None


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotencyStore:
    """Remembers final answers (below 500) per (scope, key); 5xx stays retryable as providers do.

    Handlers must check and remember without awaiting in between (read the body first), so two
    concurrent retries cannot both create a record.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Stored] = {}
        self._lock = threading.Lock()

    def replay(self, scope: str, key: str | None, request_fingerprint: str) -> Response | None:
        """The stored answer for this key, None if new; IdempotencyMismatch if reused."""
        if not key:
            return None
        with self._lock:
            stored = self._seen.get((scope, key))
        if stored is None:
            return None
        if stored.fingerprint != request_fingerprint:
            raise IdempotencyMismatch(key)
        return Response(stored.body, status_code=stored.status, media_type=stored.media_type)

    def remember(
        self, scope: str, key: str | None, request_fingerprint: str, response: Response
    ) -> Response:
        if key and response.status_code < 500:
            stored = _Stored(
                request_fingerprint, response.status_code, bytes(response.body), response.media_type
            )
            with self._lock:
                self._seen.setdefault((scope, key), stored)
        return response

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)
