"""Platform events: stored first, then fanned out to event-triggered workflows and sinks.

``emit`` writes the event in the caller's transaction. When something listens for it (an
event-triggered workflow of the tenant, or a sink such as an outbound webhook subscription)
an outbox message is staged with it and the ``dispatch_event`` actor starts every matching
workflow once per event (the trigger key is the event id) and hands the event to the sinks.
When nothing listens — most ``execution.completed`` events — the event is stored as already
dispatched and costs no message at all. The check is one SQL expression (:func:`interest_sql`)
so hot paths can fold it into the statement that stores the event.
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

WORKFLOWS_LISTENING = (
    "EXISTS (SELECT 1 FROM workflow w WHERE w.tenant_id = %(tenant_id)s "
    "AND w.trigger_kind = 'event' AND w.event_type = %(event_type)s AND w.enabled "
    "AND w.published_version_id IS NOT NULL)"
)
"""SQL: an enabled, published workflow of the tenant is triggered by this event type."""

_sinks: list[tuple[EventSink, str]] = []


def register_sink(sink: EventSink, *, interested: str = "TRUE") -> None:
    """Receive every dispatched event (inside the dispatcher's tenant-scoped session).

    ``interested`` is a SQL boolean over ``%(tenant_id)s`` and ``%(event_type)s`` that is
    true whenever the sink might want the event (it may over-approximate, never under):
    events nobody is interested in are not dispatched at all.
    """
    if all(existing is not sink for existing, _ in _sinks):
        _sinks.append((sink, interested))


def interest_sql() -> str:
    """SQL that is true when anything may want an event of ``%(event_type)s``."""
    return "(" + " OR ".join([WORKFLOWS_LISTENING, *(f"({sql})" for _, sql in _sinks)]) + ")"


def has_listeners(db: Session, tenant_id: uuid.UUID, event_type: str) -> bool:
    statement = f"SELECT {interest_sql()}"
    params = {"tenant_id": tenant_id, "event_type": event_type}
    return bool(db.connection().exec_driver_sql(statement, params).scalar())


def emit(
    db: Session,
    tenant_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    source: str = "platform",
    commit: bool = True,
) -> PlatformEvent:
    """Store an event; if anything listens, queue its fan-out in the same transaction."""
    from flowyard.workers import engine_actors, outbox

    event_type = event_type[:200]
    event = PlatformEvent(
        tenant_id=tenant_id, type=event_type, payload=payloads.pack(payload), source=source
    )
    if has_listeners(db, tenant_id, event_type):
        outbox.stage(
            db, engine_actors.dispatch_event, str(tenant_id), str(event.id), tenant_id=tenant_id
        )
    else:
        event.dispatched_at = clock.now()  # nothing to tell
    db.add(event)
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
    for sink, _interested in list(_sinks):
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
