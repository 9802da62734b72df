"""Delivers signed webhook payloads from a sandbox to registered URLs, and records what it sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

Signer = Callable[[str, str, bytes], Mapping[str, str]]
"""(secret, url, body) -> signature headers, in the provider's scheme."""


def hmac_sha256(secret: str | bytes, data: bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, data, hashlib.sha256).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    url: str
    secret: str
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: Mapping[str, str]
    status: int | None
    response_headers: Mapping[str, str]
    error: str | None = None
    response_body: bytes = b""
    """What the receiver answered (Slack's URL check reads the echoed challenge from it)."""


def encode(payload: Any) -> bytes:
    """Compact JSON as providers send it (the signature covers exactly these bytes)."""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode()


class WebhookSender:
    """POSTs payloads to subscriptions, signing each with ``sign``; ``deliveries`` keeps history."""

    def __init__(self, sign: Signer, *, timeout: float = 5.0, user_agent: str = "Sandbox") -> None:
        self.sign = sign
        self.timeout = timeout
        self.user_agent = user_agent
        self.deliveries: list[Delivery] = []
        self._subscriptions: dict[str, Subscription] = {}
        self._lock = threading.Lock()

    def register(self, url: str, secret: str | None = None, **info: Any) -> Subscription:
        sub = Subscription(secrets.token_hex(8), url, secret or secrets.token_hex(32), info)
        with self._lock:
            self._subscriptions[sub.subscription_id] = sub
        return sub

    def unregister(self, subscription_id: str) -> bool:
        with self._lock:
            return self._subscriptions.pop(subscription_id, None) is not None

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def send(
        self, payload: Any, *, to: Subscription | None = None, method: str = "POST"
    ) -> list[Delivery]:
        """Sign and deliver ``payload`` to one subscription, or to all of them."""
        body = encode(payload)
        targets = [to] if to is not None else self.subscriptions()
        return [
            self.post(sub.url, body, dict(self.sign(sub.secret, sub.url, body)), method=method)
            for sub in targets
        ]

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, method: str = "POST"
    ) -> Delivery:
        """Deliver raw bytes with the given headers (also used to send deliberately bad ones)."""
        sent = {"Content-Type": "application/json", "User-Agent": self.user_agent, **headers}
        try:
            with httpx.Client(timeout=self.timeout) as client:
                answer = client.request(method, url, content=body, headers=sent)
            delivery = Delivery(
                url,
                body,
                sent,
                answer.status_code,
                dict(answer.headers),
                response_body=answer.content,
            )
        except httpx.HTTPError as error:
            delivery = Delivery(url, body, sent, None, {}, error=repr(error))
        with self._lock:
            self.deliveries.append(delivery)
        return delivery
