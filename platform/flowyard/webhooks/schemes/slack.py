"""Slack: ``X-Slack-Signature: v0=<hex>`` over ``"v0:{X-Slack-Request-Timestamp}:{raw body}"``.

HMAC-SHA256 keyed with the app's signing secret; requests outside the 5-minute window are
refused, as Slack's own SDKs do, to stop replays.
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


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``tolerance`` (seconds, default 300)."""
    _options.check_names("slack", options, {"tolerance"})
    tolerance = _options.tolerance(options)

    def check(req: Inbound) -> bool:
        signature = req.header("x-slack-signature")
        raw_ts = req.header("x-slack-request-timestamp")
        timestamp = parse_timestamp(raw_ts)
        if signature is None or timestamp is None or not fresh(timestamp, req.now, tolerance):
            return False
        version, _, digest = signature.partition("=")
        if version != "v0":
            return False
        expected = hmac_digest(to_bytes(req.secret), f"v0:{raw_ts}:".encode() + req.body)
        return any_equal(expected, [decode_hex(digest)])

    return check
