"""Asana: ``X-Hook-Signature`` = hex HMAC-SHA256 of the body, keyed by the handshake secret.

When a webhook is created Asana first POSTs a handshake carrying ``X-Hook-Secret``; the receiver
must echo that header back in its 200 response and store the value: it is the key for every
later delivery. Asana signs no timestamp, so replay protection is the ingress's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import Inbound, body_hmac_check, lower_headers


def asana_handshake(headers: Mapping[str, str]) -> str | None:
    """The ``X-Hook-Secret`` to store and echo back if this is Asana's handshake, else None."""
    secret = lower_headers(headers).get("x-hook-secret", "").strip()
    return secret or None


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    _options.check_names("asana", options, ())
    return body_hmac_check("x-hook-signature", "hex")
