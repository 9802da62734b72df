"""The Dramatiq broker on Redis, configured once from ``REDIS_URL``.

Actor modules import :func:`ensure_broker` before declaring actors, so whichever process
imports them (web, worker, scheduler, tests) talks to the same Redis.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from flowyard.settings import get_settings
from flowyard.workers.ingress_first import IngressFirst, busy_key


class BrokerNotConfigured(RuntimeError):
    """No REDIS_URL: ``flowyard up`` sets it after starting the embedded Redis."""


class IdlePollCap(Middleware):
    """Caps how long an idle consumer sleeps between polls of Redis.

    Dramatiq's Redis consumer backs off up to the worker timeout (1 s by default) when a
    queue is empty, so a "Run now" on an idle system could wait a second; the CLI has no
    option for it, so we set it as the worker boots.
    """

    def __init__(self, max_idle_ms: int) -> None:
        self.max_idle_ms = max_idle_ms

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        worker.worker_timeout = min(worker.worker_timeout, self.max_idle_ms)


def build_broker(redis_url: str) -> RedisBroker:
    """A Redis broker with Dramatiq's own retries, time limits and age limits.

    :class:`IngressFirst` comes before ``TimeLimit``: a run held back while webhooks arrive
    starts its time limit only when it starts.
    """
    settings = get_settings()
    middleware = [
        AgeLimit(),
        IngressFirst(busy_key(settings.broker_namespace), keep=settings.ingress_first_keep),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(min_backoff=1_000, max_backoff=300_000),
        CurrentMessage(),
        IdlePollCap(settings.worker_idle_poll_ms),
    ]
    return RedisBroker(
        url=redis_url,
        namespace=settings.broker_namespace,
        middleware=middleware,
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
    )


_broker: RedisBroker | None = None


def ensure_broker() -> dramatiq.Broker:
    """Install our broker as Dramatiq's global broker (once per process) and return it."""
    global _broker
    if _broker is not None:
        return _broker
    url = get_settings().redis_url
    if not url:
        raise BrokerNotConfigured(
            "REDIS_URL is not set. Run `flowyard up` (it starts an embedded Redis) "
            "or point REDIS_URL at your Redis server."
        )
    _broker = build_broker(url)
    dramatiq.set_broker(_broker)
    return _broker
