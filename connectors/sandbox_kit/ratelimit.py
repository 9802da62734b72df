"""Fixed-window rate limiting (per token, tenant or any key) with the sandbox's clock.

Every window counts; a call is refused (and not counted) as soon as any window is full, and
``retry_after`` is the whole seconds until that window resets: what providers put in Retry-After.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.sandbox_kit.clock import Clock


@dataclass(frozen=True)
class Window:
    name: str
    limit: int
    seconds: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: Mapping[str, int]
    exceeded: Window | None = None
    retry_after: int = 0


class Limiter(Protocol):
    """What :class:`RateLimitGuard` needs: one decision per call for a key (fixed windows, or
    :class:`~connectors.sandbox_kit.bucket.LeakyBucketLimiter`)."""

    def hit(self, key: str) -> Decision: ...


class FixedWindowLimiter:
    """Counts calls per (key, window) in windows aligned to multiples of their length."""

    def __init__(self, windows: tuple[Window, ...] | list[Window], clock: Clock) -> None:
        self.windows = tuple(windows)
        self.clock = clock
        self._counts: dict[tuple[str, str, float], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        now = self.clock.now()
        with self._lock:
            slots = [(w, math.floor(now / w.seconds) * w.seconds) for w in self.windows]
            full = [(w, start) for w, start in slots if self._count(key, w, start) >= w.limit]
            if full:
                waits = [math.ceil(start + w.seconds - now) for w, start in full]
                worst = max(range(len(full)), key=lambda i: waits[i])
                remaining = {w.name: max(0, w.limit - self._count(key, w, s)) for w, s in slots}
                return Decision(False, remaining, full[worst][0], max(1, waits[worst]))
            for w, start in slots:
                self._counts[(key, w.name, start)] = self._count(key, w, start) + 1
            remaining = {w.name: w.limit - self._count(key, w, s) for w, s in slots}
            return Decision(True, remaining)

    def _count(self, key: str, window: Window, start: float) -> int:
        return self._counts.get((key, window.name, start), 0)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RateLimitGuard:
    """ASGI middleware: ``key(scope)`` picks the bucket (None: not limited); ``too_many`` builds
    the provider's 429; ``headers`` adds the provider's remaining-quota headers to every answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter,
        key: Callable[[Scope], str | None],
        too_many: Callable[[Decision], Response],
        headers: Callable[[Decision], Mapping[str, str]] = lambda _d: {},
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.key = key
        self.too_many = too_many
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        bucket = self.key(scope) if scope["type"] == "http" else None
        if bucket is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.hit(bucket)
        if not decision.allowed:
            await self.too_many(decision)(scope, receive, send)
            return
        extra = self.headers(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
