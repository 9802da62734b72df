"""Actors that run executions and dispatch platform events.

Per-tenant fairness: each execution message first takes one of the tenant's concurrency
slots (Dramatiq's ``ConcurrentRateLimiter`` on Redis, shared by every worker). A message that
finds its tenant at the cap is put back with a short delay instead of blocking a worker
thread, so one tenant's storm cannot starve the others.
"""

from __future__ import annotations

import random
import uuid

import dramatiq
import redis
from dramatiq.rate_limits import ConcurrentRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from flowyard.settings import get_settings
from flowyard.workers.broker import ensure_broker

ensure_broker()

EXECUTION_TIME_LIMIT_MS = 60 * 60 * 1000
_backend: RedisBackend | None = None


def _limiter_backend() -> RedisBackend:
    global _backend
    if _backend is None:
        _backend = RedisBackend(client=redis.Redis.from_url(get_settings().redis_url or ""))
    return _backend


def tenant_limiter(tenant_id: str) -> ConcurrentRateLimiter:
    return ConcurrentRateLimiter(
        _limiter_backend(),
        f"tenant-executions:{tenant_id}",
        limit=get_settings().tenant_concurrency,
        ttl=EXECUTION_TIME_LIMIT_MS,
    )


def _run(actor: dramatiq.Actor, tenant_id: str, execution_id: str) -> None:
    from flowyard.engine.runner import run_execution as run

    with tenant_limiter(tenant_id).acquire(raise_on_failure=False) as acquired:
        if acquired:
            run(uuid.UUID(tenant_id), uuid.UUID(execution_id))
            return
    actor.send_with_options(args=(tenant_id, execution_id), delay=random.randint(200, 800))


@dramatiq.actor(
    queue_name="executions",
    max_retries=20,
    time_limit=EXECUTION_TIME_LIMIT_MS,
    min_backoff=500,
    max_backoff=60_000,
)
def run_execution(tenant_id: str, execution_id: str) -> None:
    """Run (or resume) an execution as far as it can go now."""
    _run(run_execution, tenant_id, execution_id)


@dramatiq.actor(
    queue_name="interactive",
    max_retries=20,
    time_limit=EXECUTION_TIME_LIMIT_MS,
    min_backoff=500,
    max_backoff=60_000,
)
def run_execution_interactive(tenant_id: str, execution_id: str) -> None:
    """Same as ``run_execution`` on its own queue, so "Run now" never waits behind a backlog."""
    _run(run_execution_interactive, tenant_id, execution_id)


@dramatiq.actor(queue_name="events", max_retries=20, min_backoff=500, max_backoff=60_000)
def dispatch_event(tenant_id: str, event_id: str) -> None:
    """Fan a stored platform event out to matching workflows and sinks."""
    from flowyard.db import tenant_session
    from flowyard.triggers.events import dispatch

    with tenant_session(uuid.UUID(tenant_id)) as db:
        dispatch(db, uuid.UUID(event_id))
