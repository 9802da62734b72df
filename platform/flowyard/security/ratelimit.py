"""Sliding-window rate limits in Redis, shared by every process that serves the API.

One sorted set per key holds the request times of the last window; a Lua script trims, counts
and admits atomically, so two servers behind a load balancer enforce one limit together.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from flowyard import clock
from flowyard.security.redis_store import client

DEFAULT_PER_MINUTE = 10
PLAN_LIMITS = {"starter": 10, "growth": 60, "scale": 600}

_SCRIPT = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {1, count + 1, tostring(oldest[2])}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, count, tostring(oldest[2])}
"""


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead, and the numbers for the RateLimit-* headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        result = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w=60",
        }
        if not self.allowed:
            result["Retry-After"] = str(self.reset_seconds)
        return result


def limit_for_plan(plan: str | None, override: int | None = None) -> int:
    """Requests per minute: the agency's override, else the plan's, else the default."""
    if override:
        return override
    return PLAN_LIMITS.get(plan or "", DEFAULT_PER_MINUTE)


def hit(bucket: str, limit: int, window_seconds: float = 60.0) -> Decision:
    """Count one request against ``bucket``; refuse it when the window is full."""
    now = clock.now().timestamp()
    allowed, count, oldest = client().eval(
        _SCRIPT, 1, f"fy:rl:{bucket}", now, window_seconds, limit, f"{now}:{secrets.token_hex(4)}"
    )
    oldest_at = float(oldest) if oldest not in (None, b"", "") else now
    reset = max(1, math.ceil(oldest_at + window_seconds - now))
    return Decision(bool(allowed), limit, max(0, limit - int(count)), reset)
