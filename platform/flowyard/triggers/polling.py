"""Connector polling triggers: ask the provider for new items, start one run per item.

The scheduler claims due cursors (``FOR UPDATE SKIP LOCKED``) and queues a poll; the poll
runs the connector's ``poll(ctx, cursor)`` inside a worker with the connection's credentials,
starts an execution per item keyed ``poll:<item id>`` (so an item seen twice runs once) and
stores the new cursor in the same transaction. Failures back off, up to an hour.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from flowyard import clock
from flowyard.engine.document import ConnectorTrigger, WorkflowDocument
from flowyard.engine.models import Workflow, WorkflowVersion
from flowyard.triggers.models import TriggerCursor
from marketplace import registry
from marketplace.sdk import ActionContext, ActionError, PollingTrigger

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=1)


class UnknownTrigger(ValueError):
    """The document names a connector trigger that is not installed or cannot be polled."""


def polling_trigger(trigger: ConnectorTrigger) -> PollingTrigger:
    connector = registry.connectors().get(trigger.connector)
    found = connector.trigger(trigger.trigger) if connector else None
    if not isinstance(found, PollingTrigger):
        raise UnknownTrigger(
            f'The trigger "{trigger.connector}.{trigger.trigger}" is not installed or is not '
            "one that checks for new items."
        )
    return found


def upsert(db: Session, workflow: Workflow, trigger: ConnectorTrigger) -> None:
    """Start (or keep) polling for a published workflow; a changed trigger starts afresh."""
    declared = polling_trigger(trigger)
    row = db.get(TriggerCursor, workflow.id)
    if row is None or (row.connector, row.trigger) != (trigger.connector, trigger.trigger):
        if row is not None:
            db.delete(row)
            db.flush()
        row = TriggerCursor(
            tenant_id=workflow.tenant_id,
            workflow_id=workflow.id,
            connector=trigger.connector,
            trigger=trigger.trigger,
        )
    row.interval_seconds = trigger.interval_seconds or declared.interval_seconds
    row.next_poll_at = clock.now()
    db.add(row)


def remove(db: Session, workflow_id: uuid.UUID) -> None:
    db.exec(delete(TriggerCursor).where(col(TriggerCursor.workflow_id) == workflow_id))  # type: ignore[call-overload]


def queue_due(db: Session, *, limit: int = 100) -> int:
    """Claim due cursors and queue a poll for each (system session, called every second)."""
    from flowyard.workers import engine_actors, outbox

    now = clock.now()
    rows = db.exec(
        select(TriggerCursor)
        .where(TriggerCursor.next_poll_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.next_poll_at = now + timedelta(seconds=row.interval_seconds)
        db.add(row)
        outbox.stage(
            db,
            engine_actors.poll_trigger,
            str(row.tenant_id),
            str(row.workflow_id),
            tenant_id=row.tenant_id,
        )
    db.commit()
    return len(rows)


def poll_once(db: Session, workflow_id: uuid.UUID) -> int:
    """Poll one workflow's trigger now (tenant-scoped session); returns runs started."""
    from flowyard.engine.connections import client_for_connection
    from flowyard.engine.executions import CannotStart, start_execution
    from flowyard.engine.invoke import guarded_client

    row = db.get(TriggerCursor, workflow_id, with_for_update=True)
    workflow = db.get(Workflow, workflow_id)
    if row is None or workflow is None or workflow.published_version_id is None:
        db.rollback()
        return 0
    version = db.get(WorkflowVersion, workflow.published_version_id)
    document = WorkflowDocument.model_validate(version.document if version else {})
    if not isinstance(document.trigger, ConnectorTrigger):
        db.rollback()
        return 0
    trigger = document.trigger
    declared = polling_trigger(trigger)
    connector = registry.connectors()[trigger.connector]
    credentials: dict[str, object] = {}
    if trigger.connection_id:
        client, credentials = client_for_connection(
            workflow.tenant_id, trigger.connection_id, connector, 60.0
        )
    else:
        client = guarded_client(60.0)
    ctx = ActionContext(
        http=client,
        idempotency_key=f"poll-{workflow_id}",
        log=log,
        settings=dict(trigger.settings),
        credentials=credentials,
    )
    now = clock.now()
    try:
        result = declared.poll(ctx, row.cursor)
    except ActionError as error:
        row.failures += 1
        row.last_error = error.message[:500]
        backoff = min(MAX_BACKOFF, timedelta(seconds=row.interval_seconds * 2**row.failures))
        row.next_poll_at = now + backoff
        row.last_polled_at = now
        db.add(row)
        db.commit()
        log.warning("poll of %s failed: %s", workflow_id, error.message)
        return 0
    finally:
        client.close()
    started = 0
    for item in result.items:
        try:
            start_execution(
                db,
                workflow,
                dict(item),
                trigger_kind="poll",
                trigger_key=f"poll:{declared.item_id(item)}"[:200],
                commit=False,
            )
            started += 1
        except CannotStart as reason:
            log.info("poll of %s: %s", workflow_id, reason)
            break
    row.cursor = result.cursor
    row.failures = 0
    row.last_error = ""
    row.last_polled_at = now
    db.add(row)
    db.commit()
    return started
