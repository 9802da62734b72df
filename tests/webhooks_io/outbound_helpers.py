"""Helpers for outbound tests: subscriptions, emitting events, waiting on rows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import col, select


def agency_of(tenant_id: uuid.UUID) -> uuid.UUID:
    from flowyard.db import system_session
    from tenants.models import Tenant

    with system_session() as db:
        return db.get(Tenant, tenant_id).agency_id


def subscribe(tenant_id: uuid.UUID | None, url: str, types: list[str], *, agency_id=None, **kw):  # type: ignore[no-untyped-def]
    from flowyard.db import agency_session
    from flowyard.webhooks import subscriptions

    agency_id = agency_id or agency_of(tenant_id)
    with agency_session(agency_id) as db:
        return subscriptions.create(
            db, agency_id=agency_id, tenant_id=tenant_id, url=url, event_types=types, **kw
        )


def emit(tenant_id: uuid.UUID, event_type: str, payload: dict[str, Any]) -> uuid.UUID:
    from flowyard.db import tenant_session
    from flowyard.triggers import events

    with tenant_session(tenant_id) as db:
        return events.emit(db, tenant_id, event_type, payload).id


def deliveries(tenant_id: uuid.UUID) -> list:
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import WebhookDelivery

    with tenant_session(tenant_id) as db:
        return list(db.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.created_at))))


def attempts(tenant_id: uuid.UUID) -> list:
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import WebhookAttempt

    with tenant_session(tenant_id) as db:
        return list(db.exec(select(WebhookAttempt).order_by(col(WebhookAttempt.number))))


def subscription(subscription_id: uuid.UUID):  # type: ignore[no-untyped-def]
    from flowyard.db import system_session
    from flowyard.webhooks.models import WebhookSubscription

    with system_session() as db:
        return db.get(WebhookSubscription, subscription_id)


def wait_until(check: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
