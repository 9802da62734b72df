"""Asana actions: a project from a template (an async job), tasks created and completed.

Asana has no Idempotency-Key. Tasks carry the step's idempotency key in Asana's app-owned
``external.gid`` field, and "create task" first looks it up (``/tasks/external:<gid>``), so a
retried step returns the task the first attempt made.
"""

from __future__ import annotations

import time
from typing import Any

from connectors.asana.client import call
from connectors.asana.models import (
    CompleteTaskInputs,
    CreateProjectFromTemplateInputs,
    CreateProjectFromTemplateOutputs,
    CreateTaskInputs,
    Task,
)
from marketplace.sdk import Action, ActionContext, InvalidInputError, NotFoundError

TASK_FIELDS = "name,completed,completed_at,due_on,permalink_url,projects,external"
JOB_POLLS = (0.0, 0.2, 0.5, 1.0, 2.0)  # seconds before each look at the job


def _task(raw: dict[str, Any]) -> Task:
    return Task(
        gid=raw["gid"],
        name=raw.get("name", ""),
        completed=bool(raw.get("completed")),
        completed_at=raw.get("completed_at"),
        due_on=raw.get("due_on"),
        permalink_url=raw.get("permalink_url"),
        project_gids=[p["gid"] for p in raw.get("projects") or []],
    )


def external_gid(ctx: ActionContext) -> str:
    return f"flowyard:{ctx.idempotency_key}"


def create_project_from_template(
    ctx: ActionContext, inputs: CreateProjectFromTemplateInputs
) -> CreateProjectFromTemplateOutputs:
    data: dict[str, Any] = {
        "name": inputs.name,
        "public": inputs.public,
        "requested_dates": [
            {"gid": d.gid, "value": d.value.isoformat()} for d in inputs.requested_dates
        ],
    }
    if inputs.team_gid:
        data["team"] = inputs.team_gid
    path = f"/project_templates/{inputs.template_gid}/instantiateProject"
    job = call(ctx, "POST", path, data=data)
    for pause in JOB_POLLS:
        if job.get("status") in ("succeeded", "failed"):
            break
        time.sleep(pause)
        job = call(ctx, "GET", f"/jobs/{job['gid']}")
    if job.get("status") == "failed":
        raise InvalidInputError("Asana could not create the project from that template.")
    project = job.get("new_project") or {}
    return CreateProjectFromTemplateOutputs(
        job_gid=job["gid"],
        status=job.get("status", "in_progress"),
        project_gid=project.get("gid"),
        project_name=project.get("name"),
    )


def create_task(ctx: ActionContext, inputs: CreateTaskInputs) -> Task:
    if not (inputs.project_gid or inputs.workspace_gid):
        raise InvalidInputError("Create task needs a project or a workspace.")
    params = {"opt_fields": TASK_FIELDS}
    try:
        return _task(call(ctx, "GET", f"/tasks/external:{external_gid(ctx)}", params=params))
    except NotFoundError:
        pass
    data: dict[str, Any] = {"name": inputs.name, "external": {"gid": external_gid(ctx)}}
    if inputs.project_gid:
        data["projects"] = [inputs.project_gid]
    if inputs.workspace_gid:
        data["workspace"] = inputs.workspace_gid
    optional = {
        "notes": inputs.notes,
        "due_on": inputs.due_on.isoformat() if inputs.due_on else None,
        "assignee": inputs.assignee,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return _task(call(ctx, "POST", "/tasks", data=data, params=params))


def complete_task(ctx: ActionContext, inputs: CompleteTaskInputs) -> Task:
    path = f"/tasks/{inputs.task_gid}"
    return _task(
        call(ctx, "PUT", path, data={"completed": True}, params={"opt_fields": TASK_FIELDS})
    )


ACTIONS = (
    Action("create_project_from_template", "Create project from template",
           "Start a project from one of the workspace's project templates.",
           CreateProjectFromTemplateInputs, create_project_from_template,
           CreateProjectFromTemplateOutputs),
    Action("create_task", "Create task", "Add a task to a project (or a workspace).",
           CreateTaskInputs, create_task, Task),
    Action("complete_task", "Complete task", "Mark a task as done.",
           CompleteTaskInputs, complete_task, Task),
)  # fmt: skip
