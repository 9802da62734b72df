"""A round-trip actor: proves a worker is consuming from Redis (used by tests and `doctor`)."""

from __future__ import annotations

import dramatiq
import redis

from flowyard.settings import get_settings
from flowyard.workers.broker import ensure_broker

ensure_broker()

PONG_TTL_SECONDS = 300


def pong_key(token: str) -> str:
    return f"flowyard:pong:{token}"


@dramatiq.actor(queue_name="system", max_retries=3, time_limit=10_000)
def ping(token: str) -> None:
    """Write a pong for ``token`` so the sender can see a worker handled the message."""
    client = redis.Redis.from_url(get_settings().redis_url or "")
    client.set(pong_key(token), "pong", ex=PONG_TTL_SECONDS)
