"""Starting, pausing, finishing, cancelling and rerunning executions.

Every start is persisted first (the execution row plus an outbox message in one transaction),
so an accepted trigger is never lost even if Redis is down at that moment.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from flowyard import clock
from flowyard.engine import mapping, payloads
from flowyard.engine.document import SubWorkflowStep, WorkflowDocument
from flowyard.engine.models import (
    Execution,
    ExecutionStatus,
    StepRun,
    StepStatus,
    Workflow,
    WorkflowVersion,
)

SUMMARY_LIMIT = 300
RETRY_EXHAUSTED_KINDS = frozenset({"timeout", "rate_limited", "server_error", "network"})
"""Failures of these kinds mean the step's retries ran out: the run joins the dead-letter list."""


class CannotStart(ValueError):
    """The workflow cannot run (not published, paused, unknown); the message says why."""


def _dispatch(db: Session, execution: Execution, *, delay_ms: int | None = None) -> None:
    from flowyard.workers import outbox

    actor = dispatch_actor(execution.interactive)
    options = {"delay": delay_ms} if delay_ms else {}
    outbox.stage(
        db,
        actor,
        str(execution.tenant_id),
        str(execution.id),
        tenant_id=execution.tenant_id,
        **options,
    )


def execution_values(
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    version_id: uuid.UUID,
    payload: Any,
    *,
    trigger_kind: str = "manual",
    trigger_key: str | None = None,
    interactive: bool = False,
    parent: Execution | None = None,
    parent_step_id: str | None = None,
) -> dict[str, Any]:
    """The non-default columns of a new queued execution.

    Shared by :func:`start_execution` and the webhook ingress's single-statement write
    (which fills in the model's defaults itself), so both store exactly the same row.
    """
    return {
        "tenant_id": tenant_id,
        "workflow_id": workflow_id,
        "version_id": version_id,
        "trigger_kind": trigger_kind,
        "trigger_key": trigger_key,
        "trigger_payload": payloads.pack(payload),
        "interactive": interactive,
        "parent_execution_id": parent.id if parent else None,
        "parent_step_id": parent_step_id,
    }


def dispatch_actor(interactive: bool) -> Any:
    """The Dramatiq actor that runs an execution (interactive runs have their own queue)."""
    from flowyard.workers import engine_actors

    if interactive:
        return engine_actors.run_execution_interactive
    return engine_actors.run_execution


def start_execution(
    db: Session,
    workflow: Workflow,
    payload: Any,
    *,
    trigger_kind: str = "manual",
    trigger_key: str | None = None,
    interactive: bool = False,
    parent: Execution | None = None,
    parent_step_id: str | None = None,
    version_id: uuid.UUID | None = None,
    commit: bool = True,
) -> Execution:
    """Create a queued execution of the published version and queue it for a worker.

    ``trigger_key`` deduplicates: a second start with the same key returns the first
    execution (a provider's retried webhook, a schedule slot fired by two schedulers).
    """
    if version_id is None:
        if workflow.published_version_id is None:
            raise CannotStart(f'"{workflow.name}" has not been published yet.')
        if not workflow.enabled and trigger_kind != "manual":
            raise CannotStart(f'"{workflow.name}" is paused.')
        version_id = workflow.published_version_id
    if trigger_key is not None:
        existing = db.exec(
            select(Execution).where(
                Execution.workflow_id == workflow.id, Execution.trigger_key == trigger_key
            )
        ).first()
        if existing is not None:
            return existing
    values = execution_values(
        workflow.tenant_id,
        workflow.id,
        version_id,
        payload,
        trigger_kind=trigger_kind,
        trigger_key=trigger_key,
        interactive=interactive,
        parent=parent,
        parent_step_id=parent_step_id,
    )
    execution = Execution(**values)
    db.add(execution)
    _dispatch(db, execution)
    if not commit:
        return execution  # written with the caller's commit (inserts batched per table)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        if trigger_key is None:
            raise
        found = db.exec(
            select(Execution).where(
                Execution.workflow_id == workflow.id, Execution.trigger_key == trigger_key
            )
        ).one()
        return found
    return execution


