"""Every vector of the shared webhook-signature conformance file through ``verify()``.

Mapping rules (one table, below): the vector's ``scheme`` field picks our scheme name and any
options the vector pins (Convoy's per-endpoint hash/encoding/mode, ``tolerance_seconds``).

Clock: ``now`` present → pinned (``null`` → real clock, as the file says). ``now`` *absent* only
occurs for Stripe and HubSpot v3 vectors whose notes say they test the signature alone (their
timestamps are from 1970); we pin the clock to the vector's own signed timestamp so the
signature is what gets tested, while freshness stays enforced (see test_verify_schemes.py).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from flowyard.webhooks import verify

VECTORS_FILE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "conformance"
    / "webhooks"
    / "webhook_signatures.json"
)

if not VECTORS_FILE.is_file():
    pytest.skip(f"conformance vectors not found at {VECTORS_FILE}", allow_module_level=True)

DATA: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DATA["vectors"]


def _convoy(vector: dict[str, Any]) -> str:
    mode = "advanced" if vector["advanced"] else "simple"
    return f"convoy?mode={mode}&hash={vector['hash'].lower()}&encoding={vector['encoding']}"


# vector "scheme" field -> function giving our scheme string (without tolerance).
SCHEME_MAP = {
    "standard-webhooks-v1": lambda v: "standard-webhooks",  # also Svix (svix-* headers)
    "standard-webhooks-v1a-ed25519": lambda v: "standard-webhooks",  # Svix asymmetric keypair
    "convoy": _convoy,
    "slack-v0": lambda v: "slack",
    "shopify-hmac-sha256": lambda v: "shopify",
    "hubspot-v3": lambda v: "hubspot-v3",
    "hubspot-v2": lambda v: "hubspot-v2",
    "hubspot-v1": lambda v: "hubspot-v1",
    "stripe-v1": lambda v: "stripe",
}
# vector "scheme" field -> reason we deliberately do not support it. Empty: all are supported.
UNSUPPORTED: dict[str, str] = {}


def _header(vector: dict[str, Any], name: str) -> str:
    return next(v for k, v in vector["headers"].items() if k.lower() == name)


def _signed_timestamp(vector: dict[str, Any]) -> float:
    """Clock for vectors without ``now``: the timestamp the vector itself signed."""
    if vector["scheme"] == "stripe-v1":
        items = dict(item.split("=", 1) for item in _header(vector, "stripe-signature").split(","))
        return float(items["t"])
    if vector["scheme"] == "hubspot-v3":
        return int(_header(vector, "x-hubspot-request-timestamp")) / 1000
    raise AssertionError(f"no clock rule for {vector['id']}")


def _scheme(vector: dict[str, Any]) -> str:
    scheme = SCHEME_MAP[vector["scheme"]](vector)
    if "tolerance_seconds" in vector:
        scheme += ("&" if "?" in scheme else "?") + f"tolerance={vector['tolerance_seconds']}"
    return scheme


def _now(vector: dict[str, Any]) -> float | None:
    if "now" in vector:
        return vector["now"]
    if vector["scheme"] in {"stripe-v1", "hubspot-v3"}:
        return _signed_timestamp(vector)
    return None  # no timestamp in the scheme: the clock is irrelevant


def test_every_vector_scheme_is_mapped_or_explicitly_unsupported() -> None:
    schemes = {v["scheme"] for v in VECTORS}
    assert schemes <= set(SCHEME_MAP) | set(UNSUPPORTED), schemes - set(SCHEME_MAP)


def test_vector_file_shape() -> None:
    assert {"should_verify", "now"} <= set(DATA["fields"])
    counts = Counter(v["provider"] for v in VECTORS)
    assert sum(counts.values()) == len(VECTORS) > 0


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    if vector["scheme"] in UNSUPPORTED:
        pytest.skip(f"{vector['scheme']}: {UNSUPPORTED[vector['scheme']]}")
    result = verify(
        _scheme(vector),
        vector["secret"],
        vector["headers"],
        vector["body"],
        now=_now(vector),
        method=vector.get("method"),
        uri=vector.get("uri"),
    )
    assert result is vector["should_verify"]


@pytest.mark.parametrize("provider", sorted(DATA.get("not_found", {})))
def test_providers_without_published_vectors_are_covered_elsewhere(provider: str) -> None:
    """Xero/Asana/Stripe have no published vectors; test_verify_schemes.py signs its own."""
    assert provider in {"xero", "asana", "stripe"}
