"""Shopify: ``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256 of the raw body (app client secret).

Shopify signs no timestamp, so a captured delivery can be replayed; the ingress must
de-duplicate on ``X-Shopify-Webhook-Id`` (or ``X-Shopify-Event-Id``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import Inbound, body_hmac_check


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    _options.check_names("shopify", options, ())
    return body_hmac_check("x-shopify-hmac-sha256", "base64")
