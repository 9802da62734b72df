"""Integration background work: renew tokens before they expire, and run due sync jobs.

The scheduler enqueues ``refresh_expiring`` and ``run_due_syncs`` every minute (one slot per
minute across schedulers); they fan out one message per connection or job, so a slow provider
only holds up its own connections. Importing this module also installs the engine's
connection provider (``flowyard.integrations.provider``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import dramatiq

from flowyard.integrations import provider  # noqa: F401  (registers the engine's provider)
from flowyard.workers.broker import ensure_broker

ensure_broker()
log = logging.getLogger(__name__)
QUEUE = "integrations"


@dramatiq.actor(queue_name=QUEUE, max_retries=3, min_backoff=1_000, max_backoff=30_000)
def refresh_expiring() -> int:
    """Queue a refresh for every active connection whose token expires soon."""
    from flowyard.db import system_session
    from flowyard.integrations import config, refresh

    margin = timedelta(minutes=config.refresh_margin_minutes())
    with system_session() as db:
        due = refresh.due_for_refresh(db, margin)
    for tenant_id, connection_id in due:
        refresh_connection.send(str(tenant_id), str(connection_id))
    return len(due)


@dramatiq.actor(queue_name=QUEUE, max_retries=5, min_backoff=5_000, max_backoff=120_000)
def refresh_connection(tenant_id: str, connection_id: str) -> None:
    """Refresh one connection if it still needs it (another worker may have done it)."""
    from flowyard.integrations import config, refresh

    margin = timedelta(minutes=config.refresh_margin_minutes())
    try:
        refresh.refresh(uuid.UUID(tenant_id), uuid.UUID(connection_id), margin=margin)
    except refresh.NeedsReconnect as stopped:
        log.info("connection %s needs reconnecting: %s", connection_id, stopped.message)


@dramatiq.actor(queue_name=QUEUE, max_retries=3, min_backoff=1_000, max_backoff=30_000)
def run_due_syncs() -> int:
    """Queue every enabled sync job whose next run is due (each claimed once)."""
    from flowyard.db import system_session
    from flowyard.integrations import sync

    with system_session() as db:
        due = sync.claim_due(db)
    for tenant_id, job_id in due:
        run_sync.send(str(tenant_id), str(job_id))
    return len(due)


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=30 * 60 * 1000)
def run_sync(tenant_id: str, job_id: str) -> None:
    """Run one sync job now and write its log."""
    from flowyard.integrations import sync

    sync.run_job(uuid.UUID(tenant_id), uuid.UUID(job_id))
