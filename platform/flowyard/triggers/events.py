"""Platform events: stored first, then fanned out to event-triggered workflows and sinks.

``emit`` writes the event and an outbox message in the caller's transaction. The
``dispatch_event`` actor starts every matching workflow once per event (the trigger key is
the event id) and hands the event to registered sinks (outbound webhooks subscribe here).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from flowyard import clock
from flowyard.engine import conditions, payloads
from flowyard.triggers.models import PlatformEvent

log = logging.getLogger(__name__)
EventSink = Callable[[Session, PlatformEvent], None]
_sinks: list[EventSink] = []


def register_sink(sink: EventSink) -> None:
    """Receive every dispatched event (inside the dispatcher's tenant-scoped session)."""
    if sink not in _sinks:
        _sinks.append(sink)


def emit(
    db: Session,
    tenant_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    source: str = "platform",
    commit: bool = True,
    inline: bool = False,
) -> PlatformEvent:
    """Store an event and fan it out: later via the outbox, or ``inline`` in this transaction
    (used when a run finishes, saving a second message per execution)."""
    from flowyard.workers import engine_actors, outbox

    event = PlatformEvent(
        tenant_id=tenant_id, type=event_type[:200], payload=payloads.pack(payload), source=source
    )
    if inline:
        event.dispatched_at = clock.now()  # fanned out below, in this very transaction
    db.add(event)
    if inline:
        db.flush()
        fan_out(db, event)
    else:
        outbox.stage(
            db, engine_actors.dispatch_event, str(tenant_id), str(event.id), tenant_id=tenant_id
        )
    if commit:
        db.commit()
    return event


def dispatch(db: Session, event_id: uuid.UUID) -> list[uuid.UUID]:
    """Fan out one stored event (idempotent: a dispatched event is not fanned out twice)."""
    event = db.get(PlatformEvent, event_id)
    if event is None or event.dispatched_at is not None:
        return []
    started = fan_out(db, event)
    db.commit()
    return started


def fan_out(db: Session, event: PlatformEvent) -> list[uuid.UUID]:
    """Start matching workflows and hand the event to sinks, in the caller's transaction."""
    from flowyard.engine.executions import CannotStart, start_execution
    from flowyard.engine.models import Workflow, WorkflowVersion

    payload = payloads.unpack(event.payload)
    started: list[uuid.UUID] = []
    workflows = db.exec(
        select(Workflow).where(
            Workflow.trigger_kind == "event",
            Workflow.event_type == event.type,
            Workflow.enabled == True,  # noqa: E712
            Workflow.published_version_id.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    for workflow in workflows:
        if "execution:" in event.source and _is_own_event(db, workflow, event):
            continue
        version = db.get(WorkflowVersion, workflow.published_version_id)
        rule = ((version.document if version else {}).get("trigger") or {}).get("filter")
        data = {"trigger": payload, "event": {"type": event.type, "id": str(event.id)}}
        try:
            if rule is not None and not conditions.test(rule, data):
                continue
        except conditions.ConditionError as error:
            log.warning("event filter of %s failed: %s", workflow.id, error.message)
            continue
        try:
            execution = start_execution(
                db,
                workflow,
                payload,
                trigger_kind="event",
                trigger_key=f"event:{event.id}",
                commit=False,
            )
            started.append(execution.id)
        except CannotStart:
            continue
    for sink in list(_sinks):
        sink(db, event)
    if event.dispatched_at is None:
        event.dispatched_at = clock.now()
        db.add(event)
    return started


def _is_own_event(db: Session, workflow: Any, event: PlatformEvent) -> bool:
    """A workflow never triggers itself through its own execution's events (no loops)."""
    from flowyard.engine.models import Execution

    execution_id = event.source.removeprefix("execution:")
    try:
        execution = db.get(Execution, uuid.UUID(execution_id))
    except ValueError:
        return False
    return execution is not None and execution.workflow_id == workflow.id
