"""Xero webhooks: invoice and contact events, signed with ``x-xero-signature`` (scheme ``xero``).

Xero webhooks are configured per app (developer portal), not per connection, so there is no
subscribe call; one delivery may batch events for several organisations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from marketplace.sdk import WebhookTrigger


def event_id(payload: Mapping[str, Any], _headers: Mapping[str, str]) -> str | None:
    """A stable id for a delivery: Xero sends no event ids and re-sends the same events on retry
    (with fresh ``entropy``), so hash what identifies each event. Intent-to-receive has none."""
    events = payload.get("events") or []
    if not events:
        return None
    keys = sorted(
        json.dumps(
            [
                e.get(k)
                for k in ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")
            ]
        )
        for e in events
    )
    return "xero:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:40]


INVOICE_EVENTS = WebhookTrigger(
    key="invoice_event",
    name="Invoice created or updated",
    description="Xero tells us an invoice was created or changed (including being paid).",
    event_types=("INVOICE.CREATE", "INVOICE.UPDATE"),
    scheme="xero",
    event_id=event_id,
)

CONTACT_EVENTS = WebhookTrigger(
    key="contact_event",
    name="Contact created or updated",
    description="Xero tells us a contact was created or changed.",
    event_types=("CONTACT.CREATE", "CONTACT.UPDATE"),
    scheme="xero",
    event_id=event_id,
)

TRIGGERS = (INVOICE_EVENTS, CONTACT_EVENTS)
