"""Xero sandbox webhooks: Intent to Receive, signed deliveries our verifier accepts, tampering."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.xero import connector as xero_connector
from connectors.xero.sandbox import XeroSandbox
from connectors.xero.triggers import event_id
from flowyard.webhooks import verify

SCOPES = ("accounting.contacts", "accounting.transactions")


@pytest.fixture
def xero(clock: ManualClock, make_ctx) -> Iterator[tuple[XeroSandbox, object]]:
    sandbox = XeroSandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=SCOPES)["access_token"]
    with SandboxServer(sandbox.app) as server:
        ctx = make_ctx(
            sandbox.connector(server.url).base_url,
            token,
            credentials={"xero_tenant_id": sandbox.default_org.tenant_id},
        )
        yield sandbox, ctx


def test_triggers_are_declared_with_the_xero_scheme() -> None:
    keys = {t.key: t for t in xero_connector.triggers}
    assert set(keys) == {"invoice_event", "contact_event"}
    assert all(t.scheme == "xero" for t in keys.values())
    assert "INVOICE.UPDATE" in keys["invoice_event"].event_types


def test_intent_to_receive_passes_only_for_a_verifying_receiver(xero, receiver) -> None:
    sandbox, _ctx = xero
    hooks, url = receiver
    sandbox.set_delivery_url(url)
    assert sandbox.intent_to_receive() is False  # receiver answers 200 to everything
    hooks.verify_with("xero", sandbox.webhook_key)
    assert sandbox.intent_to_receive() is True
    assert sandbox.webhook_status == "OK"
    good, bad = hooks.received[-2:]
    assert (good.status, bad.status) == (200, 401)
    assert json.loads(good.body)["events"] == []
    assert event_id(json.loads(good.body), good.headers) is None


def test_events_flow_only_after_intent_to_receive(xero, receiver) -> None:
    sandbox, ctx = xero
    hooks, url = receiver
    hooks.verify_with("xero", sandbox.webhook_key)
    sandbox.set_delivery_url(url)
    xero_connector.action("create_contact").execute(ctx, {"name": "Acme"})
    assert sandbox.deliver_events() == []  # not validated yet: Xero holds them
    assert sandbox.intent_to_receive()
    (delivery,) = sandbox.deliver_events()
    assert delivery.status == 200
    payload = json.loads(delivery.body)
    (event,) = payload["events"]
    assert (event["eventCategory"], event["eventType"]) == ("CONTACT", "CREATE")
    assert event["tenantId"] == sandbox.default_org.tenant_id


def test_invoice_events_verify_and_tampering_fails(xero, receiver) -> None:
    sandbox, ctx = xero
    hooks, url = receiver
    hooks.verify_with("xero", sandbox.webhook_key)
    sandbox.set_delivery_url(url)
    assert sandbox.intent_to_receive()
    contact = xero_connector.action("create_contact").execute(ctx, {"name": "Acme"})
    ctx.idempotency_key = "invoice"
    invoice = xero_connector.action("create_invoice").execute(
        ctx,
        {
            "contact_id": contact["contact_id"],
            "line_items": [{"description": "A", "unit_amount": 5}],
        },
    )
    ctx.idempotency_key = "pay"
    xero_connector.action("mark_invoice_paid").execute(
        ctx, {"invoice_id": invoice["invoice_id"], "account_code": "090"}
    )
    (delivery,) = sandbox.deliver_events()
    kinds = [(e["eventCategory"], e["eventType"]) for e in json.loads(delivery.body)["events"]]
    assert kinds == [("CONTACT", "CREATE"), ("INVOICE", "CREATE"), ("INVOICE", "UPDATE")]
    received = hooks.received[-1]
    assert received.status == 200
    assert verify("xero", sandbox.webhook_key, received.headers, received.body)
    tampered = received.body.replace(b'"CREATE"', b'"DELETE"', 1)
    assert not verify("xero", sandbox.webhook_key, received.headers, tampered)
    assert not verify("xero", "another-app-key", received.headers, received.body)


def test_event_id_is_stable_across_redelivery_entropy(xero, receiver) -> None:
    sandbox, ctx = xero
    hooks, url = receiver
    hooks.verify_with("xero", sandbox.webhook_key)
    sandbox.set_delivery_url(url)
    assert sandbox.intent_to_receive()
    xero_connector.action("create_contact").execute(ctx, {"name": "Acme"})
    (delivery,) = sandbox.deliver_events()
    payload = json.loads(delivery.body)
    redelivered = {**payload, "entropy": "SOMETHINGELSEENTIRELY"}
    first = event_id(payload, {})
    assert first and first == event_id(redelivered, {})
    changed = {**payload, "events": [{**payload["events"][0], "eventType": "UPDATE"}]}
    assert event_id(changed, {}) != first
