"""Finds executions nobody is working on and puts them back in the queue.

A worker killed mid-run leaves its execution "running" with a lease that expires; a delayed
wake-up message lost with a Redis restart leaves one "waiting" past its time; a start whose
message never reached Redis leaves one "queued". The scheduler calls :func:`sweep` every
second; resuming is safe because finished steps are never run again. An execution that keeps
dying (more than ``MAX_DELIVERIES`` deliveries) is failed and sent to the dead-letter list.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, col, or_, select

from flowyard import clock
from flowyard.engine.models import Execution, ExecutionStatus

log = logging.getLogger(__name__)
MAX_DELIVERIES = 25
LATE_WAKE = timedelta(seconds=10)
LOST_START = timedelta(seconds=30)


def sweep(db: Session, *, limit: int = 200) -> int:
    """Re-dispatch stuck executions (system session); returns how many were touched."""
    from flowyard.engine.executions import _dispatch

    now = clock.now()
    rows = db.exec(
        select(Execution)
        .where(
            or_(
                (col(Execution.status) == ExecutionStatus.RUNNING)
                & (col(Execution.lease_until) < now)
                & (or_(col(Execution.wake_at).is_(None), col(Execution.wake_at) < now - LATE_WAKE)),
                (col(Execution.status) == ExecutionStatus.WAITING)
                & (col(Execution.wake_at) < now - LATE_WAKE),
                (col(Execution.status) == ExecutionStatus.QUEUED)
                & (col(Execution.created_at) < now - LOST_START)
                & (
                    or_(col(Execution.wake_at).is_(None), col(Execution.wake_at) < now - LOST_START)
                ),
            )
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for execution in rows:
        if execution.deliveries >= MAX_DELIVERIES:
            execution.status = ExecutionStatus.FAILED
            execution.finished_at = now
            execution.dead_letter = True
            execution.error = {
                "message": "The run kept stopping unexpectedly and was given up.",
                "kind": "stuck",
            }
            execution.summary = "Stopped responding repeatedly; moved to the failed-runs list."
            log.error(
                "execution %s given up after %d deliveries", execution.id, execution.deliveries
            )
        else:
            if execution.status == ExecutionStatus.RUNNING:
                log.warning("execution %s lost its worker; resuming", execution.id)
            execution.wake_at = now  # marks it swept, so the next tick leaves it alone
            _dispatch(db, execution)
        db.add(execution)
    db.commit()
    return len(rows)
