"""What the ``/hooks`` route sends back, shared by the ingress's fast and general paths."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What the route sends back; ``wait_for`` asks it to wait for a synchronous result."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    wait_for: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    timeout: float = 0.0
    event_id: str = ""


NOT_FOUND = Reply(404, {"error": "Not found."})


def accepted(
    event_id: uuid.UUID,
    execution_id: uuid.UUID | None,
    *,
    mode: str,
    tenant_id: uuid.UUID,
    sync_timeout_seconds: int,
) -> Reply:
    """The 202 for a stored event; synchronous endpoints also wait for the run's answer."""
    reply = Reply(202, {"event_id": str(event_id)}, event_id=str(event_id))
    if mode == "sync" and execution_id is not None:
        reply.wait_for = execution_id
        reply.tenant_id = tenant_id
        reply.timeout = float(sync_timeout_seconds)
    return reply
