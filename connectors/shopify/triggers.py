"""Shopify order webhooks, subscribed per store with ``POST /webhooks.json`` (one per topic).

Deliveries are signed with the app's client secret (``X-Shopify-Hmac-Sha256``, scheme
``shopify``); Shopify signs no timestamp, so dedupe on ``X-Shopify-Webhook-Id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify.client import call
from marketplace.sdk import ActionContext, WebhookTrigger


def event_id(_payload: Any, headers: Mapping[str, str]) -> str | None:
    """Shopify's delivery id, the same on every retry of one webhook."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = lowered.get("x-shopify-webhook-id", "").strip()
    return f"shopify:{found}" if found else None


def _subscriber(topic: str):
    def subscribe(ctx: ActionContext, target_url: str) -> Mapping[str, Any]:
        body = {"webhook": {"topic": topic, "address": target_url, "format": "json"}}
        hook = call(ctx, "POST", "/webhooks.json", json=body)["webhook"]
        return {"webhook_id": hook["id"], "topic": topic}

    return subscribe


def unsubscribe(ctx: ActionContext, info: Mapping[str, Any]) -> None:
    call(ctx, "DELETE", f"/webhooks/{info['webhook_id']}.json")


def _trigger(key: str, name: str, description: str, topic: str) -> WebhookTrigger:
    return WebhookTrigger(
        key=key,
        name=name,
        description=description,
        event_types=(topic,),
        scheme="shopify",
        subscribe=_subscriber(topic),
        unsubscribe=unsubscribe,
        event_id=event_id,
    )


TRIGGERS = (
    _trigger("order_created", "Order created", "A customer placed an order.", "orders/create"),
    _trigger("order_paid", "Order paid", "An order's payment was captured.", "orders/paid"),
    _trigger("order_fulfilled", "Order fulfilled", "Every item of an order was fulfilled.",
             "orders/fulfilled"),
)  # fmt: skip
