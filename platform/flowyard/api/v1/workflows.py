"""``/tenants/{tenant_id}/workflows``: list, get, create, update and publish workflows."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from flowyard.api.v1 import errors
from flowyard.api.v1.registry import router
from flowyard.api.v1.router import Call
from flowyard.api.v1.schemas import Page, VersionOut, WorkflowIn, WorkflowOut, WorkflowPatch
from flowyard.api.v1.scope import one, tenant_db
from flowyard.engine import versions
from flowyard.engine.models import Workflow
from tenants.validation import InvalidInput

BASE = "/tenants/{tenant_id}/workflows"


def _out(w: Workflow) -> WorkflowOut:
    return WorkflowOut.model_validate(w, from_attributes=True)


@router.add("GET", BASE, action="workflow.view", summary="List workflows", query=Page,
            response=WorkflowOut, many=True, tag="Workflows")  # fmt: skip
def list_workflows(call: Call) -> list[WorkflowOut]:
    with tenant_db(call) as (db, _tenant):
        rows = db.exec(
            select(Workflow).order_by(col(Workflow.created_at).desc(), col(Workflow.id))
            .offset(call.query.offset).limit(call.query.limit)
        ).all()  # fmt: skip
        return [_out(w) for w in rows]


@router.add("GET", BASE + "/{workflow_id}", action="workflow.view", summary="Get a workflow",
            response=WorkflowOut, tag="Workflows")  # fmt: skip
def get_workflow(call: Call) -> WorkflowOut:
    with tenant_db(call) as (db, _tenant):
        return _out(one(db, Workflow, call.id("workflow_id"), "That workflow"))


@router.add("POST", BASE, action="workflow.edit", summary="Create a workflow (as a draft)",
            body=WorkflowIn, response=WorkflowOut, status=201, tag="Workflows")  # fmt: skip
def create_workflow(call: Call) -> WorkflowOut:
    body: WorkflowIn = call.body
    with tenant_db(call) as (db, tenant):
        try:
            workflow = versions.create_workflow(db, tenant.id, body.name, body.document)
        except InvalidInput as bad:
            raise errors.invalid(bad.field, bad.message) from None
        except IntegrityError:
            raise errors.invalid("name", "There is already a workflow with that name.") from None
        if body.description:
            workflow.description = body.description
            db.add(workflow)
            db.commit()
        return _out(workflow)


@router.add("PATCH", BASE + "/{workflow_id}", action="workflow.edit", summary="Change a "
            "workflow's name, description, on/off or draft", body=WorkflowPatch,
            response=WorkflowOut, tag="Workflows")  # fmt: skip
def update_workflow(call: Call) -> WorkflowOut:
    body: WorkflowPatch = call.body
    with tenant_db(call) as (db, _tenant):
        workflow = one(db, Workflow, call.id("workflow_id"), "That workflow")
        if body.name is not None:
            clean = " ".join(body.name.split())
            if not clean:
                raise errors.invalid("name", "Give the workflow a name.")
            workflow.name = clean
        if body.description is not None:
            workflow.description = body.description
        if body.enabled is not None:
            workflow.enabled = body.enabled
        try:
            if body.document is not None:
                versions.save_draft(db, workflow, body.document)
            else:
                db.add(workflow)
                db.commit()
        except IntegrityError:
            raise errors.invalid("name", "There is already a workflow with that name.") from None
        return _out(workflow)


@router.add("POST", BASE + "/{workflow_id}/publish", action="workflow.publish",
            summary="Publish the draft as the next version", response=VersionOut,
            status=201, tag="Workflows")  # fmt: skip
def publish_workflow(call: Call) -> VersionOut:
    with tenant_db(call) as (db, _tenant):
        workflow = one(db, Workflow, call.id("workflow_id"), "That workflow")
        try:
            version = versions.publish(db, workflow)
        except versions.PublishRefused as refused:
            fields = [
                errors.FieldError(field=f"draft.{getattr(p, 'step_id', '') or 'workflow'}",
                                  message=p.message)
                for p in refused.problems
            ]  # fmt: skip
            raise errors.ApiError(422, "invalid", "The draft cannot be published yet.",
                                  fields) from None  # fmt: skip
        return VersionOut.model_validate(version, from_attributes=True)
