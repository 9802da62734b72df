"""A connector polling trigger (new email over IMAP) starts one run per new message, once."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlmodel import select

from connectors.email.imap_sandbox import ImapSandbox
from flowyard.db import tenant_session
from flowyard.engine import versions
from flowyard.engine.models import Execution
from flowyard.integrations.connections import save_new
from flowyard.integrations.tokens import TokenSet
from flowyard.triggers import polling
from support.engine import action, doc, make_tenant, publish, step_runs, wait_finished


def _mail(subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "jane@example.com"
    message["To"] = "orders@rosas-bakery.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(f"Body of {subject}")
    return message


def _email_connection(tenant, imap: ImapSandbox) -> str:
    extras = {"host": "127.0.0.1", "port": imap.port, "ssl": False,
              "username": "orders", "password": "s3cret-pass"}  # fmt: skip
    with tenant_session(tenant) as db:
        row = save_new(
            db, tenant_id=tenant, connector_key="email", app_name="Email", auth_kind="basic",
            tokens=TokenSet(extras=extras), label="orders@rosas-bakery.test", created_by=None,
            sandbox=True,
        )  # fmt: skip
        return str(row.id)


def _runs(tenant, workflow) -> list[Execution]:
    with tenant_session(tenant) as db:
        return list(db.exec(select(Execution).where(Execution.workflow_id == workflow.id)).all())


def test_new_emails_start_one_run_each_and_never_twice(worker, db) -> None:
    tenant = make_tenant()
    with ImapSandbox({"orders": "s3cret-pass"}) as imap:
        imap.deliver(_mail("Old order", "<old@example.com>"))
        connection_id = _email_connection(tenant, imap)
        workflow = publish(tenant, doc(
            "Orders by email",
            [action("note", "core.log_note", {"message": "Order: {{trigger.subject}}"})],
            [],
            trigger={"kind": "connector", "connector": "email", "trigger": "new_email",
                     "connection_id": connection_id, "interval_seconds": 30},
        ))  # fmt: skip
        with tenant_session(tenant) as s:
            assert polling.poll_once(s, workflow.id) == 0  # first look: remember where we are
        imap.deliver(_mail("Order 1", "<one@example.com>"))
        imap.deliver(_mail("Order 2", "<two@example.com>"))
        with tenant_session(tenant) as s:
            assert polling.poll_once(s, workflow.id) == 2
        with tenant_session(tenant) as s:
            assert polling.poll_once(s, workflow.id) == 0
    runs = _runs(tenant, workflow)
    assert sorted(r.trigger_key for r in runs) == [
        "poll:<one@example.com>",
        "poll:<two@example.com>",
    ]
    notes = sorted(step_runs(tenant, wait_finished(tenant, r.id).id)[("note", "")].output["note"]
                   for r in runs)  # fmt: skip
    assert notes == ["Order: Order 1", "Order: Order 2"]


def test_publish_refuses_an_unknown_polling_trigger(db) -> None:
    tenant = make_tenant()
    with tenant_session(tenant) as s:
        workflow = versions.create_workflow(s, tenant, "Nope", doc(
            "Nope", [action("note", "core.log_note", {"message": "x"})], [],
            trigger={"kind": "connector", "connector": "email", "trigger": "carrier_pigeon"},
        ))  # fmt: skip
        with pytest.raises(versions.PublishRefused) as refused:
            versions.publish(s, workflow)
    assert "email.carrier_pigeon" in refused.value.problems[0].message
