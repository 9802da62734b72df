"""Outbound subscriptions: create, edit, rotate the secret, enable and disable.

A subscription belongs to an agency and either one of its client accounts (``tenant_id``) or
all of them (``tenant_id`` None). The URL is vetted against the SSRF guard when saved, for a
friendly message; the guarded transport enforces it again at every delivery.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from flowyard import clock
from flowyard.engine import conditions
from flowyard.net import DestinationRefused, check_url
from flowyard.security import vault
from flowyard.settings import get_settings
from flowyard.webhooks.config import webhook_settings
from flowyard.webhooks.models import WebhookSubscription
from flowyard.webhooks.signing import generate_secret
from tenants.validation import InvalidInput

EVENT_TYPES: dict[str, str] = {
    "execution.completed": "A workflow run finished successfully",
    "execution.failed": "A workflow run failed",
    "execution.cancelled": "A workflow run was cancelled",
    "connection.needs_reconnect": "A connected app needs signing in again",
    "webhook_endpoint.disabled": "A webhook endpoint was turned off after failing",
    "*": "Every event (including connector events)",
}


def secret_context(subscription: WebhookSubscription) -> str:
    return f"agency:{subscription.agency_id}:webhook-sub:{subscription.id}"


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("https://", "http://")):
        raise InvalidInput("url", "Enter the full address, starting with https://.")
    if len(url) > 2000:
        raise InvalidInput("url", "That address is too long.")
    try:
        check_url(url, allow=get_settings().http_allow_entries)
    except DestinationRefused as refused:
        raise InvalidInput("url", str(refused)) from None
    except Exception:
        raise InvalidInput("url", "We could not find that address. Check it for typos.") from None
    return url


def _check_types(event_types: list[str]) -> list[str]:
    cleaned = sorted({t.strip() for t in event_types if t and t.strip()})
    if not cleaned:
        raise InvalidInput("event_types", "Choose at least one kind of event to send.")
    for item in cleaned:
        if len(item) > 200 or " " in item:
            raise InvalidInput("event_types", f'"{item}" is not an event name.')
    return cleaned


def _check_filter(rule: Any) -> Any:
    if rule in (None, "", {}):
        return None
    try:
        conditions.test(rule, {"type": "x", "data": {}})
    except conditions.ConditionError as error:
        raise InvalidInput("filter", f"The filter could not be used: {error.message}") from None
    return rule


def create(
    db: Session,
    *,
    agency_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    url: str,
    event_types: list[str],
    description: str = "",
    filter_rule: Any = None,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (shown once to the person creating it)."""
    subscription = WebhookSubscription(
        agency_id=agency_id,
        tenant_id=tenant_id,
        url=_check_url(url),
        event_types=_check_types(event_types),
        description=description.strip()[:500],
        filter=_check_filter(filter_rule),
        secret="",
    )
    secret = generate_secret()
    subscription.secret = vault.encrypt(secret, context=secret_context(subscription))
    db.add(subscription)
    db.commit()
    return subscription, secret


def update(
    db: Session,
    subscription: WebhookSubscription,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    filter_rule: Any = ...,
) -> WebhookSubscription:
    if url is not None:
        subscription.url = _check_url(url)
    if event_types is not None:
        subscription.event_types = _check_types(event_types)
    if description is not None:
        subscription.description = description.strip()[:500]
    if filter_rule is not ...:
        subscription.filter = _check_filter(filter_rule)
    db.add(subscription)
    db.commit()
    return subscription


def rotate_secret(
    db: Session, subscription: WebhookSubscription, *, overlap: timedelta | None = None
) -> str:
    """A new secret; the old one keeps signing (both signatures sent) during the overlap."""
    overlap = overlap if overlap is not None else timedelta(
        hours=webhook_settings().rotation_overlap_hours
    )  # fmt: skip
    fresh = generate_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = clock.now() + overlap
    subscription.secret = vault.encrypt(fresh, context=secret_context(subscription))
    db.add(subscription)
    db.commit()
    return fresh


def active_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets to sign with now: the current one, plus the previous during the overlap."""
    context = secret_context(subscription)
    found = [vault.decrypt(subscription.secret, context=context)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > clock.now():
        found.append(vault.decrypt(subscription.previous_secret, context=context))
    return found


def reveal_secret(subscription: WebhookSubscription) -> str:
    return vault.decrypt(subscription.secret, context=secret_context(subscription))


def set_enabled(db: Session, subscription: WebhookSubscription, enabled: bool) -> None:
    subscription.enabled = enabled
    subscription.disabled_reason = "" if enabled else "Turned off by a person."
    if enabled:
        subscription.failing_since = None
    db.add(subscription)
    db.commit()


def matches(subscription: WebhookSubscription, event_type: str, payload: Any) -> bool:
    """Does this event go to this subscription (type pattern, then the optional filter)?"""
    if not any(
        pattern == "*"
        or pattern == event_type
        or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
        for pattern in subscription.event_types
    ):
        return False
    if subscription.filter is None:
        return True
    try:
        return bool(conditions.test(subscription.filter, {"type": event_type, "data": payload}))
    except conditions.ConditionError:
        return False
