"""Xero: ``x-xero-signature`` = base64 HMAC-SHA256 of the raw body, keyed by the webhook key.

Xero's "Intent to Receive" validation sends some deliberately mis-signed requests: the ingress
must answer 401 whenever this check fails (and 200 only when it passes), otherwise Xero never
activates the subscription. Xero signs no timestamp; de-duplicate on the event payload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import Inbound, body_hmac_check


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    _options.check_names("xero", options, ())
    return body_hmac_check("x-xero-signature", "base64")
