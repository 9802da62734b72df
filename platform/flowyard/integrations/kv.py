"""The Redis client integrations share in one process (OAuth state, rate limits, spreading)."""

from __future__ import annotations

import functools

import redis

from flowyard.settings import get_settings


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def client() -> redis.Redis:
    """A client for ``REDIS_URL`` (cached per URL, so tests that switch databases still work)."""
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set; integrations need Redis.")
    return _client(url)
