"""Fixtures for webhooks in and out: a served ingress, webhook workflows, real workers."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest

from support.asgi_server import serving
from support.engine import action, doc, make_tenant, publish
from support.workers import running_worker


def register_webhook_connector() -> None:
    """Until the entry point is installed, register ``connectors.webhook`` directly."""
    from connectors.webhook import connector
    from marketplace import registry

    registry.connectors()[connector.key] = connector


@pytest.fixture
def tenant(db: str, redis: str) -> uuid.UUID:
    return make_tenant()


@pytest.fixture
def hooks_url(db: str, redis: str) -> Iterator[str]:
    """The ``/hooks`` Starlette app served by uvicorn on 127.0.0.1."""
    from flowyard.api.hooks_routes import hooks_app

    with serving(hooks_app()) as base:
        yield base


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[dramatiq.Worker]:
    from flowyard.webhooks import actors  # noqa: F401  (declares the delivery actor)

    register_webhook_connector()
    with running_worker() as running:
        yield running


def webhook_workflow(
    tenant_id: uuid.UUID,
    name: str = "Order hook",
    *,
    steps: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
) -> Any:
    """Publish a webhook-triggered workflow and return (workflow, endpoint)."""
    from flowyard.db import tenant_session
    from flowyard.webhooks import endpoints

    register_webhook_connector()
    steps = steps or [
        action("keep", "core.set_fields", {"fields": {"got": {"var": "trigger.body"}}})
    ]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(steps)]
    document = doc(name, steps, edges, trigger={"kind": "webhook", "settings": settings or {}})
    workflow = publish(tenant_id, document)
    with tenant_session(tenant_id) as db:
        endpoint = endpoints.endpoint_for(db, workflow)
    return workflow, endpoint


def set_verification(tenant_id: uuid.UUID, endpoint: Any, scheme: str, secret: str | None) -> Any:
    from flowyard.db import tenant_session
    from flowyard.webhooks import endpoints
    from flowyard.webhooks.models import InboundEndpoint

    with tenant_session(tenant_id) as db:
        row = db.get(InboundEndpoint, endpoint.id)
        return endpoints.set_verification(db, row, scheme, secret)
