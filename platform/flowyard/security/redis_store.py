"""The Redis client the security modules share (throttling, rate limits, pending MFA)."""

from __future__ import annotations

import functools

import redis

from flowyard.settings import get_settings


class RedisNotConfigured(RuntimeError):
    """No REDIS_URL: `flowyard up` sets it; so must any other way of running the web app."""


@functools.cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def client() -> redis.Redis:
    """A client for ``REDIS_URL`` (one connection pool per URL and process)."""
    url = get_settings().redis_url
    if not url:
        raise RedisNotConfigured("REDIS_URL is not set; security limits need Redis.")
    return _client_for(url)
