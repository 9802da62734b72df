"""Housekeeping actors run by the scheduler."""

from __future__ import annotations

import logging

import dramatiq
from sqlmodel import col, delete, or_

from flowyard.db import system_session
from flowyard.security.sessions import LoginSession
from flowyard.workers.broker import ensure_broker
from tenants.models import utcnow

ensure_broker()
log = logging.getLogger(__name__)


@dramatiq.actor(queue_name="system", max_retries=5, time_limit=60_000)
def purge_expired_sessions() -> None:
    """Delete login sessions that expired or were revoked, so the table stays small."""
    with system_session() as db:
        result = db.exec(  # type: ignore[call-overload]
            delete(LoginSession).where(
                or_(LoginSession.expires_at < utcnow(), col(LoginSession.revoked_at).is_not(None))
            )
        )
        db.commit()
    log.info("purged %d expired login sessions", int(result.rowcount or 0))