def start_child(db: Session, parent: Execution, step: SubWorkflowStep, inputs: Any) -> Execution:
    try:
        child_workflow_id = uuid.UUID(step.workflow_id)
    except ValueError:
        raise CannotStart(f'"{step.name}" names a workflow that does not exist.') from None
    workflow = db.get(Workflow, child_workflow_id)
    if workflow is None:
        raise CannotStart(f'"{step.name}" names a workflow that does not exist.')
    return start_execution(
        db,
        workflow,
        inputs,
        trigger_kind="sub_workflow",
        trigger_key=f"parent:{parent.id}:{step.id}",
        parent=parent,
        parent_step_id=step.id,
    )


def pause(db: Session, execution: Execution, wake_at: datetime | None, events: list[Any]) -> None:
    """Park a waiting execution; a delayed message (and the sweeper as backstop) wakes it."""
    execution.status = ExecutionStatus.WAITING
    execution.wake_at = wake_at
    execution.lease_until = None
    execution.lease_owner = None
    db.add(execution)
    _emit_collected(db, execution, events)
    if wake_at is not None:
        delay_ms = max(0, int((wake_at - clock.now()).total_seconds() * 1000))
        _dispatch(db, execution, delay_ms=delay_ms)
    db.commit()


EVENT_OF_STATUS = {
    ExecutionStatus.SUCCEEDED: "execution.completed",
    ExecutionStatus.FAILED: "execution.failed",
    ExecutionStatus.CANCELLED: "execution.cancelled",
}


@dataclass(frozen=True)
class Ending:
    """What a finished run stores, and the platform event it announces itself with."""

    status: ExecutionStatus
    error: dict[str, Any] | None
    dead_letter: bool
    result: Any  # packed
    summary: str
    event_type: str
    event_payload: dict[str, Any]


def ending_of(
    document: WorkflowDocument | None,
    execution_id: uuid.UUID,
    workflow_id: uuid.UUID,
    status: ExecutionStatus,
    failure: dict[str, Any] | None,
    final_context: dict[str, Any] | None,
    stop_message: str | None = None,
) -> Ending:
    """The outcome columns and event of a run; shared by :func:`finish` and the runner's
    one-statement finish, so both store exactly the same thing."""
    result = None
    if final_context is not None:
        outputs = {k: v.get("output") for k, v in final_context.get("steps", {}).items()}
        result = payloads.pack(
            {"steps": outputs, **({"message": stop_message} if stop_message else {})}
        )
    summary = summarise(document, status, final_context, failure)
    return Ending(
        status=status,
        error=failure,
        dead_letter=bool(failure) and failure.get("kind") in RETRY_EXHAUSTED_KINDS,
        result=result,
        summary=summary,
        event_type=EVENT_OF_STATUS[status],
        event_payload={
            "execution_id": str(execution_id),
            "workflow_id": str(workflow_id),
            "status": str(status),
            "summary": summary,
            "error": failure,
        },
    )


def finish(
    db: Session,
    execution: Execution,
    status: ExecutionStatus,
    failure: dict[str, Any] | None,
    final_context: dict[str, Any] | None,
    runner: Any,
) -> None:
    """Record the outcome, the plain-English summary, events, error workflow and parent."""
    from flowyard.triggers import events as platform_events

    document = getattr(runner, "document", None) or _document_of(db, execution)
    end = ending_of(document, execution.id, execution.workflow_id, status, failure,
                    final_context, getattr(runner, "stop_message", None))  # fmt: skip
    execution.status = status
    execution.finished_at = clock.now()
    execution.lease_until = None
    execution.lease_owner = None
    execution.wake_at = None
    execution.error = end.error
    execution.dead_letter = end.dead_letter
    if final_context is not None:
        execution.result = end.result
    execution.summary = end.summary
    db.add(execution)
    _emit_collected(db, execution, getattr(runner, "events", []) or [])
    platform_events.emit(db, execution.tenant_id, end.event_type, end.event_payload,
                         source=f"execution:{execution.id}", commit=False)  # fmt: skip
    if status is ExecutionStatus.FAILED and document and document.error_workflow_id:
        _start_error_workflow(db, execution, document.error_workflow_id, failure)
    if execution.parent_execution_id is not None:
        parent = db.get(Execution, execution.parent_execution_id)
        if parent is not None and not ExecutionStatus(parent.status).finished:
            _dispatch(db, parent)
    db.commit()


