"""Synchronous endpoints: answer the sender with what the workflow's "Respond" step produced.

The ``webhook.respond`` action (``connectors/webhook``) returns an output marked with
:data:`RESPONSE_MARKER`. The runner checkpoints it before the next step that does I/O (or at
the end), so the ingress can pick it up from ``step_run`` while the rest of the run goes on.
If the run ends without one we answer with its outcome; on timeout, 202 with the event id.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select

from flowyard.db import tenant_session
from flowyard.engine import payloads
from flowyard.engine.models import Execution, ExecutionStatus, StepRun

RESPONSE_MARKER = "__webhook_response__"
_SAFE_HEADER_NAMES = frozenset({"content-type", "cache-control", "location", "x-request-id"})


def _clean_headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        return {}
    return {
        str(k): str(v)[:1000]
        for k, v in headers.items()
        if str(k).lower() in _SAFE_HEADER_NAMES or str(k).lower().startswith("x-")
    }


def result_of(
    tenant_id: uuid.UUID, execution_id: uuid.UUID
) -> tuple[int, Any, dict[str, str]] | None:
    """(status, body, headers) once known, else None (still running)."""
    with tenant_session(tenant_id) as db:
        outputs = db.exec(
            select(StepRun.output).where(
                StepRun.execution_id == execution_id,
                StepRun.status == "succeeded",
                col(StepRun.output).op("?")(RESPONSE_MARKER),
            )
        ).all()
        for stored in outputs:
            output = payloads.unpack(stored)
            if isinstance(output, dict) and output.get(RESPONSE_MARKER):
                status = int(output.get("status") or 200)
                return status, output.get("body"), _clean_headers(output.get("headers"))
        execution = db.get(Execution, execution_id)
    if execution is None or not ExecutionStatus(execution.status).finished:
        return None
    if execution.status == ExecutionStatus.SUCCEEDED:
        return 200, {"status": "succeeded", "summary": execution.summary}, {}
    return 500, {"status": str(execution.status), "error": "The workflow did not finish. "
                 "Its run history has the details."}, {}  # fmt: skip
