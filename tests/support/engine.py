"""Helpers for engine tests: a tenant, publishing documents, waiting for outcomes."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlmodel import select

from flowyard.db import system_session, tenant_session
from flowyard.engine import executions, versions
from flowyard.engine.models import Execution, StepRun, Workflow
from tenants import service
from tenants.models import Agency


def make_tenant(name: str = "Rosa's Bakery", agency: str = "Alpha Agency") -> uuid.UUID:
    with system_session() as db:
        agency_row = db.exec(select(Agency)).first() or service.create_agency(db, agency)
        return service.create_tenant(db, agency_row.id, name).id


def publish(tenant_id: uuid.UUID, document: dict[str, Any]) -> Workflow:
    """Create (or update) a workflow named as the document and publish it."""
    with tenant_session(tenant_id) as db:
        workflow = versions.create_workflow(db, tenant_id, document["name"], document)
        versions.publish(db, workflow)
        db.refresh(workflow)
        return workflow


def run(tenant_id: uuid.UUID, workflow: Workflow, payload: Any = None, **kw: Any) -> uuid.UUID:
    with tenant_session(tenant_id) as db:
        fresh = db.get(Workflow, workflow.id)
        return executions.start_execution(db, fresh, payload or {}, **kw).id


def wait_finished(tenant_id: uuid.UUID, execution_id: uuid.UUID, timeout: float = 20) -> Execution:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tenant_session(tenant_id) as db:
            execution = db.get(Execution, execution_id)
            if execution and execution.status in ("succeeded", "failed", "cancelled"):
                return execution
        time.sleep(0.05)
    with tenant_session(tenant_id) as db:
        execution = db.get(Execution, execution_id)
    raise AssertionError(f"execution did not finish in {timeout}s: {execution}")


def step_runs(tenant_id: uuid.UUID, execution_id: uuid.UUID) -> dict[tuple[str, str], StepRun]:
    with tenant_session(tenant_id) as db:
        rows = db.exec(select(StepRun).where(StepRun.execution_id == execution_id)).all()
    return {(r.step_id, r.item_path): r for r in rows}


def action(step_id: str, key: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "action",
        "id": step_id,
        "name": step_id.replace("_", " ").title(),
        "action": key,
        "inputs": inputs,
        **extra,
    }


def doc(name: str, steps: list[dict[str, Any]], edges: list[tuple], **extra: Any) -> dict:
    return {
        "name": name,
        "trigger": extra.pop("trigger", {"kind": "manual"}),
        "steps": steps,
        "edges": [
            {"source": e[0], "target": e[1], **({"branch": e[2]} if len(e) > 2 else {})}
            for e in edges
        ],
        **extra,
    }
