"""Typed inputs and outputs of the Asana actions."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RequestedDate(BaseModel):
    gid: str = Field(description="Date variable gid from the template's requested_dates.")
    value: dt.date


class CreateProjectFromTemplateInputs(BaseModel):
    template_gid: str
    name: str = Field(min_length=1)
    team_gid: str | None = None
    public: bool = False
    requested_dates: list[RequestedDate] = Field(default_factory=list)


class CreateProjectFromTemplateOutputs(BaseModel):
    job_gid: str
    status: str = Field(description="succeeded, or in_progress if Asana is still copying.")
    project_gid: str | None = None
    project_name: str | None = None


class CreateTaskInputs(BaseModel):
    name: str = Field(min_length=1)
    project_gid: str | None = None
    workspace_gid: str | None = Field(None, description="Needed when no project is given.")
    notes: str | None = None
    due_on: dt.date | None = None
    assignee: str | None = Field(None, description='User gid, email or "me".')


class Task(BaseModel):
    gid: str
    name: str
    completed: bool
    completed_at: str | None = None
    due_on: str | None = None
    permalink_url: str | None = None
    project_gids: list[str] = Field(default_factory=list)


class CompleteTaskInputs(BaseModel):
    task_gid: str
