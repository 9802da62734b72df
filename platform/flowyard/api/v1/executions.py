"""Runs: list, get, trigger, cancel and rerun from the failed step."""

from __future__ import annotations

from sqlmodel import col, select

from flowyard.api.v1 import errors
from flowyard.api.v1.registry import router
from flowyard.api.v1.router import Call
from flowyard.api.v1.schemas import ExecutionOut, ExecutionQuery, RunIn
from flowyard.api.v1.scope import one, tenant_db
from flowyard.engine import executions
from flowyard.engine.models import Execution, Workflow

BASE = "/tenants/{tenant_id}/executions"


def _out(e: Execution) -> ExecutionOut:
    return ExecutionOut.model_validate(e, from_attributes=True)


@router.add("GET", BASE, action="execution.view", summary="List runs, newest first",
            query=ExecutionQuery, response=ExecutionOut, many=True, tag="Runs")  # fmt: skip
def list_executions(call: Call) -> list[ExecutionOut]:
    q: ExecutionQuery = call.query
    with tenant_db(call) as (db, _tenant):
        query = select(Execution)
        if q.status:
            query = query.where(Execution.status == q.status)
        if q.workflow_id:
            query = query.where(Execution.workflow_id == q.workflow_id)
        rows = db.exec(
            query.order_by(col(Execution.created_at).desc(), col(Execution.id))
            .offset(q.offset).limit(q.limit)
        ).all()  # fmt: skip
        return [_out(e) for e in rows]


@router.add("GET", BASE + "/{execution_id}", action="execution.view", summary="Get a run",
            response=ExecutionOut, tag="Runs")  # fmt: skip
def get_execution(call: Call) -> ExecutionOut:
    with tenant_db(call) as (db, _tenant):
        return _out(one(db, Execution, call.id("execution_id"), "That run"))


@router.add("POST", "/tenants/{tenant_id}/workflows/{workflow_id}/runs", action="execution.run",
            summary="Start a run of the published version", body=RunIn, response=ExecutionOut,
            status=202, tag="Runs", conflict=True)  # fmt: skip
def trigger_workflow(call: Call) -> ExecutionOut:
    body: RunIn = call.body
    with tenant_db(call) as (db, _tenant):
        workflow = one(db, Workflow, call.id("workflow_id"), "That workflow")
        try:
            execution = executions.start_execution(
                db, workflow, body.payload, trigger_kind="api",
                trigger_key=f"api:{body.idempotency_key}" if body.idempotency_key else None,
            )  # fmt: skip
        except executions.CannotStart as refused:
            raise errors.ApiError(409, "conflict", str(refused)) from None
        return _out(execution)


@router.add("POST", BASE + "/{execution_id}/cancel", action="execution.cancel",
            summary="Cancel a run", response=ExecutionOut, tag="Runs")  # fmt: skip
def cancel_execution(call: Call) -> ExecutionOut:
    with tenant_db(call) as (db, _tenant):
        one(db, Execution, call.id("execution_id"), "That run")
        execution = executions.cancel(db, call.id("execution_id"))
        assert execution is not None
        return _out(execution)


@router.add("POST", BASE + "/{execution_id}/rerun", action="execution.run",
            summary="Rerun a failed run from the step that failed", response=ExecutionOut,
            status=202, tag="Runs", conflict=True)  # fmt: skip
def rerun_execution(call: Call) -> ExecutionOut:
    with tenant_db(call) as (db, _tenant):
        one(db, Execution, call.id("execution_id"), "That run")
        try:
            return _out(executions.rerun_from_failed(db, call.id("execution_id")))
        except executions.CannotStart as refused:
            raise errors.ApiError(409, "conflict", str(refused)) from None
