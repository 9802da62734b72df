"""Provider rate limits per (tenant x connection x provider), shared by every worker via Redis.

Each ``RateLimit`` a connector declares becomes a Dramatiq rate limiter on our Redis: windows
up to two minutes are sliding (:class:`SlidingWindow`, Dramatiq's ``WindowRateLimiter`` counted
in buckets of a fiftieth of the window, at least 100 ms, over the window plus
``TRAVEL_MARGIN_SECONDS``, so no W-second span *at the provider* exceeds the limit even when
calls take different times to get there); longer ones (a daily allowance) are fixed buckets
(``BucketRateLimiter``: a sliding day would sum 86,400 keys per call); a leaky bucket
(Shopify) is a sliding window of its size over its drain time. A call
that would go over raises ``RateLimitedError`` so the engine *delays* the step; the delay is
spread: the n-th caller refused in a window is told to come back ``n // limit`` windows later,
so a burst drains at the allowed rate instead of retrying in a herd.

``FLOWYARD_RATE_LIMITS="xero.minute=10/2,asana.minute=1500/60"`` overrides declared limits
(paid plans with higher allowances; short windows in tests).
"""

from __future__ import annotations

import functools
import math
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from dramatiq.rate_limits import BucketRateLimiter, RateLimiter, WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from flowyard.integrations import kv
from flowyard.settings import get_settings
from marketplace.sdk import Connector, RateLimit, RateLimitedError

SLIDING_UP_TO_SECONDS = 120
KEY_PREFIX = "flowyard:rl"
TRAVEL_MARGIN_SECONDS = 0.5
"""How much later one call may reach the provider than another taken after it (GIL, network)."""


class SlidingWindow(WindowRateLimiter):
    """Dramatiq's sliding window in sub-second buckets, spanning the window plus a margin.

    Dramatiq counts whole seconds, so a W-second limit must sum W+1 of them and any L+1 calls
    it allows lie just over W seconds apart: a call reaching the provider a few milliseconds
    late puts L+1 calls in its window (and a 1-second limit runs at half its rate). Buckets of
    ``max(100 ms, W/50)`` summed over ``W + margin`` keep L+1 calls at least ``W + margin``
    apart, summing at most 56 keys per call.
    """

    def __init__(
        self,
        backend: RedisBackend,
        key: str,
        *,
        limit: int,
        seconds: float,
        margin: float = TRAVEL_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bucket_ms = max(100, round(seconds * 1000 / 50))
        buckets = math.ceil((seconds + margin) * 1000 / self.bucket_ms) + 1
        super().__init__(backend, key, limit=limit, window=buckets)
        self.window_millis = buckets * self.bucket_ms
        self.span_seconds = self.window_millis / 1000
        self.clock = clock

    def _get_keys(self) -> list[str]:
        slot = int(self.clock() * 1000) // self.bucket_ms
        return [f"{self.key}@{slot - i}" for i in range(self.window)]


@functools.cache
def _backend(url: str) -> RedisBackend:
    return RedisBackend(client=kv.client())


def backend() -> RedisBackend:
    return _backend(get_settings().redis_url or "")


def overrides() -> dict[str, RateLimit]:
    """``connector.name`` → replacement limit, from ``FLOWYARD_RATE_LIMITS``."""
    found: dict[str, RateLimit] = {}
    for part in filter(
        None, (p.strip() for p in os.environ.get("FLOWYARD_RATE_LIMITS", "").split(","))
    ):
        name, _, value = part.partition("=")
        limit, _, window = value.partition("/")
        limit_name = name.strip().partition(".")[2]
        found[name.strip()] = RateLimit(limit_name, int(limit), float(window))
    return found


def declared(connector: Connector) -> list[RateLimit]:
    """The connector's limits with overrides applied, tightest window first."""
    replaced = overrides()
    limits = [
        _keep_kind(replaced.get(f"{connector.key}.{limit.name}"), limit)
        for limit in connector.rate_limits
    ]
    return sorted(limits, key=lambda limit: limit.window_seconds)


def _keep_kind(new: RateLimit | None, old: RateLimit) -> RateLimit:
    return RateLimit(old.name, new.limit, new.window_seconds, old.kind) if new else old


@dataclass
class _Limit:
    spec: RateLimit
    key: str
    limiter: RateLimiter


class ConnectionLimits:
    """The limiters of one connection; ``acquire()`` before every provider call."""

    def __init__(self, tenant_id: uuid.UUID, connection_id: uuid.UUID, connector: Connector):
        self.app = connector.name
        self.limits = [
            self._limit(
                f"{KEY_PREFIX}:{connector.key}:{tenant_id}:{connection_id}:{spec.name}", spec
            )
            for spec in declared(connector)
        ]

    @staticmethod
    def _limit(key: str, spec: RateLimit) -> _Limit:
        if spec.window_seconds <= SLIDING_UP_TO_SECONDS:
            limiter: RateLimiter = SlidingWindow(
                backend(), key, limit=spec.limit, seconds=spec.window_seconds
            )
        else:
            window = math.ceil(spec.window_seconds)
            limiter = BucketRateLimiter(backend(), key, limit=spec.limit, bucket=window * 1000)
        return _Limit(spec, key, limiter)

    def acquire(self) -> None:
        """Take one call from every limit, or raise ``RateLimitedError`` with when to retry."""
        for limit in self.limits:
            with limit.limiter.acquire(raise_on_failure=False) as acquired:
                if not acquired:
                    wait = self._spread(limit)
                    raise RateLimitedError(
                        f"{self.app} allows {limit.spec.limit} calls per "
                        f"{_window_words(limit.spec.window_seconds)} for this connection; "
                        f"this step will continue in about {wait:.0f} seconds.",
                        retry_after=wait,
                        details={"limit": limit.spec.name},
                    )

    @staticmethod
    def _spread(limit: _Limit) -> float:
        window = getattr(limit.limiter, "span_seconds", limit.spec.window_seconds)
        now = time.time()
        slot = int(now // window)
        key = f"{limit.key}:waiting:{slot}"
        pipe = kv.client().pipeline()
        pipe.incr(key)
        pipe.expire(key, int(window * 3) + 5)
        position = int(pipe.execute()[0])
        later = (position - 1) // limit.spec.limit
        until_next = (slot + 1) * window - now
        return until_next + later * window + random.uniform(0, window / limit.spec.limit)

    def headroom_percent(self) -> int | None:
        """How much of the tightest limit is left right now (for the connection card)."""
        lowest: float | None = None
        for limit in self.limits:
            used = _used(limit)
            left = max(0.0, 1 - used / limit.spec.limit)
            lowest = left if lowest is None else min(lowest, left)
        return None if lowest is None else round(lowest * 100)


def _used(limit: _Limit) -> int:
    client = kv.client()
    if isinstance(limit.limiter, SlidingWindow):
        keys = limit.limiter._get_keys()
        return sum(int(v) for v in client.mget(keys) if v is not None)
    bucket = round(limit.spec.window_seconds) * 1000
    now_ms = int(time.time() * 1000)
    value = client.get(f"{limit.key}@{now_ms - now_ms % bucket}")
    return int(value or 0)


def _window_words(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return "day" if seconds == 86400 else f"{seconds / 86400:.0f} days"
    if seconds >= 60 and seconds % 60 == 0:
        return "minute" if seconds == 60 else f"{seconds / 60:.0f} minutes"
    return f"{seconds:g} seconds"
