"""Delivering one message: claim it, sign it, send it, log the attempt, decide what is next.

At-least-once: an attempt first takes a lease on the delivery row; if the worker dies while
sending, the lease runs out and :func:`release_due` queues the delivery again (same
``webhook-id``, so receivers can drop the repeat). Bookkeeping uses a system session because
agency-wide subscriptions span client accounts; every statement names the rows it touches.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session, col, or_, select, update

from flowyard import __version__, clock
from flowyard.db import system_session
from flowyard.net import DestinationRefused, SyncGuardedTransport
from flowyard.settings import get_settings
from flowyard.webhooks import fanout, schedule, subscriptions
from flowyard.webhooks.config import webhook_settings
from flowyard.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from flowyard.webhooks.signing import build_headers

log = logging.getLogger("flowyard.webhooks")
RESPONSE_KEEP = 4096
REQUEST_KEEP = 64 * 1024
REQUEUE_AFTER = timedelta(seconds=60)


@dataclass
class Sent:
    status: int | None
    body: str
    error: str
    latency_ms: int
    headers: dict[str, str]


def claim(delivery_id: str, now: datetime) -> bool:
    """Take the lease on a due delivery; False if it is not due, done, or already in flight."""
    lease = timedelta(seconds=webhook_settings().lease_seconds + webhook_settings().timeout_seconds)
    with system_session() as db:
        result = db.exec(
            update(WebhookDelivery)  # type: ignore[call-overload]
            .where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now + timedelta(seconds=1),
                or_(
                    col(WebhookDelivery.lease_until).is_(None),
                    col(WebhookDelivery.lease_until) < now,
                ),
            )
            .values(lease_until=now + lease, queued_at=None)
        )
        db.commit()
        return result.rowcount == 1


def unclaim(delivery_id: str) -> None:
    """Give the lease back without counting an attempt (rate limit or cap reached)."""
    with system_session() as db:
        db.exec(
            update(WebhookDelivery)  # type: ignore[call-overload]
            .where(col(WebhookDelivery.id) == delivery_id)
            .values(lease_until=None, queued_at=clock.now())
        )
        db.commit()


def load(delivery_id: str) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    with system_session() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        subscription = db.get(WebhookSubscription, delivery.subscription_id) if delivery else None
    return (delivery, subscription) if delivery and subscription else None


def send(subscription: WebhookSubscription, delivery: WebhookDelivery) -> Sent:
    """One signed POST through the SSRF-guarded transport; never raises for network trouble."""
    headers = {
        "content-type": "application/json",
        "user-agent": f"Flowyard-Webhooks/{__version__}",
        **build_headers(
            subscriptions.active_secrets(subscription),
            delivery.id,
            delivery.body,
            now=clock.now().timestamp(),
        ),
    }
    started = time.monotonic()
    transport = SyncGuardedTransport(allow=get_settings().http_allow_entries)
    try:
        with httpx.Client(
            transport=transport, timeout=webhook_settings().timeout_seconds
        ) as client:
            response = client.post(subscription.url, content=delivery.body, headers=headers)
        body = response.text[:RESPONSE_KEEP]
        status, error = response.status_code, ""
    except DestinationRefused as refused:
        status, body, error = None, "", str(refused)
    except httpx.TimeoutException:
        status, body = None, ""
        error = f"No answer within {webhook_settings().timeout_seconds:.0f} seconds."
    except httpx.HTTPError as failure:
        status, body, error = None, "", f"Could not connect: {failure}"[:1000]
    latency = int((time.monotonic() - started) * 1000)
    return Sent(status, body, error, latency, headers)


def _failure_text(sent: Sent) -> str:
    if sent.error:
        return sent.error
    return f"The endpoint answered {sent.status}."


def record(delivery_id: str, sent: Sent) -> str:
    """Log the attempt and move the delivery on; returns the new delivery status."""
    from flowyard.triggers import events

    now = clock.now()
    with system_session() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        subscription = db.get(WebhookSubscription, delivery.subscription_id) if delivery else None
        if delivery is None or subscription is None:
            return "gone"
        delivery.attempts += 1
        ok = sent.status is not None and 200 <= sent.status < 300
        db.add(
            WebhookAttempt(
                tenant_id=delivery.tenant_id,
                delivery_id=delivery.id,
                subscription_id=subscription.id,
                number=delivery.attempts,
                started_at=now,
                request_headers=sent.headers,
                request_body=delivery.body[:REQUEST_KEEP],
                response_status=sent.status,
                response_body=sent.body,
                latency_ms=sent.latency_ms,
                error="" if ok else _failure_text(sent),
                succeeded=ok,
            )
        )
        delivery.lease_until = None
        delivery.last_status = sent.status
        if ok:
            delivery.status, delivery.finished_at, delivery.last_error = "succeeded", now, ""
            subscription.failing_since = None
        else:
            delivery.last_error = _failure_text(sent)
            subscription.failing_since = subscription.failing_since or now
            delay = schedule.next_delay(delivery.attempts)
            if sent.status == 410:
                delivery.status, delivery.finished_at = "failed", now
                _disable(db, subscription, delivery, "The endpoint answered 410 Gone.", events)
            elif delay is None:
                delivery.status, delivery.finished_at = "failed", now
            else:
                delivery.next_attempt_at = now + delay
            too_long = timedelta(hours=webhook_settings().disable_after_hours)
            if subscription.enabled and now - subscription.failing_since >= too_long:
                reason = (
                    f"Every delivery failed for {_hours(too_long)}; last: {delivery.last_error}"
                )
                _disable(db, subscription, delivery, reason, events)
        db.add(delivery)
        db.add(subscription)
        db.commit()
        return delivery.status


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def _disable(db: Session, subscription: WebhookSubscription, delivery: WebhookDelivery,
             reason: str, events) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """Turn the endpoint off and tell the client account (a platform event, notified)."""
    if not subscription.enabled:
        return
    subscription.enabled = False
    subscription.disabled_reason = reason[:500]
    events.emit(
        db,
        delivery.tenant_id,
        "webhook_endpoint.disabled",
        {
            "subscription_id": str(subscription.id),
            "url": subscription.url,
            "reason": subscription.disabled_reason,
            "message": f"We stopped sending events to {subscription.url}. {reason} "
            "Fix the endpoint, then turn it back on and replay the failed deliveries.",
        },
        source="webhooks",
        commit=False,
    )


def give_up(delivery_id: str, reason: str) -> None:
    """Close a delivery without sending (its endpoint was turned off); replay resends it."""
    with system_session() as db:
        db.exec(
            update(WebhookDelivery)  # type: ignore[call-overload]
            .where(col(WebhookDelivery.id) == delivery_id)
            .values(status="failed", lease_until=None, last_error=reason, finished_at=clock.now())
        )
        db.commit()


def release_due(limit: int = 500) -> int:
    """Queue deliveries whose time has come (retries, expired leases, lost messages).

    Called every second by the scheduler; SKIP LOCKED lets several schedulers share it.
    """
    now = clock.now()
    with system_session() as db:
        rows = db.exec(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.status == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(
                    col(WebhookDelivery.lease_until).is_(None),
                    col(WebhookDelivery.lease_until) < now,
                ),
                or_(
                    col(WebhookDelivery.queued_at).is_(None),
                    col(WebhookDelivery.queued_at) < now - REQUEUE_AFTER,
                ),
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for delivery in rows:
            fanout.queue(db, delivery)
        db.commit()
        return len(rows)


def replay(db: Session, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again now (same ``webhook-id``); its attempt history is kept."""
    from tenants.validation import InvalidInput

    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise InvalidInput("delivery", "That delivery does not exist.")
    delivery.status = "pending"
    delivery.next_attempt_at = clock.now()
    delivery.lease_until = None
    delivery.finished_at = None
    fanout.queue(db, delivery)
    db.commit()
    return delivery


def replay_failed(db: Session, subscription_id: uuid.UUID, since: datetime, until: datetime) -> int:
    """Replay every failed delivery of a subscription created in [since, until)."""
    failed = db.exec(
        select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == "failed",
            col(WebhookDelivery.created_at) >= since,
            col(WebhookDelivery.created_at) < until,
        )
    ).all()
    now = clock.now()
    for delivery in failed:
        delivery.status, delivery.next_attempt_at = "pending", now
        delivery.lease_until, delivery.finished_at = None, None
        fanout.queue(db, delivery)
    db.commit()
    return len(failed)
