"""What a workflow sees of an inbound request, and how a provider's retry is recognised.

The trigger payload of a webhook-triggered run is::

    {"body": <parsed body>, "headers": {lower-case name: value}, "query": {name: value},
     "method": "POST", "webhook": {"event_id": "...", "received_at": "ISO-8601"}}

``body`` is the decoded JSON for JSON requests, a dict for form posts (repeated fields become
lists) and, for anything else, the text — or ``{"base64": ...}`` when it is not UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class UnreadableBody(ValueError):
    """The body claims a format it does not have; the message is for the sender."""


@dataclass
class RawRequest:
    """An inbound request exactly as received (the body is the raw bytes signatures cover)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    url: str = ""
    lowered: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.lowered = {k.lower(): v for k, v in self.headers.items()}

    @property
    def content_type(self) -> str:
        return self.lowered.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The decoded JSON body, or None if it is not JSON (never raises)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _form(body: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[key] = value
    return fields


def parse_body(content_type: str, body: bytes) -> Any:
    """The body in the shape the workflow sees; JSON that does not parse is refused."""
    if not body:
        return None
    if _is_json(content_type):
        try:
            return json.loads(body)
        except ValueError:
            raise UnreadableBody(
                "The request says its body is JSON, but it could not be read as JSON."
            ) from None
    if content_type == "application/x-www-form-urlencoded":
        return _form(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def trigger_payload(request: RawRequest, event_id: str, received_at: str) -> dict[str, Any]:
    return {
        "body": parse_body(request.content_type, request.body),
        "headers": dict(request.lowered),
        "query": dict(parse_qsl(request.query, keep_blank_values=True)),
        "method": request.method,
        "webhook": {"event_id": event_id, "received_at": received_at},
    }


def setup_call(scheme: str, request: RawRequest) -> str | None:
    """``"slack"`` / ``"xero"`` for a provider's signed set-up call (no run starts), else None."""
    name = scheme.partition("?")[0]
    if name not in ("slack", "xero"):
        return None
    data = request.json()
    if name == "slack" and isinstance(data, dict) and data.get("type") == "url_verification":
        return "slack"
    if name == "xero" and isinstance(data, dict) and data.get("events") == []:
        return "xero"
    return None


# Headers that carry a sender's delivery id, most specific first.
_ID_HEADERS = (
    "webhook-id",
    "svix-id",
    "idempotency-key",
    "x-shopify-webhook-id",
    "x-github-delivery",
    "x-request-id-webhook",
)
# Schemes whose retries resend the same body under a fresh signature/timestamp.
_BODY_HASH_SCHEMES = ("hubspot", "xero", "asana")


def dedupe_key(scheme: str, headers: Mapping[str, str], body: bytes) -> str | None:
    """The sender's id for this event, so a retry is recognised; None when there is none.

    Order: delivery-id headers (Standard Webhooks/Svix, ``Idempotency-Key``, Shopify), then the
    provider's event id in the body (Stripe ``id``, Slack ``event_id``), then — for providers
    whose retries resend the identical body — a hash of the body.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in _ID_HEADERS:
        value = lowered.get(name, "").strip()
        if value:
            return f"{name}:{value[:200]}"
    name = scheme.partition("?")[0].strip().lower()
    if name in ("stripe", "slack"):
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        field_name = "id" if name == "stripe" else "event_id"
        if isinstance(data, dict) and isinstance(data.get(field_name), str):
            return f"{name}:{data[field_name][:200]}"
    if name.startswith(_BODY_HASH_SCHEMES):
        return f"sha256:{hashlib.sha256(body).hexdigest()}"
    return None
