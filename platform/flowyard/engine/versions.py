"""Drafts, publishing and version history of a workflow.

Publishing validates the draft (every problem in plain English), compiles its rules, stores
an immutable version and points the workflow at it; running executions keep the version
they started with. Restoring copies an old version back into the draft.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from flowyard import clock
from flowyard.engine.catalog import RegistryCatalog
from flowyard.engine.document import (
    ActionStep,
    ConnectorTrigger,
    EventTrigger,
    ScheduleTrigger,
    WebhookTrigger,
    WorkflowDocument,
)
from flowyard.engine.models import Workflow, WorkflowVersion
from flowyard.engine.plan import build_plan
from flowyard.engine.validation import Problem, validate_document
from flowyard.security import audit
from flowyard.triggers import polling, schedules
from tenants.models import Tenant
from tenants.validation import InvalidInput


class PublishRefused(ValueError):
    """The draft has problems; ``problems`` lists them for the builder to show on each step."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def create_workflow(
    db: Session, tenant_id: uuid.UUID, name: str, document: dict[str, Any] | None = None
) -> Workflow:
    """A new workflow with a draft (a manual trigger and no steps unless given)."""
    clean = " ".join((name or "").split())
    if not clean:
        raise InvalidInput("name", "Give the workflow a name.")
    if len(clean) > 200:
        raise InvalidInput("name", "Keep the workflow name under 200 characters.")
    clash = db.exec(
        select(Workflow.id).where(
            Workflow.tenant_id == tenant_id, func.lower(Workflow.name) == clean.lower()
        )
    ).first()
    if clash is not None:
        raise InvalidInput("name", f'There is already a workflow called "{clean}".')
    draft = dict(
        document or {"name": clean, "trigger": {"kind": "manual"}, "steps": [], "edges": []}
    )
    draft["name"] = clean
    workflow = Workflow(tenant_id=tenant_id, name=clean, draft=draft)
    db.add(workflow)
    db.commit()
    return workflow


def save_draft(db: Session, workflow: Workflow, document: dict[str, Any]) -> list[Problem]:
    """Store the draft as it is (autosave never refuses); return its current problems."""
    workflow.draft = document
    workflow.draft_updated_at = clock.now()
    db.add(workflow)
    db.commit()
    return validate_document(document, RegistryCatalog())


def publish(
    db: Session, workflow: Workflow, *, user_id: uuid.UUID | None = None
) -> WorkflowVersion:
    """Validate and freeze the draft as the next version; refuse with every problem found."""
    problems = validate_document(workflow.draft, RegistryCatalog())
    if not problems:
        problems = _connection_problems(WorkflowDocument.model_validate(workflow.draft))
    if problems:
        raise PublishRefused(problems)
    document = WorkflowDocument.model_validate(workflow.draft)
    build_plan(document)  # compiles and caches every rule of the version
    latest = db.exec(
        select(func.max(WorkflowVersion.number)).where(WorkflowVersion.workflow_id == workflow.id)
    ).one()
    version = WorkflowVersion(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        number=(latest or 0) + 1,
        document=document.model_dump(mode="json"),
        published_by=user_id,
    )
    db.add(version)
    db.flush()
    workflow.published_version_id = version.id
    workflow.name = document.name
    workflow.trigger_kind = document.trigger.kind
    workflow.event_type = (
        document.trigger.event_type if isinstance(document.trigger, EventTrigger) else None
    )
    db.add(workflow)
    if isinstance(document.trigger, ConnectorTrigger):
        try:
            polling.upsert(db, workflow, document.trigger)
        except polling.UnknownTrigger as error:
            db.rollback()
            raise PublishRefused([Problem(str(error), field="trigger")]) from None
    else:
        polling.remove(db, workflow.id)
    if isinstance(document.trigger, ScheduleTrigger):
        tenant = db.get(Tenant, workflow.tenant_id)
        schedules.upsert(db, workflow, document.trigger, tenant.timezone if tenant else "UTC")
    else:
        schedules.remove(db, workflow.id)
    audit.record_publish(db, workflow, version, user_id)
    db.commit()
    if isinstance(document.trigger, WebhookTrigger):
        from flowyard.webhooks.endpoints import endpoint_for

        endpoint_for(db, workflow)  # the workflow's address exists as soon as it is live
    return version


def _connection_problems(document: WorkflowDocument) -> list[Problem]:
    """Steps of apps that need an account must say which connection they use."""
    from marketplace import registry

    problems = []
    for step in document.steps:
        if not isinstance(step, ActionStep) or step.connection_id:
            continue
        found = registry.find_action(step.action)
        if found and found[0].auth.kind != "none" and found[0].key != "email":
            problems.append(
                Problem(
                    f'Step "{step.name}" needs a {found[0].name} connection. Choose which '
                    "connected account it should use.",
                    step_id=step.id,
                    field="connection_id",
                )
            )
    return problems


def history(db: Session, workflow_id: uuid.UUID) -> list[WorkflowVersion]:
    return list(
        db.exec(
            select(WorkflowVersion)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(WorkflowVersion.number.desc())  # type: ignore[attr-defined]
        ).all()
    )


def restore(db: Session, workflow: Workflow, version_id: uuid.UUID) -> Workflow:
    """Copy an earlier version into the draft (publish it again to make it live)."""
    version = db.get(WorkflowVersion, version_id)
    if version is None or version.workflow_id != workflow.id:
        raise InvalidInput("version", "That version does not belong to this workflow.")
    workflow.draft = dict(version.document)
    workflow.draft_updated_at = clock.now()
    db.add(workflow)
    db.commit()
    return workflow
