"""Publishing a webhook-triggered workflow gives it its address straight away."""

from __future__ import annotations

from sqlmodel import select

from flowyard.db import tenant_session
from flowyard.webhooks.models import InboundEndpoint
from support.engine import action, doc, make_tenant, publish


def test_publish_creates_the_inbound_endpoint(db: str) -> None:
    tenant = make_tenant()
    workflow = publish(tenant, doc(
        "Orders in", [action("note", "core.log_note", {"message": "got one"})], [],
        trigger={"kind": "webhook", "settings": {}},
    ))  # fmt: skip
    with tenant_session(tenant) as session:
        endpoints = session.exec(
            select(InboundEndpoint).where(InboundEndpoint.workflow_id == workflow.id)
        ).all()
    assert len(endpoints) == 1
    assert len(endpoints[0].token) >= 32
