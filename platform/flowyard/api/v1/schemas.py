"""Request and response models of ``/api/v1`` (the OpenAPI document is generated from them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# No control characters: PostgreSQL cannot store NUL, and nobody means to send them.
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PLAIN)]
ShortText = Annotated[str, StringConstraints(max_length=2000, pattern=_PLAIN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Strict):
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=100_000)


class TenantOut(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    plan: str
    locale: str
    currency: str
    timezone: str
    created_at: datetime


class TenantIn(Strict):
    name: Name
    locale: Annotated[str, StringConstraints(max_length=16, pattern=_PLAIN)] = "en-GB"
    currency: Annotated[str, StringConstraints(max_length=3, pattern=_PLAIN)] = "GBP"
    timezone: Annotated[str, StringConstraints(max_length=64, pattern=_PLAIN)] = "Europe/London"


class WorkflowOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str
    enabled: bool
    trigger_kind: str
    published_version_id: uuid.UUID | None
    draft: dict[str, Any]
    created_at: datetime
    draft_updated_at: datetime


class WorkflowIn(Strict):
    name: Name
    description: ShortText = ""
    document: dict[str, Any] | None = Field(
        default=None, description="The workflow document (as the builder saves it)."
    )


class WorkflowPatch(Strict):
    name: Name | None = None
    description: ShortText | None = None
    enabled: bool | None = None
    document: dict[str, Any] | None = None


class Problem(BaseModel):
    step_id: str | None = None
    field: str | None = None
    message: str


class VersionOut(BaseModel):
    id: uuid.UUID
    workflow_id: uuid.UUID
    number: int
    created_at: datetime


class ExecutionOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID
    version_id: uuid.UUID
    status: str
    trigger_kind: str
    summary: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rerun_of_id: uuid.UUID | None


class ExecutionQuery(Page):
    status: Literal["queued", "running", "waiting", "succeeded", "failed", "cancelled"] | None = (
        None
    )
    workflow_id: uuid.UUID | None = None


class RunIn(Strict):
    payload: dict[str, Any] = Field(default_factory=dict, description="Trigger data.")
    idempotency_key: Annotated[str, StringConstraints(max_length=190, pattern=_PLAIN)] | None = None


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="The signing secret; shown only in this response.")


class SubscriptionIn(Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=_PLAIN)]
    event_types: list[Annotated[str, StringConstraints(min_length=1, max_length=200,
                                                       pattern=_PLAIN)]] = Field(
        min_length=1, max_length=50
    )  # fmt: skip
    description: Annotated[str, StringConstraints(max_length=500, pattern=_PLAIN)] = ""


class SubscriptionPatch(Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=_PLAIN)] | None = (
        None
    )
    event_types: (
        list[Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PLAIN)]] | None
    ) = Field(default=None, min_length=1, max_length=50)
    description: Annotated[str, StringConstraints(max_length=500, pattern=_PLAIN)] | None = None
    enabled: bool | None = None


class ConnectionOut(BaseModel):
    """Status only: never tokens or secrets."""

    id: uuid.UUID
    connector_key: str
    display_name: str
    status: str
    needs_reconnect_since: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    created_at: datetime
