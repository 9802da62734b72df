"""Provider-style signatures computed independently of the code under test (hmac/hashlib)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

SECRET = "prov-s3cret"
SW_KEY = b"0123456789abcdef0123456789abcdef"
SW_SECRET = "whsec_" + base64.b64encode(SW_KEY).decode()
PUBLIC_BASE = "http://127.0.0.1:3000"


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def standard(body: bytes, ts: int, path: str, msg_id: str = "msg_1") -> dict[str, str]:
    sig = _b64(_hmac(SW_KEY, f"{msg_id}.{ts}.".encode() + body))
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": f"v1,{sig}"}


def stripe(body: bytes, ts: int, path: str) -> dict[str, str]:
    return {
        "Stripe-Signature": f"t={ts},v1={_hmac(SECRET.encode(), f'{ts}.'.encode() + body).hex()}"
    }


def shopify(body: bytes, ts: int, path: str) -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": _b64(_hmac(SECRET.encode(), body))}


def xero(body: bytes, ts: int, path: str) -> dict[str, str]:
    return {"x-xero-signature": _b64(_hmac(SECRET.encode(), body))}


def hubspot(body: bytes, ts: int, path: str) -> dict[str, str]:
    millis = str(ts * 1000)
    content = f"POST{PUBLIC_BASE}{path}".encode() + body + millis.encode()
    return {
        "X-HubSpot-Signature-v3": _b64(_hmac(SECRET.encode(), content)),
        "X-HubSpot-Request-Timestamp": millis,
    }


def slack(body: bytes, ts: int, path: str) -> dict[str, str]:
    sig = _hmac(SECRET.encode(), f"v0:{ts}:".encode() + body).hex()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={sig}"}


def asana(body: bytes, ts: int, path: str) -> dict[str, str]:
    return {"X-Hook-Signature": _hmac(SECRET.encode(), body).hex()}


def generic(body: bytes, ts: int, path: str) -> dict[str, str]:
    return {"X-Sig": _hmac(SECRET.encode(), body).hex()}


GENERIC_SCHEME = "hmac?header=X-Sig&algorithm=sha256&encoding=hex"

# scheme, secret, signer, whether the scheme signs a timestamp (so "stale" applies)
SCHEMES = [
    ("standard-webhooks", SW_SECRET, standard, True),
    ("stripe", SECRET, stripe, True),
    ("shopify", SECRET, shopify, False),
    ("xero", SECRET, xero, False),
    ("hubspot-v3", SECRET, hubspot, True),
    ("slack", SECRET, slack, True),
    ("asana", SECRET, asana, False),
    (GENERIC_SCHEME, SECRET, generic, False),
]


def body_for(scheme: str, n: int = 1) -> bytes:
    """A realistic body per provider (Stripe/Slack ids in the body are dedupe keys)."""
    if scheme == "stripe":
        return json.dumps({"id": f"evt_{n}", "type": "invoice.paid", "data": {"n": n}}).encode()
    if scheme == "slack":
        return json.dumps({"type": "event_callback", "event_id": f"Ev{n}", "n": n}).encode()
    if scheme == "xero":
        return json.dumps({"events": [{"eventId": f"e{n}"}], "firstEventSequence": n}).encode()
    return json.dumps({"order": n, "name": "Crème"}).encode()
