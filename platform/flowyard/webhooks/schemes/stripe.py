"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``.

HMAC-SHA256 (hex) over ``"{t}.{raw body}"`` keyed with the *whole* secret string as UTF-8
(``whsec_…`` included, unlike Standard Webhooks). Several ``v1`` entries appear while a secret is
being rolled; any match passes. Other versions (``v0`` is test-mode only) never count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import (
    Inbound,
    any_equal,
    decode_hex,
    fresh,
    hmac_digest,
    parse_timestamp,
    to_bytes,
)


def parse_header(value: str) -> tuple[list[str], list[str]]:
    """(all ``t`` values, all ``v1`` values) from a ``k=v,k=v`` header."""
    stamps: list[str] = []
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            stamps.append(val)
        elif key == "v1":
            signatures.append(val)
    return stamps, signatures


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``tolerance`` (seconds, default 300)."""
    _options.check_names("stripe", options, {"tolerance"})
    tolerance = _options.tolerance(options)

    def check(req: Inbound) -> bool:
        header = req.header("stripe-signature")
        if header is None:
            return False
        stamps, signatures = parse_header(header)
        if len(stamps) != 1 or not signatures:  # several t= values would be ambiguous
            return False
        timestamp = parse_timestamp(stamps[0])
        if timestamp is None or not fresh(timestamp, req.now, tolerance):
            return False
        expected = hmac_digest(to_bytes(req.secret), f"{stamps[0]}.".encode() + req.body)
        return any_equal(expected, (decode_hex(sig) for sig in signatures))

    return check
