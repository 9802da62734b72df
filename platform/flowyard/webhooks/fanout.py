"""Turn platform events into deliveries: one per matching subscription, queued via the outbox.

Registered as an event sink, so it runs inside the dispatcher's transaction: the delivery rows
and their outbox messages commit together with the event being marked dispatched.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session, col, or_, select

from flowyard import clock
from flowyard.db import system_session
from flowyard.engine import payloads
from flowyard.triggers.models import PlatformEvent
from flowyard.webhooks.models import WebhookDelivery, WebhookSubscription
from flowyard.webhooks.subscriptions import matches
from tenants.models import Tenant


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def message_body(event_type: str, data: Any, *, tenant_id: uuid.UUID, when: str) -> str:
    """The JSON receivers get: ``{"type", "timestamp", "tenant_id", "data"}``."""
    envelope = {"type": event_type, "timestamp": when, "tenant_id": str(tenant_id), "data": data}
    return json.dumps(envelope, separators=(",", ":"), default=str, ensure_ascii=False)


SUBSCRIBED_SQL = (
    "EXISTS (SELECT 1 FROM webhook_subscription s JOIN tenant t ON t.agency_id = s.agency_id "
    "WHERE t.id = %(tenant_id)s AND s.enabled "
    "AND (s.tenant_id IS NULL OR s.tenant_id = %(tenant_id)s))"
)
"""SQL: the tenant (or its whole agency) has an enabled subscription; types are matched by
:func:`on_platform_event` (patterns and filters are easier in Python)."""


def _candidates(tenant_id: uuid.UUID) -> list[WebhookSubscription]:
    """Enabled subscriptions of this tenant and its agency's agency-wide ones.

    A system session on purpose: agency-wide rows are not visible to a tenant's session.
    """
    with system_session() as db:
        agency_id = db.exec(select(Tenant.agency_id).where(Tenant.id == tenant_id)).first()
        if agency_id is None:
            return []
        return list(
            db.exec(
                select(WebhookSubscription).where(
                    WebhookSubscription.agency_id == agency_id,
                    WebhookSubscription.enabled == True,  # noqa: E712
                    or_(
                        WebhookSubscription.tenant_id == tenant_id,
                        col(WebhookSubscription.tenant_id).is_(None),
                    ),
                )
            ).all()
        )


def queue(db: Session, delivery: WebhookDelivery) -> None:
    """Stage the delivery's message in the caller's transaction (sent after commit)."""
    from flowyard.webhooks.actors import deliver_webhook
    from flowyard.workers import outbox

    delivery.queued_at = clock.now()
    db.add(delivery)
    outbox.stage(
        db, deliver_webhook, str(delivery.tenant_id), delivery.id, tenant_id=delivery.tenant_id
    )


def on_platform_event(db: Session, event: PlatformEvent) -> list[WebhookDelivery]:
    """The event sink: create and queue deliveries (idempotent if dispatched twice)."""
    subscriptions = _candidates(event.tenant_id)
    if not subscriptions:
        return []
    data = payloads.unpack(event.payload)
    already = set(
        db.exec(
            select(WebhookDelivery.subscription_id).where(WebhookDelivery.event_id == event.id)
        ).all()
    )
    created = []
    when = event.created_at.isoformat()
    for subscription in subscriptions:
        if subscription.id in already or not matches(subscription, event.type, data):
            continue
        delivery = WebhookDelivery(
            id=new_message_id(),
            tenant_id=event.tenant_id,
            subscription_id=subscription.id,
            event_id=event.id,
            event_type=event.type,
            body=message_body(event.type, data, tenant_id=event.tenant_id, when=when),
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
        queue(db, delivery)
        created.append(delivery)
    return created


def send_test(db: Session, subscription: WebhookSubscription, tenant_id: uuid.UUID) -> str:
    """Queue a ``webhook.test`` message to the subscription now; returns its ``webhook-id``."""
    now = clock.now()
    data = {"message": "This is a test event. If you can read it, your endpoint works."}
    delivery = WebhookDelivery(
        id=new_message_id(),
        tenant_id=tenant_id,
        subscription_id=subscription.id,
        event_type="webhook.test",
        body=message_body("webhook.test", data, tenant_id=tenant_id, when=now.isoformat()),
        next_attempt_at=now,
        created_at=now,
        is_test=True,
    )
    queue(db, delivery)
    db.commit()
    return delivery.id
