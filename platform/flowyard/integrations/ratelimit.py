"""Provider rate limits per (tenant x connection x provider), shared by every worker via Redis.

Each ``RateLimit`` a connector declares becomes a Dramatiq rate limiter on our Redis: windows
up to two minutes are sliding (``WindowRateLimiter``: 1-second buckets, W+1 of them, so no real
W-second span at the provider exceeds the limit); longer ones (a daily
allowance) are fixed buckets (``BucketRateLimiter``: a sliding day would sum 86,400 keys per
call); a leaky bucket (Shopify) is a sliding window of its size over its drain time. A call
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
from dataclasses import dataclass

from dramatiq.rate_limits import BucketRateLimiter, RateLimiter, WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from flowyard.integrations import kv
from flowyard.settings import get_settings
from marketplace.sdk import Connector, RateLimit, RateLimitedError

SLIDING_UP_TO_SECONDS = 120
KEY_PREFIX = "flowyard:rl"


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
        window = max(1, math.ceil(spec.window_seconds))
        if window <= SLIDING_UP_TO_SECONDS:
            # Dramatiq counts in whole-second buckets, and any real W-second span touches W+1 of
            # them: counting W+1 buckets guarantees the provider never sees more than the limit.
            limiter: RateLimiter = WindowRateLimiter(
                backend(), key, limit=spec.limit, window=window + 1
            )
        else:
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
        window = float(getattr(limit.limiter, "window", None) or limit.spec.window_seconds)
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
    if isinstance(limit.limiter, WindowRateLimiter):
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
