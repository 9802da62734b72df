"""Workflows using real connections on a real worker: actions through the engine, the flagship
flows end to end against the simulators, and a sync job with its log."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from integration_people import connect_app
from sqlmodel import select

from flowyard.db import tenant_session
from flowyard.integrations import sync
from flowyard.integrations.models import Connection, SyncRun
from support.engine import action, doc, publish, run, step_runs, wait_finished
from support.workers import running_worker

pytestmark = pytest.mark.usefixtures("sandboxes")


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[object]:
    import flowyard.integrations.actors  # noqa: F401  (provider + actors before the worker)

    with running_worker(threads=4) as running:
        yield running


def _finished_ok(person, workflow, payload=None):  # type: ignore[no-untyped-def]
    execution_id = run(person.tenant_id, workflow, payload or {})
    execution = wait_finished(person.tenant_id, execution_id, timeout=30)
    runs = step_runs(person.tenant_id, execution_id)
    assert execution.status == "succeeded", {k: (r.status, r.error) for k, r in runs.items()}
    return {step: r.output for (step, _path), r in runs.items()}


def test_an_action_runs_through_the_engine_with_a_real_connection(person, sandboxes, worker):
    xero = connect_app(person, "xero")
    workflow = publish(person.tenant_id, doc("Add a Xero contact", [
        action("add", "xero.create_contact",
               {"name": "Ada Lovelace Ltd", "email": "ada@example.test"},
               connection_id=str(xero.id)),
    ], []))  # fmt: skip
    outputs = _finished_ok(person, workflow)
    org = sandboxes.simulators["xero"].default_org
    stored = org.contacts[outputs["add"]["contact_id"]]
    assert stored["EmailAddress"] == "ada@example.test"
    with tenant_session(person.tenant_id) as db:
        health = db.get(Connection, xero.id)
    assert health.calls_today == 1 and health.last_success_at is not None


def test_flagship_invoice_paid_in_xero_updates_the_hubspot_contact(person, sandboxes, worker):
    xero, hubspot = connect_app(person, "xero"), connect_app(person, "hubspot")
    org = sandboxes.simulators["xero"].default_org
    contact = org.save_contact({"Name": "Grace Hopper Ltd", "EmailAddress": "grace@example.test"})
    invoice = org.create_invoice({
        "Type": "ACCREC", "Status": "AUTHORISED", "Contact": {"ContactID": contact["ContactID"]},
        "LineItems": [{"Description": "Cakes", "Quantity": 2, "UnitAmount": 50,
                       "AccountCode": "200"}],
    })  # fmt: skip
    portal = sandboxes.simulators["hubspot"].portal
    lead = portal.create_contact({"email": "grace@example.test", "lifecyclestage": "lead"})
    workflow = publish(person.tenant_id, doc("Paid invoices make customers", [
        action("pay", "xero.mark_invoice_paid",
               {"invoice_id": {"var": "trigger.invoice_id"}, "account_code": "090"},
               connection_id=str(xero.id)),
        action("find", "hubspot.find_contact", {"email": {"var": "trigger.email"}},
               connection_id=str(hubspot.id)),
        action("update", "hubspot.update_contact",
               {"contact_id": {"var": "steps.find.output.contact.id"},
                "properties": {"lifecyclestage": "customer"}},
               connection_id=str(hubspot.id)),
    ], [("pay", "find"), ("find", "update")]))  # fmt: skip
    outputs = _finished_ok(
        person, workflow, {"invoice_id": invoice["InvoiceID"], "email": "grace@example.test"}
    )
    assert outputs["pay"]["invoice_status"] == "PAID"
    assert org.invoices[invoice["InvoiceID"]]["Status"] == "PAID"
    assert portal.contacts[lead["id"]]["properties"]["lifecyclestage"] == "customer"


def test_flagship_deal_won_creates_an_asana_project_from_template(person, sandboxes, worker):
    asana = connect_app(person, "asana")
    template = sandboxes.simulators["asana"].template
    workflow = publish(person.tenant_id, doc("Won deals start onboarding", [
        action("project", "asana.create_project_from_template",
               {"template_gid": template["gid"],
                "name": {"cat": ["Onboarding: ", {"var": "trigger.properties.dealname"}]}},
               connection_id=str(asana.id)),
    ], []))  # fmt: skip
    payload = {"objectId": 42, "propertyName": "dealstage", "propertyValue": "closedwon",
               "properties": {"dealname": "Rosa's Bakery rebrand"}}  # fmt: skip
    outputs = _finished_ok(person, workflow, payload)
    assert outputs["project"]["project_name"] == "Onboarding: Rosa's Bakery rebrand"
    objects = sandboxes.simulators["asana"].workspace.objects.values()
    projects = [o["name"] for o in objects if o["resource_type"] == "project"]
    assert projects == ["Onboarding: Rosa's Bakery rebrand"]


@pytest.fixture
def smtp_inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[list]:
    from aiosmtpd.controller import Controller

    from flowyard.settings import get_settings

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope)
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    yield received
    controller.stop()
    get_settings.cache_clear()


def test_flagship_new_hubspot_lead_gets_a_welcome_email(person, sandboxes, worker, smtp_inbox):
    hubspot = connect_app(person, "hubspot")
    portal = sandboxes.simulators["hubspot"].portal
    lead = portal.create_contact({"email": "lin@rosas-bakery.co.uk", "firstname": "Lin"})
    workflow = publish(person.tenant_id, doc("Welcome new leads", [
        action("lead", "hubspot.find_contact", {"email": {"var": "trigger.email"}},
               connection_id=str(hubspot.id)),
        action("welcome", "email.send", {
            "to": [{"var": "steps.lead.output.contact.properties.email"}],
            "subject": "Welcome to Rosa's Bakery",
            "text": {"cat": ["Hi ", {"var": "steps.lead.output.contact.properties.firstname"},
                             ", thanks for getting in touch!"]},
        }),
    ], [("lead", "welcome")]))  # fmt: skip
    _finished_ok(person, workflow, {"objectId": lead["id"], "email": "lin@rosas-bakery.co.uk"})
    deadline = time.monotonic() + 5
    while not smtp_inbox and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = smtp_inbox
    assert mail.rcpt_tos == ["lin@rosas-bakery.co.uk"]
    assert b"Hi Lin, thanks for getting in touch!" in mail.content


def test_sync_job_copies_xero_contacts_to_hubspot_with_a_log(person, sandboxes):
    xero, hubspot = connect_app(person, "xero"), connect_app(person, "hubspot")
    org = sandboxes.simulators["xero"].default_org
    portal = sandboxes.simulators["hubspot"].portal
    org.save_contact({"Name": "New Co", "EmailAddress": "new@example.test", "FirstName": "Nia"})
    org.save_contact({"Name": "Changed Co", "EmailAddress": "changed@example.test"})
    org.save_contact({"Name": "Same Co", "EmailAddress": "same@example.test"})
    org.save_contact({"Name": "No Email Co"})
    portal.create_contact({"email": "changed@example.test", "company": "Old name"})
    portal.create_contact({"email": "same@example.test", "company": "Same Co"})
    with tenant_session(person.tenant_id) as db:
        job = sync.create_job(db, tenant_id=person.tenant_id, kind="xero_contacts_to_hubspot",
                              source=xero, target=hubspot)  # fmt: skip
    with tenant_session(person.tenant_id) as db:
        assert sync.claim_due(db) == [(person.tenant_id, job.id)]
        assert sync.claim_due(db) == []  # claimed once
    log = sync.run_job(person.tenant_id, job.id)
    assert (log.processed, log.created, log.updated, log.skipped) == (4, 1, 1, 1)
    assert log.status == "partial" and log.duration_ms is not None
    (problem,) = log.errors
    assert problem["record"]["name"] == "No Email Co"
    assert "no email address" in problem["message"]
    emails = {c["properties"]["email"]: c["properties"] for c in portal.contacts.values()}
    assert emails["new@example.test"]["firstname"] == "Nia"
    assert emails["changed@example.test"]["company"] == "Changed Co"
    again = sync.run_job(person.tenant_id, job.id)
    assert (again.created, again.updated, again.skipped) == (0, 0, 3)
    with tenant_session(person.tenant_id) as db:
        assert len(db.exec(select(SyncRun)).all()) == 2
