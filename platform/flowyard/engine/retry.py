"""When to try a failed step again: exponential backoff with jitter, per the step's policy."""

from __future__ import annotations

import random

from flowyard.engine.document import RetryPolicy
from marketplace.sdk import ActionError, RateLimitedError

MAX_RATE_LIMIT_DEFERRALS = 200
"""A step told to slow down is delayed, not failed — up to this many times."""


def should_retry(policy: RetryPolicy, error: ActionError, attempts: int) -> bool:
    """Retry transient errors the policy names while attempts remain."""
    return error.retryable and error.kind in policy.retry_on and attempts < policy.max_attempts


def backoff_seconds(policy: RetryPolicy, attempts: int, rng: random.Random | None = None) -> float:
    """``min(max, base * 2**(attempts-1))``, with "equal jitter" (half fixed, half random)."""
    delay = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** max(0, attempts - 1))
    if not policy.jitter:
        return delay
    rng = rng or random
    return delay / 2 + rng.uniform(0, delay / 2)


def rate_limit_delay(error: RateLimitedError, policy: RetryPolicy) -> float:
    """Honour the provider's Retry-After; otherwise wait the first backoff step."""
    if error.retry_after is not None and error.retry_after >= 0:
        return min(float(error.retry_after), 3600.0) + random.uniform(0, 0.25)
    return max(1.0, policy.backoff_seconds)
