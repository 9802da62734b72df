"""The per-endpoint inbound log: listing, replaying stored events, pausing and releasing.

Everything here runs in the owner's tenant-scoped session.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from flowyard.engine.executions import CannotStart, start_execution
from flowyard.engine.models import Execution, Workflow
from flowyard.webhooks import endpoints
from flowyard.webhooks.models import InboundEndpoint, InboundEvent
from flowyard.webhooks.requests import RawRequest, trigger_payload
from tenants.validation import InvalidInput

STATUS_WORDS = {
    "started": "Started a run",
    "duplicate": "Duplicate (not started again)",
    "held": "Held while paused",
    "rejected": "Refused: bad signature",
    "handshake": "Set-up check answered",
}


def recent(db: Session, endpoint_id: uuid.UUID, limit: int = 50) -> list[InboundEvent]:
    return list(
        db.exec(
            select(InboundEvent)
            .where(InboundEvent.endpoint_id == endpoint_id)
            .order_by(col(InboundEvent.received_at).desc())
            .limit(limit)
        ).all()
    )


def _payload(event: InboundEvent) -> dict[str, Any]:
    raw = RawRequest(
        method=event.method, path="", query=event.query, headers=event.headers, body=event.body
    )
    return trigger_payload(raw, str(event.id), event.received_at.isoformat())


def _start(db: Session, event: InboundEvent, kind: str) -> Execution:
    workflow = db.get(Workflow, event.workflow_id)
    if workflow is None:
        raise InvalidInput("event", "The workflow of this event no longer exists.")
    try:
        return start_execution(db, workflow, _payload(event), trigger_kind="webhook", commit=False)
    except CannotStart as error:
        raise InvalidInput("event", str(error)) from None


def replay(db: Session, event_id: uuid.UUID) -> Execution:
    """Run the workflow again with a stored event, exactly as it was received."""
    event = db.get(InboundEvent, event_id)
    if event is None or event.status in ("rejected", "handshake"):
        raise InvalidInput("event", "Only events that were accepted can be replayed.")
    execution = _start(db, event, "replay")
    event.replays += 1
    if event.status == "held":
        event.status = "started"
    event.execution_id = execution.id
    db.add(event)
    db.commit()
    return execution


def set_paused(db: Session, endpoint: InboundEndpoint, paused: bool) -> InboundEndpoint:
    """Pause: keep accepting and storing events but start nothing until released."""
    endpoint.paused = paused
    db.add(endpoint)
    db.commit()
    endpoints.forget_cached(endpoint)
    return endpoint


def release_held(db: Session, endpoint: InboundEndpoint, *, resume: bool = True) -> int:
    """Start a run for every held event, oldest first; returns how many were started."""
    held = db.exec(
        select(InboundEvent)
        .where(InboundEvent.endpoint_id == endpoint.id, InboundEvent.status == "held")
        .order_by(col(InboundEvent.received_at))
        .with_for_update(skip_locked=True)
    ).all()
    if resume:
        endpoint.paused = False
        db.add(endpoint)
    for event in held:
        execution = _start(db, event, "release")
        event.status = "started"
        event.execution_id = execution.id
        event.note = "Released after pause."
        db.add(event)
    db.commit()
    if resume:
        endpoints.forget_cached(endpoint)
    return len(held)
