"""Rows for the run pages: one page of runs with filters, and one run's step-by-step detail.

Everything is paged and trimmed on the server so page state stays small (big payloads are
shown as a short preview; the full data stays in the database).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from flowyard.engine import payloads
from flowyard.engine.models import Execution, StepRun, Workflow, WorkflowVersion
from flowyard.web.state.workflows_format import between, duration, run_status, when

PAGE_SIZE = 25
PREVIEW_LIMIT = 4000
STATUSES = ("queued", "running", "waiting", "succeeded", "failed", "cancelled")
_TRIGGER_WORDS = {
    "manual": "Run now",
    "schedule": "Schedule",
    "event": "Event",
    "webhook": "Webhook",
    "rerun": "Rerun",
    "sub_workflow": "Another workflow",
    "error": "Error handler",
}


def _day_start(text: str, timezone: str) -> datetime | None:
    """Midnight of ``YYYY-MM-DD`` in the tenant's time zone (None if empty or malformed)."""
    try:
        day = date.fromisoformat(text)
        zone = zoneinfo.ZoneInfo(timezone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    return datetime.combine(day, time.min, tzinfo=zone)


def list_runs(
    db: Session,
    tenant_id: uuid.UUID,
    timezone: str,
    *,
    status: str = "",
    workflow_id: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 0,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of runs, newest first, and whether older ones follow."""
    query = select(Execution, Workflow.name).join(Workflow, Workflow.id == Execution.workflow_id)
    query = query.where(Execution.tenant_id == tenant_id)
    if status in STATUSES:
        query = query.where(Execution.status == status)
    if workflow_id:
        with contextlib.suppress(ValueError):
            query = query.where(Execution.workflow_id == uuid.UUID(workflow_id))
    start = _day_start(date_from, timezone)
    if start is not None:
        query = query.where(Execution.created_at >= start)
    end = _day_start(date_to, timezone)
    if end is not None:
        query = query.where(Execution.created_at < end + timedelta(days=1))
    rows = db.exec(
        query.order_by(col(Execution.created_at).desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return [_run_row(e, name, timezone) for e, name in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _run_row(execution: Execution, workflow_name: str, timezone: str) -> dict[str, Any]:
    word, tone = run_status(execution.status)
    return {
        "id": str(execution.id),
        "workflow": workflow_name,
        "status": word,
        "tone": tone,
        "summary": execution.summary or _pending_summary(execution.status),
        "started": when(execution.created_at, timezone),
        "took": between(execution.started_at or execution.created_at, execution.finished_at),
        "trigger": _TRIGGER_WORDS.get(execution.trigger_kind, execution.trigger_kind),
        "dead_letter": execution.dead_letter,
    }


def _pending_summary(status: str) -> str:
    return {
        "queued": "Waiting for a free worker…",
        "running": "Running…",
        "waiting": "Paused until it can continue…",
    }.get(status, "")


def workflow_options(db: Session, tenant_id: uuid.UUID) -> list[dict[str, str]]:
    """Every workflow of the tenant for the filter (names only)."""
    rows = db.exec(
        select(Workflow.id, Workflow.name)
        .where(Workflow.tenant_id == tenant_id)
        .order_by(Workflow.name)
        .limit(500)
    ).all()
    return [{"value": str(i), "label": n} for i, n in rows]


def preview(value: Any) -> str:
    """Pretty JSON for people to read, cut short when it is long."""
    if value is None:
        return ""
    if payloads.is_truncated(value):
        return (
            f"(Too large to keep: {value.get('size', 0):,} characters. Start of it:)\n"
            + str(value.get("preview", ""))[:PREVIEW_LIMIT]
        )
    text = json.dumps(payloads.unpack(value), indent=2, ensure_ascii=False, default=str)
    if len(text) > PREVIEW_LIMIT:
        return text[:PREVIEW_LIMIT] + f"\n… ({len(text) - PREVIEW_LIMIT:,} more characters)"
    return text


def run_detail(db: Session, execution_id: uuid.UUID, timezone: str) -> dict[str, Any] | None:
    """The run's header and its steps in the order they ran (loop iterations grouped)."""
    execution = db.get(Execution, execution_id)
    if execution is None:
        return None
    workflow = db.get(Workflow, execution.workflow_id)
    version = db.get(WorkflowVersion, execution.version_id)
    names = {s["id"]: (s.get("name") or s["id"], s.get("kind", "")) for s in
             (version.document.get("steps", []) if version else [])}  # fmt: skip
    rows = db.exec(
        select(StepRun)
        .where(StepRun.execution_id == execution_id)
        .order_by(col(StepRun.started_at), col(StepRun.item_path))
    ).all()
    word, tone = run_status(execution.status)
    return {
        "run": {
            "id": str(execution.id),
            "workflow": workflow.name if workflow else "",
            "workflow_id": str(execution.workflow_id),
            "version": f"Version {version.number}" if version else "",
            "status": word,
            "tone": tone,
            "raw_status": execution.status,
            "summary": execution.summary or _pending_summary(execution.status),
            "error": (execution.error or {}).get("message", ""),
            "started": when(execution.created_at, timezone),
            "took": between(execution.started_at or execution.created_at, execution.finished_at),
            "trigger": _TRIGGER_WORDS.get(execution.trigger_kind, execution.trigger_kind),
            "payload": preview(execution.trigger_payload),
            "dead_letter": execution.dead_letter,
            "rerun_of": str(execution.rerun_of_id) if execution.rerun_of_id else "",
            "cancel_requested": execution.cancel_requested,
        },
        "steps": _group_steps(rows, names, timezone),
    }


def _step_view(row: StepRun, label: str, kind: str, timezone: str) -> dict[str, Any]:
    word, tone = run_status(row.status)
    error = row.error or {}
    return {
        "key": f"{row.step_id}:{row.item_path}",
        "step_id": row.step_id,
        "name": label,
        "kind": kind,
        "item": _item_label(row.item_path),
        "status": word,
        "tone": tone,
        "attempts": row.attempts,
        "took": duration(row.duration_ms) or between(row.started_at, row.finished_at),
        "started": when(row.started_at, timezone),
        "branch": row.branch or "",
        "inputs": preview(row.inputs),
        "output": preview(row.output),
        "error": error.get("message", ""),
        "error_kind": error.get("kind", ""),
        "iterations": [],
    }


def _item_label(item_path: str) -> str:
    """``each_line[0]/`` -> ``Item 1`` (nested loops: ``Item 2 > 1``)."""
    numbers = re.findall(r"\[(\d+)\]", item_path)
    return "Item " + " > ".join(str(int(n) + 1) for n in numbers) if numbers else item_path


def _group_steps(
    rows: list[StepRun], names: dict[str, tuple[str, str]], timezone: str
) -> list[dict[str, Any]]:
    """Top-level steps in order; for-each iterations (``item_path``) nest under their step."""
    steps: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        label, kind = names.get(row.step_id, (row.step_id, ""))
        view = _step_view(row, label, kind, timezone)
        if not row.item_path:
            steps.append(view)
            groups[row.step_id] = view
            continue
        group = groups.get(row.step_id)
        if group is None:  # iteration rows of a step inside a loop body
            group = {**view, "item": "", "inputs": "", "output": "", "error": "",
                     "status": "", "took": "", "attempts": 0, "key": row.step_id}  # fmt: skip
            steps.append(group)
            groups[row.step_id] = group
        view["iterations"] = []
        group["iterations"].append(view)
    for group in steps:
        if group["iterations"] and not group["status"]:
            statuses = {i["status"] for i in group["iterations"]}
            group["status"], group["tone"] = (
                ("Failed", "red") if "Failed" in statuses else
                ("Running", "blue") if "Running" in statuses else ("Succeeded", "green")
            )  # fmt: skip
            group["attempts"] = sum(i["attempts"] for i in group["iterations"])
    return steps
