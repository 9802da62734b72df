"""The sandbox account's webhook endpoints and signed event deliveries.

Endpoints are created with ``POST /v1/webhook_endpoints`` (``enabled_events[]``, the ``whsec_``
secret returned once); each event is POSTed to the endpoints that enabled its type, signed
``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``.
"""

from __future__ import annotations

import secrets
from typing import Any

from connectors.sandbox_kit import Clock, Delivery, WebhookSender, hmac_sha256
from connectors.stripe.client import API_VERSION
from connectors.stripe.sandbox_store import Account, StripeError, missing


class StripeWebhooks:
    def __init__(self, account: Account, clock: Clock) -> None:
        self.account = account
        self.clock = clock
        self.sender = WebhookSender(
            self.sign, user_agent="Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        )
        self.pending: list[dict[str, Any]] = []

    def sign(self, secret: str, _url: str, body: bytes) -> dict[str, str]:
        stamp = str(int(self.clock.now()))
        digest = hmac_sha256(secret, stamp.encode() + b"." + body).hex()
        return {"Stripe-Signature": f"t={stamp},v1={digest}"}

    def create(self, form: dict[str, Any]) -> dict[str, Any]:
        url, events = str(form.get("url", "")), form.get("enabled_events") or []
        if not url.startswith(("https://", "http://")):
            raise StripeError(400, "Invalid URL: url must be an http(s) URL.", param="url")
        if not events:
            raise StripeError(400, "Missing required param: enabled_events.",
                              code="parameter_missing", param="enabled_events")  # fmt: skip
        sub = self.sender.register(url, "whsec_" + secrets.token_urlsafe(24))
        endpoint = {"id": "we_" + sub.subscription_id, "object": "webhook_endpoint", "url": url,
                    "enabled_events": list(events), "status": "enabled",
                    "api_version": API_VERSION, "description": form.get("description"),
                    "created": int(self.clock.now()), "livemode": False}  # fmt: skip
        self.account.objects[endpoint["id"]] = endpoint
        return {**endpoint, "secret": sub.secret}

    def delete(self, endpoint_id: str) -> dict[str, Any]:
        if not self.sender.unregister(endpoint_id.removeprefix("we_")):
            raise missing("webhook endpoint", endpoint_id)
        self.account.objects.pop(endpoint_id, None)
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    def queue(self, event_type: str, obj: dict[str, Any]) -> None:
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event",
                 "api_version": API_VERSION, "created": int(self.clock.now()),
                 "data": {"object": dict(obj)}, "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "type": event_type}  # fmt: skip
        self.pending.append(event)

    def deliver(self) -> list[Delivery]:
        deliveries: list[Delivery] = []
        pending, self.pending = self.pending, []
        for event in pending:
            for sub in self.sender.subscriptions():
                endpoint = self.account.objects.get("we_" + sub.subscription_id) or {}
                if event["type"] in endpoint.get("enabled_events", []):
                    deliveries.extend(self.sender.send(event, to=sub))
        return deliveries
