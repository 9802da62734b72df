"""Read models for the Webhooks pages: plain dicts of display strings, paged on the server."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.engine.models import Workflow
from flowyard.webhooks import endpoints, inbound_log
from flowyard.webhooks.models import (
    InboundEndpoint,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tenants.models import Tenant

DELIVERY_STATUS_WORDS = {"pending": "Retrying", "succeeded": "Delivered", "failed": "Failed"}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d %b %H:%M:%S") if moment else ""


def inbound(
    db: Session, tenant_id: uuid.UUID, events_per_endpoint: int = 5
) -> list[dict[str, Any]]:
    """Every webhook-triggered workflow's address, its check and its latest requests."""
    rows = []
    for endpoint in endpoints.ensure_endpoints(db, tenant_id):
        workflow = db.get(Workflow, endpoint.workflow_id)
        scheme = endpoint.scheme.partition("?")[0]
        rows.append({
            "id": str(endpoint.id),
            "workflow": workflow.name if workflow else "",
            "url": endpoints.hook_url(endpoint),
            "scheme": endpoint.scheme,
            "scheme_choice": scheme or "none",
            "check": endpoints.SCHEME_LABELS.get(scheme, scheme),
            "paused": endpoint.paused,
            "mode": "Waits for the workflow's answer"
            if endpoint.mode == "sync"
            else "Answers at once",
            "events": [
                {
                    "id": str(event.id),
                    "when": _when(event.received_at),
                    "status": inbound_log.STATUS_WORDS.get(event.status, event.status),
                    "tone": "red" if event.status == "rejected" else "green"
                    if event.status == "started" else "gray",
                    "replayable": event.status in ("started", "duplicate", "held"),
                    "size": f"{len(event.body)} bytes",
                }
                for event in inbound_log.recent(db, endpoint.id, events_per_endpoint)
            ],
        })  # fmt: skip
    return rows


def _health(db: Session, subscription_id: uuid.UUID) -> tuple[str, str]:
    since = clock.now() - timedelta(days=1)
    total, ok = db.exec(
        select(func.count(), func.count().filter(col(WebhookAttempt.succeeded)))
        .select_from(WebhookAttempt)
        .where(
            WebhookAttempt.subscription_id == subscription_id,
            col(WebhookAttempt.started_at) >= since,
        )
    ).one()
    last_error = db.exec(
        select(WebhookAttempt.error)
        .where(WebhookAttempt.subscription_id == subscription_id, WebhookAttempt.error != "")
        .order_by(col(WebhookAttempt.started_at).desc())
        .limit(1)
    ).first()
    tries = f"{total} {'try' if total == 1 else 'tries'}"
    rate = f"{ok * 100 // total}% delivered (last 24 h, {tries})" if total else "No tries yet"
    return rate, last_error or ""


def subscriptions(db: Session, tenant_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """Subscriptions the session may see, with health; ``tenant_id`` narrows to one account."""
    query = select(WebhookSubscription).order_by(col(WebhookSubscription.created_at))
    if tenant_id is not None:
        query = query.where(WebhookSubscription.tenant_id == tenant_id)
    names = {t.id: t.name for t in db.exec(select(Tenant))}
    rows = []
    for sub in db.exec(query):
        rate, last_error = _health(db, sub.id)
        rows.append({
            "id": str(sub.id),
            "url": sub.url,
            "description": sub.description,
            "types": ", ".join(sub.event_types),
            "enabled": sub.enabled,
            "status": "On" if sub.enabled else "Off",
            "disabled_reason": sub.disabled_reason,
            "health": rate,
            "last_error": last_error,
            "scope": names.get(sub.tenant_id, "") if sub.tenant_id else "All clients",
        })  # fmt: skip
    return rows


def deliveries(
    db: Session, *, status: str = "", subscription_id: str = "", limit: int = 50
) -> list[dict[str, Any]]:
    """The delivery log (latest first), filtered by status and endpoint on the server."""
    query = select(WebhookDelivery, WebhookSubscription.url).join(
        WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id)
    )
    if status in DELIVERY_STATUS_WORDS:
        query = query.where(WebhookDelivery.status == status)
    if subscription_id:
        query = query.where(WebhookDelivery.subscription_id == uuid.UUID(subscription_id))
    query = query.order_by(col(WebhookDelivery.created_at).desc()).limit(limit)
    return [
        {
            "id": delivery.id,
            "url": url,
            "type": delivery.event_type,
            "status": DELIVERY_STATUS_WORDS.get(delivery.status, delivery.status),
            "tone": {"succeeded": "green", "failed": "red"}.get(delivery.status, "amber"),
            "attempts": str(delivery.attempts),
            "answer": str(delivery.last_status or "—"),
            "error": delivery.last_error,
            "when": _when(delivery.created_at),
        }
        for delivery, url in db.exec(query)
    ]


def attempts_of(db: Session, delivery_id: str) -> list[dict[str, Any]]:
    rows = db.exec(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(col(WebhookAttempt.number))
    )
    return [
        {
            "number": str(a.number),
            "when": _when(a.started_at),
            "status": str(a.response_status or "no answer"),
            "latency": f"{a.latency_ms} ms" if a.latency_ms is not None else "",
            "error": a.error,
            "response": a.response_body[:500],
        }
        for a in rows
    ]


def endpoint_in(db: Session, endpoint_id: str) -> InboundEndpoint | None:
    try:
        return db.get(InboundEndpoint, uuid.UUID(endpoint_id))
    except ValueError:
        return None
