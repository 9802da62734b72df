"""The sandbox store's webhooks: ``/webhooks.json`` subscriptions and signed order deliveries.

Each delivery carries Shopify's headers (topic, shop domain, API version, a unique
``X-Shopify-Webhook-Id`` repeated on retries) and ``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256
of the body under the app's client secret.
"""

from __future__ import annotations

import uuid
from typing import Any

from connectors.sandbox_kit import Delivery, WebhookSender, b64, encode, hmac_sha256
from connectors.shopify.client import API_VERSION
from connectors.shopify.sandbox_store import Shop, ShopifyError

TOPICS = {"orders/create", "orders/paid", "orders/fulfilled", "orders/updated"}


def sign(secret: str, body: bytes) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": b64(hmac_sha256(secret, body))}


class ShopifyWebhooks:
    """Subscriptions belong to (app, shop); deliveries are queued until :meth:`deliver`."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.sender = WebhookSender(lambda s, _u, b: sign(s, b), user_agent="Shopify-Captain-Hook")
        self.pending: list[tuple[str, dict[str, Any]]] = []

    def queue(self, topic: str, payload: dict[str, Any]) -> None:
        self.pending.append((topic, dict(payload)))

    def _view(self, sub_id: str) -> dict[str, Any]:
        sub = next(s for s in self.sender.subscriptions() if s.subscription_id == sub_id)
        return {
            "id": int(sub.subscription_id, 16),
            "address": sub.url,
            "topic": sub.info["topic"],
            "created_at": sub.info["created_at"],
            "updated_at": sub.info["created_at"],
            "format": "json",
            "fields": [],
            "metafield_namespaces": [],
            "api_version": API_VERSION,
        }

    def create(self, body: dict[str, Any], client_id: str, secret: str) -> dict[str, Any]:
        hook = body.get("webhook") or {}
        topic, address = str(hook.get("topic", "")), str(hook.get("address", ""))
        if topic not in TOPICS:
            raise ShopifyError(422, {"topic": ["Invalid topic specified."]})
        if not address.startswith(("https://", "http://")):
            raise ShopifyError(422, {"address": ["is invalid"]})
        for sub in self.sender.subscriptions():
            if (sub.url, sub.info["topic"], sub.info["client"]) == (address, topic, client_id):
                raise ShopifyError(422, {"address": ["for this topic has already been taken"]})
        sub = self.sender.register(
            address, secret, topic=topic, client=client_id, created_at=self.shop.now()
        )
        return {"webhook": self._view(sub.subscription_id)}

    def listing(self, client_id: str) -> dict[str, Any]:
        mine = [s for s in self.sender.subscriptions() if s.info["client"] == client_id]
        return {"webhooks": [self._view(s.subscription_id) for s in mine]}

    def delete(self, webhook_id: int, client_id: str) -> dict[str, Any]:
        for sub in self.sender.subscriptions():
            if int(sub.subscription_id, 16) == webhook_id and sub.info["client"] == client_id:
                self.sender.unregister(sub.subscription_id)
                return {}
        raise ShopifyError(404, "Not Found")

    def deliver(self) -> list[Delivery]:
        """POST every queued event to the subscriptions for its topic."""
        deliveries: list[Delivery] = []
        pending, self.pending = self.pending, []
        for topic, payload in pending:
            body = encode(payload)
            for sub in self.sender.subscriptions():
                if sub.info["topic"] != topic:
                    continue
                headers = {
                    **sign(sub.secret, body),
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Shop-Domain": self.shop.domain,
                    "X-Shopify-API-Version": API_VERSION,
                    "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                    "X-Shopify-Event-Id": str(uuid.uuid4()),
                    "X-Shopify-Triggered-At": self.shop.now(),
                }
                deliveries.append(self.sender.post(sub.url, body, headers))
        return deliveries

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Shopify's retry of a delivery: same body, same webhook id, same signature."""
        return self.sender.post(delivery.url, delivery.body, delivery.headers)