def _document_of(db: Session, execution: Execution) -> WorkflowDocument | None:
    version = db.get(WorkflowVersion, execution.version_id)
    return WorkflowDocument.model_validate(version.document) if version else None


def _emit_collected(db: Session, execution: Execution, events: list[Any]) -> None:
    from flowyard.triggers import events as platform_events

    for event_type, payload in events:
        platform_events.emit(
            db,
            execution.tenant_id,
            event_type,
            payload,
            source=f"execution:{execution.id}",
            commit=False,
        )
    events.clear()


def _start_error_workflow(
    db: Session, execution: Execution, workflow_id: str, failure: dict[str, Any] | None
) -> None:
    try:
        handler = db.get(Workflow, uuid.UUID(workflow_id))
    except ValueError:
        return
    if handler is None or handler.id == execution.workflow_id:
        return
    payload = {
        "execution_id": str(execution.id),
        "workflow_id": str(execution.workflow_id),
        "error": failure,
        "summary": execution.summary,
    }
    with contextlib.suppress(CannotStart):
        start_execution(
            db,
            handler,
            payload,
            trigger_kind="error",
            trigger_key=f"error:{execution.id}",
            commit=False,
        )


def summarise(
    document: WorkflowDocument | None,
    status: ExecutionStatus,
    final_context: dict[str, Any] | None,
    failure: dict[str, Any] | None,
) -> str:
    """The one-line history entry: the author's template, or a sensible default."""
    name = document.name if document else "Workflow"
    if status == ExecutionStatus.CANCELLED:
        return f"{name} was cancelled."
    if failure:
        where = f' at "{failure["step_name"]}"' if failure.get("step_name") else ""
        return f"{name} failed{where}: {failure.get('message', '')}"[:SUMMARY_LIMIT]
    if document and document.summary_template and final_context is not None:
        try:
            text = mapping.render_template(document.summary_template, final_context).strip()
        except Exception:
            text = ""
        if text:
            return text[:SUMMARY_LIMIT]
    ran = len((final_context or {}).get("steps", {}))
    return f"{name} ran {ran} step{'s' if ran != 1 else ''} successfully."[:SUMMARY_LIMIT]


def cancel(db: Session, execution_id: uuid.UUID) -> Execution | None:
    """Stop an execution: waiting/queued ones at once, running ones before their next step."""
    execution = db.get(Execution, execution_id)
    if execution is None or ExecutionStatus(execution.status).finished:
        return execution
    execution.cancel_requested = True
    if execution.status in (ExecutionStatus.QUEUED, ExecutionStatus.WAITING):
        execution.status = ExecutionStatus.CANCELLED
        execution.finished_at = clock.now()
        execution.summary = "Cancelled before it finished."
    db.add(execution)
    db.commit()
    return execution


def rerun_from_failed(db: Session, execution_id: uuid.UUID) -> Execution:
    """A new execution of the same version and trigger data that keeps the successful steps
    of the original and starts again at the one that failed."""
    original = db.get(Execution, execution_id)
    if original is None:
        raise CannotStart("That run does not exist.")
    if original.status != ExecutionStatus.FAILED:
        raise CannotStart("Only failed runs can be rerun from the failed step.")
    workflow = db.get(Workflow, original.workflow_id)
    assert workflow is not None
    rerun = start_execution(
        db,
        workflow,
        payloads.unpack(original.trigger_payload),
        trigger_kind="rerun",
        version_id=original.version_id,
        commit=False,
    )
    rerun.rerun_of_id = original.id
    kept = db.exec(
        select(StepRun).where(
            StepRun.execution_id == original.id, StepRun.status == StepStatus.SUCCEEDED
        )
    ).all()
    for run in kept:
        db.add(
            StepRun(
                tenant_id=run.tenant_id,
                execution_id=rerun.id,
                step_id=run.step_id,
                item_path=run.item_path,
                status=run.status,
                branch=run.branch,
                inputs=run.inputs,
                output=run.output,
                attempts=run.attempts,
                started_at=run.started_at,
                finished_at=run.finished_at,
                duration_ms=run.duration_ms,
                idempotency_key=run.idempotency_key,
            )
        )
    db.add(rerun)
    db.commit()
    return rerun
