"""HubSpot webhooks: contact and deal changes, signed with X-HubSpot-Signature-v3.

Subscriptions belong to the HubSpot app (configured once for all portals), so there is no
per-connection subscribe call. A delivery is a JSON *array* of up to 100 events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from marketplace.sdk import WebhookTrigger


def event_id(payload: Any, _headers: Mapping[str, str]) -> str | None:
    """Deliveries are batches of events that each carry a unique ``eventId``; a retried batch
    has the same ids, so their sorted list identifies it."""
    events = payload if isinstance(payload, list) else [payload]
    ids = sorted(str(e["eventId"]) for e in events if isinstance(e, Mapping) and "eventId" in e)
    if not ids:
        return None
    joined = ",".join(ids)
    return (
        f"hubspot:{joined}"
        if len(joined) <= 64
        else f"hubspot:{hashlib.sha256(joined.encode()).hexdigest()[:40]}"
    )


CONTACT_CHANGED = WebhookTrigger(
    key="contact_changed",
    name="Contact created or changed",
    description="HubSpot tells us a contact was created or one of its properties changed.",
    event_types=("contact.creation", "contact.propertyChange"),
    scheme="hubspot-v3",
    event_id=event_id,
)

DEAL_CHANGED = WebhookTrigger(
    key="deal_changed",
    name="Deal created or changed",
    description="HubSpot tells us a deal was created or changed (e.g. moved to another stage).",
    event_types=("deal.creation", "deal.propertyChange"),
    scheme="hubspot-v3",
    event_id=event_id,
)

TRIGGERS = (CONTACT_CHANGED, DEAL_CHANGED)
