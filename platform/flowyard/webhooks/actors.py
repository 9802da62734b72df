"""The delivery actor, and the event sink that feeds it (registered on import).

Per-endpoint fairness: each attempt takes one of the subscription's in-flight slots
(``ConcurrentRateLimiter``) and a slot in its per-second window (``WindowRateLimiter``), both
on Redis and shared by every worker. A message that finds its endpoint at a cap is put back
with a short delay instead of holding a worker thread, so one slow receiver cannot block
deliveries to the others.
"""

from __future__ import annotations

import random

import dramatiq
import redis
from dramatiq.rate_limits import ConcurrentRateLimiter, WindowRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from flowyard import clock
from flowyard.settings import get_settings
from flowyard.triggers import events
from flowyard.webhooks import delivery, fanout
from flowyard.webhooks.config import webhook_settings
from flowyard.workers.broker import ensure_broker

ensure_broker()
_backend: RedisBackend | None = None


def _limiter_backend() -> RedisBackend:
    global _backend
    if _backend is None:
        _backend = RedisBackend(client=redis.Redis.from_url(get_settings().redis_url or ""))
    return _backend


def _limits(subscription_id: str, in_flight: int, per_second: int):  # type: ignore[no-untyped-def]
    ttl = int((webhook_settings().timeout_seconds + 5) * 1000)
    return (
        ConcurrentRateLimiter(
            _limiter_backend(), f"webhook-inflight:{subscription_id}", limit=in_flight, ttl=ttl
        ),
        WindowRateLimiter(
            _limiter_backend(), f"webhook-rate:{subscription_id}", limit=per_second, window=1
        ),
    )


@dramatiq.actor(queue_name="webhooks", max_retries=3, min_backoff=1_000, max_backoff=30_000)
def deliver_webhook(tenant_id: str, delivery_id: str) -> None:
    """Make one attempt at a delivery if it is due and nobody else holds it."""
    if not delivery.claim(delivery_id, clock.now()):
        return
    found = delivery.load(delivery_id)
    if found is None:
        return
    row, subscription = found
    if not subscription.enabled:
        delivery.give_up(delivery_id, "Not sent: the endpoint is turned off.")
        return
    in_flight, window = _limits(
        str(subscription.id), subscription.max_in_flight, subscription.rate_per_second
    )
    with in_flight.acquire(raise_on_failure=False) as slot:
        if slot:
            with window.acquire(raise_on_failure=False) as allowed:
                if allowed:
                    delivery.record(delivery_id, delivery.send(subscription, row))
                    return
    delivery.unclaim(delivery_id)
    deliver_webhook.send_with_options(
        args=(tenant_id, delivery_id), delay=random.randint(200, 1000)
    )


events.register_sink(fanout.on_platform_event, interested=fanout.SUBSCRIBED_SQL)
