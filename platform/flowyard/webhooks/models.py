"""Tables for webhooks in (endpoints, received events) and out (subscriptions, deliveries).

Secrets are never stored in clear: ``*_secret`` columns hold vault tokens bound to the row's
owner, so a value copied into another tenant's row does not decrypt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from flowyard.engine.models import jsonb
from tenants.models import timestamp
from tenants.ownership import AgencyOwned, TenantOwned


class InboundEndpoint(TenantOwned, SQLModel, table=True):
    """The ``/hooks/{token}`` address of one webhook-triggered workflow and how it is checked.

    ``scheme`` is a :func:`flowyard.webhooks.verify` scheme string (``""`` = no check);
    ``mode`` is ``"async"`` (answer 202 at once) or ``"sync"`` (wait for the workflow's
    "Respond to webhook" step up to ``sync_timeout_seconds``, then 202).
    """

    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workflow_id: uuid.UUID = Field(
        foreign_key="workflow.id", unique=True, index=True, ondelete="CASCADE"
    )
    token: str = Field(max_length=64, unique=True, index=True)
    scheme: str = Field(default="", max_length=300)
    secret: str | None = Field(default=None, max_length=2000)
    paused: bool = Field(default=False)
    mode: str = Field(default="async", max_length=8)
    sync_timeout_seconds: int = Field(default=10)
    dedupe_window_seconds: int = Field(default=24 * 3600)
    created_at: datetime = timestamp()
    token_rotated_at: datetime | None = timestamp(nullable=True)


class InboundEvent(TenantOwned, SQLModel, table=True):
    """One request received on an endpoint, kept raw so it can be inspected and replayed.

    ``status``: ``started`` (an execution was queued), ``duplicate`` (a retry of an event we
    already have), ``held`` (endpoint paused; release later), ``rejected`` (bad signature;
    body kept truncated), ``handshake`` (provider set-up call answered, nothing started).
    """

    __tablename__ = "webhook_inbound_event"
    __table_args__ = (
        Index("ix_inbound_endpoint_received", "endpoint_id", "received_at"),
        # only events with a sender's id are ever looked up by it (most have none)
        Index(
            "ix_inbound_dedupe",
            "endpoint_id",
            "dedupe_key",
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    workflow_id: uuid.UUID = Field(foreign_key="workflow.id", ondelete="CASCADE")
    received_at: datetime = timestamp()
    method: str = Field(default="POST", max_length=10)
    query: str = Field(default="", max_length=2000)
    headers: dict[str, Any] = jsonb(nullable=False, default={})
    content_type: str = Field(default="", max_length=200)
    body: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    verified: bool | None = None
    dedupe_key: str | None = Field(default=None, max_length=300)
    status: str = Field(default="started", max_length=16)
    duplicate_of: uuid.UUID | None = None
    execution_id: uuid.UUID | None = None
    replays: int = Field(default=0)
    note: str = Field(default="", max_length=500)


class WebhookSubscription(AgencyOwned, SQLModel, table=True):
    """A customer's endpoint that receives platform events, signed per Standard Webhooks.

    ``tenant_id`` None means every client account of the agency. During a secret rotation
    ``previous_secret`` keeps signing until ``previous_secret_expires_at``.
    """

    __tablename__ = "webhook_subscription"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID | None = Field(
        default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE"
    )
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = jsonb(nullable=False, default=[])
    filter: Any = jsonb()
    secret: str = Field(max_length=2000)
    previous_secret: str | None = Field(default=None, max_length=2000)
    previous_secret_expires_at: datetime | None = timestamp(nullable=True)
    enabled: bool = Field(default=True)
    disabled_reason: str = Field(default="", max_length=500)
    failing_since: datetime | None = timestamp(nullable=True)
    rate_per_second: int = Field(default=20)
    max_in_flight: int = Field(default=4)
    created_at: datetime = timestamp()


class WebhookDelivery(TenantOwned, SQLModel, table=True):
    """One message to one subscription; ``id`` is the ``webhook-id`` receivers dedupe on.

    ``status``: ``pending`` (will be tried at ``next_attempt_at``), ``succeeded``, ``failed``
    (retries exhausted or endpoint gone). ``lease_until`` marks an attempt in flight (a
    crashed worker's lease runs out and the delivery is tried again); ``queued_at`` marks a
    queued message so the releaser does not queue it twice.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_delivery_event"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_sub_created", "subscription_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", ondelete="CASCADE")
    event_id: uuid.UUID | None = None
    event_type: str = Field(max_length=200)
    body: str
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = timestamp(nullable=True)
    lease_until: datetime | None = timestamp(nullable=True)
    queued_at: datetime | None = timestamp(nullable=True)
    last_status: int | None = None
    last_error: str = Field(default="", max_length=1000)
    is_test: bool = Field(default=False)
    created_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)


class WebhookAttempt(TenantOwned, SQLModel, table=True):
    """The log line of one delivery attempt: what we sent and what came back."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_attempt_sub_started", "subscription_id", "started_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_id: str = Field(foreign_key="webhook_delivery.id", index=True, ondelete="CASCADE")
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", ondelete="CASCADE")
    number: int
    started_at: datetime = timestamp()
    request_headers: dict[str, Any] = jsonb(nullable=False, default={})
    request_body: str = Field(default="")
    response_status: int | None = None
    response_body: str = Field(default="", max_length=4096)
    latency_ms: int | None = None
    error: str = Field(default="", max_length=1000)
    succeeded: bool = Field(default=False)
