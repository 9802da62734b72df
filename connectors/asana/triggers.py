"""Asana webhooks: task events on a project, created per connection with ``POST /webhooks``.

Asana first POSTs a handshake with ``X-Hook-Secret`` (the ingress echoes it and stores it as the
key, see ``flowyard.webhooks.asana_handshake``); every delivery after that is signed with
``X-Hook-Signature`` (scheme ``asana``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from connectors.asana.client import call
from marketplace.sdk import ActionContext, InvalidInputError, WebhookTrigger

TASK_FILTERS = [
    {"resource_type": "task", "action": action}
    for action in ("added", "changed", "removed", "deleted")
]


def subscribe(ctx: ActionContext, target_url: str) -> Mapping[str, Any]:
    """Create the webhook on the project named in settings; Asana handshakes before answering."""
    resource = ctx.settings.get("asana_resource_gid")
    if not resource:
        raise InvalidInputError("Choose the Asana project to watch (asana_resource_gid).")
    hook = call(
        ctx,
        "POST",
        "/webhooks",
        data={"resource": str(resource), "target": target_url, "filters": TASK_FILTERS},
    )
    return {"webhook_gid": hook["gid"], "resource_gid": str(resource)}


def unsubscribe(ctx: ActionContext, info: Mapping[str, Any]) -> None:
    call(ctx, "DELETE", f"/webhooks/{info['webhook_gid']}")


def event_id(payload: Mapping[str, Any], _headers: Mapping[str, str]) -> str | None:
    """Asana events carry no id; a retried delivery repeats them exactly, so hash them.
    Handshakes and heartbeats (no events) get None."""
    events = payload.get("events") or []
    if not events:
        return None
    canonical = json.dumps(events, sort_keys=True, separators=(",", ":"))
    return "asana:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


TASK_EVENTS = WebhookTrigger(
    key="task_event",
    name="Task added, changed or completed",
    description="Asana tells us a task in the chosen project was added, changed or removed.",
    event_types=("task.added", "task.changed", "task.removed", "task.deleted"),
    scheme="asana",
    subscribe=subscribe,
    unsubscribe=unsubscribe,
    event_id=event_id,
)

TRIGGERS = (TASK_EVENTS,)
