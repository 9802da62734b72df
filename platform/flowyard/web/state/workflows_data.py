"""Rows for the workflows list: status, last run and whether the draft has unpublished edits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from flowyard.engine.models import Execution, Workflow, WorkflowVersion
from flowyard.web.state.workflows_format import run_status, when

PAGE_SIZE = 50


def workflow_status(workflow: Workflow) -> tuple[str, str]:
    """(word, colour): Draft until first published, then Published or Paused."""
    if workflow.published_version_id is None:
        return "Draft", "gray"
    return ("Published", "green") if workflow.enabled else ("Paused", "amber")


def list_workflows(
    db: Session, tenant_id: uuid.UUID, timezone: str, page: int = 0
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the tenant's workflows (newest first) and whether more follow."""
    rows = db.exec(
        select(Workflow)
        .where(Workflow.tenant_id == tenant_id)
        .order_by(col(Workflow.created_at).desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    ids = [w.id for w in rows]
    last = _last_runs(db, ids)
    published_at = _published_at(db, [w.published_version_id for w in rows])
    result = []
    for workflow in rows:
        word, tone = workflow_status(workflow)
        run = last.get(workflow.id)
        run_word, run_tone = run_status(run.status) if run else ("", "gray")
        live = published_at.get(workflow.published_version_id)
        result.append({
            "id": str(workflow.id),
            "name": workflow.name,
            "status": word,
            "tone": tone,
            "enabled": workflow.enabled,
            "published": workflow.published_version_id is not None,
            "edited": bool(live and workflow.draft_updated_at > live),
            "trigger": _TRIGGER_WORDS.get(workflow.trigger_kind, workflow.trigger_kind),
            "last_run": when(run.created_at, timezone) if run else "Never run",
            "last_status": run_word,
            "last_tone": run_tone,
            "last_id": str(run.id) if run else "",
        })  # fmt: skip
    return result, more


_TRIGGER_WORDS = {
    "manual": "Run by hand",
    "schedule": "On a schedule",
    "event": "When something happens",
    "webhook": "When another app calls",
}


def _last_runs(db: Session, workflow_ids: list[uuid.UUID]) -> dict[uuid.UUID, Execution]:
    if not workflow_ids:
        return {}
    newest = (
        select(Execution.workflow_id, func.max(Execution.created_at).label("at"))
        .where(col(Execution.workflow_id).in_(workflow_ids))
        .group_by(Execution.workflow_id)
        .subquery()
    )
    rows = db.exec(
        select(Execution).join(
            newest,
            (Execution.workflow_id == newest.c.workflow_id) & (Execution.created_at == newest.c.at),
        )
    ).all()
    return {row.workflow_id: row for row in rows}


def _published_at(db: Session, version_ids: list[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    wanted = [v for v in version_ids if v is not None]
    if not wanted:
        return {}
    rows = db.exec(
        select(WorkflowVersion.id, WorkflowVersion.created_at).where(
            col(WorkflowVersion.id).in_(wanted)
        )
    ).all()
    return dict(rows)
