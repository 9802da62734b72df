"""Inbound webhook signature verification and outbound Standard Webhooks signing."""

from flowyard.webhooks.schemes.asana import asana_handshake
from flowyard.webhooks.schemes.generic import verify_hmac
from flowyard.webhooks.verify import verify

__all__ = ["asana_handshake", "verify", "verify_hmac"]
