"""Flagship flows that start from a provider's signed webhook through the real ``/hooks`` ingress.

The provider simulators sign and POST their webhooks to the endpoint a published workflow got;
the ingress verifies, dedupes and starts the run; a real worker runs the steps against the
Xero / HubSpot / Asana simulators.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from integration_people import connect_app
from sqlmodel import col, select
from webhooks_io.conftest import register_webhook_connector, set_verification

from flowyard.db import tenant_session
from flowyard.engine.models import Execution
from support.asgi_server import serving
from support.engine import action, doc, publish, step_runs, wait_finished
from support.workers import running_worker

pytestmark = pytest.mark.usefixtures("sandboxes")


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[object]:
    # The provider and both sets of actors must be declared before the worker starts.
    import flowyard.integrations.actors
    import flowyard.webhooks.actors  # noqa: F401

    register_webhook_connector()
    with running_worker(threads=4) as running:
        yield running


@pytest.fixture
def hooks_url(db: str, redis: str) -> Iterator[str]:
    from flowyard.api.hooks_routes import hooks_app

    with serving(hooks_app()) as base:
        yield base


def _publish_hooked(tenant_id: uuid.UUID, document: dict[str, Any]) -> tuple[Any, Any]:
    from flowyard.webhooks import endpoints

    register_webhook_connector()
    workflow = publish(tenant_id, document)
    with tenant_session(tenant_id) as db:
        return workflow, endpoints.endpoint_for(db, workflow)


def _executions(tenant_id: uuid.UUID) -> list[Execution]:
    with tenant_session(tenant_id) as db:
        return list(db.exec(select(Execution).order_by(col(Execution.created_at))).all())


def _wait_runs(tenant_id: uuid.UUID, count: int, timeout: float = 30) -> list[Any]:
    """Wait until ``count`` runs exist and all finished; each as (execution, outputs)."""
    deadline = time.monotonic() + timeout
    while len(_executions(tenant_id)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    finished = []
    for execution in _executions(tenant_id):
        done = wait_finished(tenant_id, execution.id, timeout=timeout)
        runs = step_runs(tenant_id, execution.id)
        assert done.status == "succeeded", {k: (r.status, r.error) for k, r in runs.items()}
        finished.append((done, {step: r.output for (step, _path), r in runs.items()}))
    assert len(finished) == count
    return finished


def _line(n: int) -> dict[str, Any]:
    base = f"trigger.body.line_items.{n}"
    return {
        "description": {"var": f"{base}.title"},
        "quantity": {"var": f"{base}.quantity"},
        "unit_amount": {"var": f"{base}.price"},
    }


def _order_to_invoice_doc(xero_id: str) -> dict[str, Any]:
    """Find the Xero contact by the order's email (create it if missing), then invoice it.

    The engine has no per-item object template, so lines are mapped by position (two here).
    """
    lines = [_line(0), _line(1)]
    reference = {"var": "trigger.body.name"}

    def invoice(step: str, contact: str) -> dict[str, Any]:
        return action(step, "xero.create_invoice",
                      {"contact_id": {"var": contact}, "line_items": lines,
                       "reference": reference}, connection_id=xero_id)  # fmt: skip

    return doc("Shopify orders become Xero invoices", [
        action("find", "xero.find_contact", {"email": {"var": "trigger.body.email"}},
               connection_id=xero_id),
        {"kind": "condition", "id": "known", "name": "Known customer?",
         "rule": {"var": "steps.find.output.found"}},
        invoice("invoice_known", "steps.find.output.contact.contact_id"),
        action("add", "xero.create_contact",
               {"name": {"var": "trigger.body.email"}, "email": {"var": "trigger.body.email"}},
               connection_id=xero_id),
        invoice("invoice_new", "steps.add.output.contact_id"),
    ], [("find", "known"), ("known", "invoice_known", "true"), ("known", "add", "false"),
        ("add", "invoice_new")], trigger={"kind": "webhook", "settings": {}})  # fmt: skip


def test_flagship_shopify_order_webhook_creates_one_xero_invoice(
    person, sandboxes, worker, hooks_url
):
    from connectors.shopify.sandbox import ShopifySandbox

    xero = connect_app(person, "xero")
    _workflow, endpoint = _publish_hooked(person.tenant_id, _order_to_invoice_doc(str(xero.id)))
    secret = "shpss_" + uuid.uuid4().hex
    set_verification(person.tenant_id, endpoint, "shopify", secret)
    shopify = ShopifySandbox()
    target = f"{hooks_url}/hooks/{endpoint.token}"
    shopify.webhooks.create({"webhook": {"topic": "orders/create", "address": target}},
                            "flowyard-app", secret)  # fmt: skip
    cake = shopify.shop.add_product("Birthday cake", [("Large", "25.00", 10)])["variants"][0]
    buns = shopify.shop.add_product("Iced buns", [("Box of 6", "4.50", 50)])["variants"][0]

    order = shopify.shop.create_order("rosa@example.test", [(cake, 2), (buns, 3)])
    (delivery,) = shopify.deliver_events()
    assert delivery.status == 202, delivery.response_body
    ((_run, outputs),) = _wait_runs(person.tenant_id, 1)
    assert outputs["invoice_known"] is None and outputs["add"]["email"] == "rosa@example.test"

    org = sandboxes.simulators["xero"].default_org
    (invoice,) = org.invoices.values()
    assert invoice["InvoiceID"] == outputs["invoice_new"]["invoice_id"]
    assert invoice["Reference"] == order["name"]
    assert org.contacts[invoice["Contact"]["ContactID"]]["EmailAddress"] == "rosa@example.test"
    lines = [(li["Description"], Decimal(str(li["Quantity"])), Decimal(str(li["UnitAmount"])))
             for li in invoice["LineItems"]]  # fmt: skip
    assert lines == [("Large", 2, Decimal("25.00")), ("Box of 6", 3, Decimal("4.50"))]
    assert Decimal(str(invoice["Total"])) >= Decimal("63.50")  # 63.50 + any tax the org adds

    # Shopify retries the same delivery (same X-Shopify-Webhook-Id): no second run or invoice.
    again = shopify.webhooks.redeliver(delivery)
    assert (
        again.status == 202 and httpx.Response(200, content=again.response_body).json()["duplicate"]
    )
    time.sleep(0.5)
    assert len(_executions(person.tenant_id)) == 1 and len(org.invoices) == 1

    # A second order from the same customer takes the "known customer" branch.
    shopify.shop.create_order("rosa@example.test", [(buns, 1), (cake, 1)])
    (second,) = shopify.deliver_events()
    assert second.status == 202
    runs = _wait_runs(person.tenant_id, 2)
    latest = runs[-1][1]
    assert latest["add"] is None  # skipped branch
    assert latest["invoice_known"]["contact_id"] == invoice["Contact"]["ContactID"]
    assert len(org.invoices) == 2 and len(org.contacts) == 1


def _task_done_doc(asana_id: str, hubspot_id: str) -> dict[str, Any]:
    """A completed Asana task makes the HubSpot contact whose email its name mentions a customer.

    The Asana connector has no "get task" action; completing an already-completed task is a
    no-op on Asana that returns the task, so it serves as the read. The HubSpot connector has no
    notes API, so the "note" is the contact's lifecycle stage.
    """
    event = "trigger.body.events.0"
    return doc("Finished onboarding makes a customer", [
        {"kind": "condition", "id": "completed", "name": "Task completed?",
         "rule": {"==": [{"var": f"{event}.change.field"}, "completed"]}},
        action("task", "asana.complete_task", {"task_gid": {"var": f"{event}.resource.gid"}},
               connection_id=asana_id),
        action("contacts", "hubspot.list_contacts", {"limit": 100}, connection_id=hubspot_id),
        {"kind": "for_each", "id": "each", "name": "Each contact",
         "items": {"var": "steps.contacts.output.contacts"}},
        {"kind": "condition", "id": "mentioned", "name": "Named in the task?",
         "rule": {"in": [{"var": "item.properties.email"}, {"var": "steps.task.output.name"}]}},
        action("update", "hubspot.update_contact",
               {"contact_id": {"var": "item.id"}, "properties": {"lifecyclestage": "customer"}},
               connection_id=hubspot_id),
    ], [("completed", "task", "true"), ("task", "contacts"), ("contacts", "each"),
        ("each", "mentioned", "body"), ("mentioned", "update", "true")],
        trigger={"kind": "webhook", "settings": {}})  # fmt: skip


def test_flagship_asana_task_completed_webhook_updates_hubspot(
    person, sandboxes, worker, hooks_url
):
    asana, hubspot = connect_app(person, "asana"), connect_app(person, "hubspot")
    workflow_doc = _task_done_doc(str(asana.id), str(hubspot.id))
    _workflow, endpoint = _publish_hooked(person.tenant_id, workflow_doc)
    set_verification(person.tenant_id, endpoint, "asana", None)
    sim = sandboxes.simulators["asana"]
    workspace = sim.workspace
    task = workspace.create_task(
        {"name": "Kick-off call with grace@example.test", "workspace": workspace.workspace["gid"]}
    )
    portal = sandboxes.simulators["hubspot"].portal
    portal.create_contact({"email": "someone@example.test", "lifecyclestage": "lead"})
    grace = portal.create_contact({"email": "grace@example.test", "lifecyclestage": "lead"})

    # Subscribe through Asana's API with the tenant's connection: Asana handshakes with our
    # endpoint (X-Hook-Secret echoed and kept as the signing key) before it answers.
    from flowyard.integrations.provider import client_for_connection
    from marketplace import registry

    client, _ = client_for_connection(
        person.tenant_id, str(asana.id), registry.connectors()["asana"], 10
    )
    with client:
        answer = client.post("webhooks", json={"data": {
            "resource": task["gid"], "target": f"{hooks_url}/hooks/{endpoint.token}",
            "filters": [{"resource_type": "task", "action": "changed", "fields": ["completed"]}],
        }})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert _executions(person.tenant_id) == []  # the handshake starts no run

    workspace.update_task(task["gid"], {"notes": "agenda sent"})  # filtered out by Asana
    workspace.update_task(task["gid"], {"completed": True})
    (delivery,) = sim.deliver_events()
    assert delivery.status == 202, delivery.response_body
    assert "X-Hook-Signature" in delivery.headers
    ((_run, outputs),) = _wait_runs(person.tenant_id, 1)
    assert outputs["task"]["completed"] is True
    assert portal.contacts[grace["id"]]["properties"]["lifecyclestage"] == "customer"
    others = [c for c in portal.contacts.values() if c["id"] != grace["id"]]
    assert [c["properties"]["lifecyclestage"] for c in others] == ["lead"]

    # A tampered delivery is refused and starts nothing.
    forged = sim.sender.post(delivery.url, delivery.body.replace(b"changed", b"removed"),
                             delivery.headers)  # fmt: skip
    assert forged.status == 401
    assert len(_executions(person.tenant_id)) == 1


def test_flagship_xero_invoice_paid_webhook_updates_the_hubspot_contact(
    person, sandboxes, worker, hooks_url
):
    xero, hubspot = connect_app(person, "xero"), connect_app(person, "hubspot")
    event = "trigger.body.events.0"
    document = doc("Paid invoices make customers", [
        action("get", "xero.get_invoice", {"invoice_id": {"var": f"{event}.resourceId"}},
               connection_id=str(xero.id)),
        {"kind": "condition", "id": "paid", "name": "Paid?",
         "rule": {"==": [{"var": "steps.get.output.status"}, "PAID"]}},
        action("find", "hubspot.find_contact", {"email": {"var": "steps.get.output.contact_email"}},
               connection_id=str(hubspot.id)),
        action("update", "hubspot.update_contact",
               {"contact_id": {"var": "steps.find.output.contact.id"},
                "properties": {"lifecyclestage": "customer"}}, connection_id=str(hubspot.id)),
    ], [("get", "paid"), ("paid", "find", "true"), ("find", "update")],
        trigger={"kind": "webhook", "settings": {}})  # fmt: skip
    _workflow, endpoint = _publish_hooked(person.tenant_id, document)
    sim = sandboxes.simulators["xero"]
    set_verification(person.tenant_id, endpoint, "xero", sim.webhook_key)
    # Saving the delivery URL in Xero's portal: Xero's "intent to receive" check must pass
    # (a correctly signed empty batch gets 200, a mis-signed one 401) and starts no run.
    sim.set_delivery_url(f"{hooks_url}/hooks/{endpoint.token}")
    assert sim.intent_to_receive() is True
    assert _executions(person.tenant_id) == []

    org = sim.default_org
    contact = org.save_contact({"Name": "Grace Hopper Ltd", "EmailAddress": "grace@example.test"})
    invoice = org.create_invoice({
        "Type": "ACCREC", "Status": "AUTHORISED", "Contact": {"ContactID": contact["ContactID"]},
        "LineItems": [{"Description": "Cakes", "Quantity": 2, "UnitAmount": 50,
                       "AccountCode": "200"}],
    })  # fmt: skip
    portal = sandboxes.simulators["hubspot"].portal
    lead = portal.create_contact({"email": "grace@example.test", "lifecyclestage": "lead"})
    sim.pending_events[:] = [e for e in sim.pending_events if e["eventCategory"] == "INVOICE"]

    (created,) = sim.deliver_events()  # INVOICE CREATE: not paid yet, nothing changes
    assert created.status == 202, created.response_body
    ((_run, first),) = _wait_runs(person.tenant_id, 1)
    assert first["get"]["contact_email"] == "grace@example.test"
    assert first["get"]["contact_name"] == "Grace Hopper Ltd"
    assert first["find"] is None
    assert portal.contacts[lead["id"]]["properties"]["lifecyclestage"] == "lead"

    org.create_payment({"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                        "Account": {"Code": "090"}, "Amount": 100})  # fmt: skip
    (paid,) = sim.deliver_events()  # INVOICE UPDATE
    assert paid.status == 202, paid.response_body
    second = _wait_runs(person.tenant_id, 2)[-1][1]
    assert second["get"]["status"] == "PAID"
    assert portal.contacts[lead["id"]]["properties"]["lifecyclestage"] == "customer"
    again = sim.sender.post(paid.url, paid.body, paid.headers)  # Xero's retry: same body
    assert again.status == 202 and b'"duplicate":true' in again.response_body.replace(b" ", b"")
    assert len(_executions(person.tenant_id)) == 2
