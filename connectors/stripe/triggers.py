"""Stripe payment events: a webhook endpoint per connection (``POST /v1/webhook_endpoints``).

Stripe returns the endpoint's signing secret (``whsec_…``) only when it is created, so
``subscribe`` hands it back for the platform to store as the inbound address's secret; every
delivery is signed with ``Stripe-Signature`` (scheme ``stripe``) and carries the event ``id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.stripe.client import call
from marketplace.sdk import ActionContext, WebhookTrigger

EVENT_TYPES = ("invoice.paid", "payment_intent.succeeded", "checkout.session.completed")


def subscribe(ctx: ActionContext, target_url: str) -> Mapping[str, Any]:
    data = {
        "url": target_url,
        "enabled_events": list(EVENT_TYPES),
        "description": "Flowyard payment events",
    }
    endpoint = call(ctx, "POST", "/v1/webhook_endpoints", data=data, step="webhook")
    return {"webhook_endpoint_id": endpoint["id"], "secret": endpoint["secret"]}


def unsubscribe(ctx: ActionContext, info: Mapping[str, Any]) -> None:
    call(ctx, "DELETE", f"/v1/webhook_endpoints/{info['webhook_endpoint_id']}")


def event_id(payload: Mapping[str, Any], _headers: Mapping[str, str]) -> str | None:
    """Stripe's ``evt_…`` id, the same on every retry of one event."""
    found = payload.get("id") if isinstance(payload, Mapping) else None
    return f"stripe:{found}" if isinstance(found, str) and found else None


PAYMENT_EVENTS = WebhookTrigger(
    key="payment_event",
    name="Payment received",
    description="An invoice was paid, a payment succeeded or a Checkout session completed.",
    event_types=EVENT_TYPES,
    scheme="stripe",
    subscribe=subscribe,
    unsubscribe=unsubscribe,
    event_id=event_id,
)

TRIGGERS = (PAYMENT_EVENTS,)
