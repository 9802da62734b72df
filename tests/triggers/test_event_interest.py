"""Events nobody listens for are stored as dispatched and cost no message; others fan out.

The interest check is SQL (so the engine can fold it into the statement that finishes a
run); these tests pin down who counts as a listener, tenant lines included.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlmodel import select

from flowyard.db import system_session, tenant_session
from flowyard.engine.models import Execution
from flowyard.triggers import events
from flowyard.triggers.models import PlatformEvent
from flowyard.webhooks.models import WebhookSubscription
from support.engine import action, doc, make_tenant, publish, run, wait_finished
from tenants import service


def _listens(tenant_id: uuid.UUID, event_type: str) -> bool:
    with tenant_session(tenant_id) as db:
        return events.has_listeners(db, tenant_id, event_type)


def _subscribe(agency_id: uuid.UUID, tenant_id: uuid.UUID | None, *, enabled: bool = True) -> None:
    with system_session() as db:
        db.add(WebhookSubscription(agency_id=agency_id, tenant_id=tenant_id, secret="x",
                                   url="https://hooks.example/in", event_types=["*"],
                                   enabled=enabled))  # fmt: skip
        db.commit()


def _listener_doc(name: str, event_type: str) -> dict:
    return doc(name, [action("note", "core.log_note", {"message": "heard it"})], [],
               trigger={"kind": "event", "event_type": event_type})  # fmt: skip


@pytest.fixture
def two_tenants(db: str, redis: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    import flowyard.webhooks.actors  # noqa: F401  (registers the outbound-webhook sink)

    first = make_tenant("Rosa's Bakery", "Alpha Agency")
    with system_session() as session:
        agency_id = session.exec(select(service.Tenant.agency_id)).first()
        second = service.create_tenant(session, agency_id, "Tom's Garage").id
    return agency_id, first, second


def test_nobody_listens_to_a_fresh_tenant(two_tenants) -> None:
    _agency, first, _second = two_tenants
    assert not _listens(first, "execution.completed")


def test_an_event_triggered_workflow_listens_only_to_its_type_and_tenant(two_tenants) -> None:
    _agency, first, second = two_tenants
    publish(first, _listener_doc("On failure", "execution.failed"))
    assert _listens(first, "execution.failed")
    assert not _listens(first, "execution.completed")
    assert not _listens(second, "execution.failed")  # the other tenant's workflow is not ours


def test_subscriptions_listen_for_their_tenant_or_the_whole_agency(two_tenants) -> None:
    agency, first, second = two_tenants
    _subscribe(agency, second, enabled=False)
    assert not _listens(second, "execution.completed")  # disabled does not count
    _subscribe(agency, first)
    assert _listens(first, "execution.completed")
    assert not _listens(second, "execution.completed")  # a sibling tenant's subscription
    _subscribe(agency, None)
    assert _listens(second, "execution.completed")  # agency-wide covers every tenant


def test_unheard_event_is_stored_dispatched_and_heard_one_fans_out(two_tenants, worker) -> None:
    _agency, first, _second = two_tenants
    job = publish(first, doc("Job", [action("a", "core.set_fields", {"fields": {"x": 1}})], []))
    quiet = wait_finished(first, run(first, job))
    publish(first, _listener_doc("After each job", "execution.completed"))
    loud = wait_finished(first, run(first, job))

    with tenant_session(first) as db:
        stored = {e.source: e for e in db.exec(select(PlatformEvent))}
    unheard, heard = stored[f"execution:{quiet.id}"], stored[f"execution:{loud.id}"]
    assert unheard.type == "execution.completed" and unheard.dispatched_at is not None
    assert heard.type == "execution.completed"
    # The listening workflow ran once, for the heard event only.
    started: list[Execution] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not started:
        with tenant_session(first) as db:
            started = list(db.exec(select(Execution).where(Execution.trigger_kind == "event")))
        time.sleep(0.05)
    assert [r.trigger_key for r in started] == [f"event:{heard.id}"]
    wait_finished(first, started[0].id)
    with tenant_session(first) as db:
        assert db.get(PlatformEvent, heard.id).dispatched_at is not None
