"""Actors that run executions and dispatch platform events.

Per-tenant fairness: an execution is claimed only while its tenant has fewer running
executions than its cap (see :func:`flowyard.engine.checkpoints.claim`). A message that finds its
tenant at the cap is put back with a short delay instead of blocking a worker thread, so one
tenant's storm cannot starve the others.
"""

from __future__ import annotations

import random
import uuid

import dramatiq

from flowyard.workers.broker import ensure_broker

ensure_broker()

EXECUTION_TIME_LIMIT_MS = 60 * 60 * 1000


def _run(actor: dramatiq.Actor, tenant_id: str, execution_id: str) -> None:
    from flowyard.engine.execute import Claim
    from flowyard.engine.execute import run_execution as run

    if run(uuid.UUID(tenant_id), uuid.UUID(execution_id)) is Claim.BUSY:
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


@dramatiq.actor(queue_name="events", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def poll_trigger(tenant_id: str, workflow_id: str) -> None:
    """Ask a connector for new items and start a run for each (polling triggers)."""
    from flowyard.db import tenant_session
    from flowyard.triggers.polling import poll_once

    with tenant_session(uuid.UUID(tenant_id)) as db:
        poll_once(db, uuid.UUID(workflow_id))
