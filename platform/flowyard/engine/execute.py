"""Runs one execution for a worker: claim the lease, walk the graph, store the outcome.

The common case — a run that finishes in this message with nothing else to wake — costs two
round trips: the claim function and one finishing statement (:mod:`.checkpoints`). Runs that
pause, wake a parent or start an error workflow finish through the ORM paths in
:mod:`.executions`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from flowyard import clock
from flowyard.db import tenant_session
from flowyard.engine import checkpoints
from flowyard.engine.models import Execution, ExecutionStatus, WorkflowVersion
from flowyard.engine.plan import plan_for
from flowyard.engine.runner import LEASES, WORKER_ID, ExecutionRunner, Outcome
from flowyard.monitoring.logs import log_context


class Claim(enum.Enum):
    TAKEN = "taken"
    BUSY = "busy"  # the tenant is at its concurrency cap: try again shortly
    GONE = "gone"  # finished, cancelled, or another worker holds a live lease


def _why_not_claimed(execution_id: uuid.UUID) -> Claim:
    state = checkpoints.state_of(execution_id)
    if state is None or ExecutionStatus(state.status).finished:
        return Claim.GONE
    live = state.lease_until is not None and state.lease_until > clock.now()
    return Claim.GONE if live and state.lease_owner != WORKER_ID else Claim.BUSY


def run_execution(tenant_id: uuid.UUID, execution_id: uuid.UUID) -> Outcome | Claim:
    """Run an execution as far as it can go now, or say why not (busy tenant, gone)."""
    with log_context(tenant_id=tenant_id, execution_id=execution_id):
        claimed = checkpoints.claim(execution_id, tenant_id, WORKER_ID)
        if claimed is None:
            return _why_not_claimed(execution_id)
        LEASES.hold(execution_id)
        try:
            with tenant_session(tenant_id) as db:
                return _run_claimed(db, claimed)
        finally:
            LEASES.release(execution_id)


def _run_claimed(db: Session, claimed: Any) -> Outcome:
    from flowyard.engine import executions

    if claimed.cancel_requested:
        execution = _loaded(db, claimed.id)
        executions.finish(db, execution, ExecutionStatus.CANCELLED, None, None, {})
        return Outcome(ExecutionStatus.CANCELLED)
    plan = plan_for(str(claimed.version_id), lambda: _load_document(db, claimed.version_id))
    runner = ExecutionRunner(db, claimed, plan)
    if claimed.deliveries > 1 or claimed.rerun_of_id is not None:
        runner.load_runs()  # a first delivery of a fresh run has no checkpoints to read
    outcome = runner.run()
    failure = getattr(runner, "failure", None)
    final_context = getattr(runner, "final_context", None)
    if _ends_plainly(runner, claimed, outcome):
        end = executions.ending_of(plan.document, claimed.id, claimed.workflow_id,
                                   outcome.status, failure, final_context,
                                   getattr(runner, "stop_message", None))  # fmt: skip
        checkpoints.finish(db, claimed, runner.take_pending(), end)
        return outcome
    runner.flush(commit=False)
    execution = _loaded(db, claimed.id)
    if outcome.status is ExecutionStatus.WAITING:
        executions.pause(db, execution, outcome.wake_at, runner.events)
    else:
        executions.finish(db, execution, outcome.status, failure, final_context, runner)
    return outcome


def _ends_plainly(runner: ExecutionRunner, claimed: Any, outcome: Outcome) -> bool:
    """A finished run with nothing else to do (no parent to wake, no error workflow, no
    events its steps emitted): the common case, finished in one statement."""
    if not outcome.status.finished or claimed.parent_execution_id is not None or runner.events:
        return False
    return not (outcome.status is ExecutionStatus.FAILED and runner.document.error_workflow_id)


def _loaded(db: Session, execution_id: uuid.UUID) -> Execution:
    """The ORM row, for the general (rarer) paths: pausing, waking a parent, error workflow."""
    execution = db.get(Execution, execution_id, populate_existing=True)
    assert execution is not None, "a claimed execution exists"
    return execution


def _load_document(db: Session, version_id: uuid.UUID) -> Mapping[str, Any]:
    version = db.get(WorkflowVersion, version_id)
    assert version is not None, "an execution always pins an existing version"
    return version.document
