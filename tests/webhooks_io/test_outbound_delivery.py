"""Outbound deliveries against a local receiver: retries on a moved clock, signatures, 410,
disabling after a failing period, rotation, test events, replay, per-endpoint caps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from webhooks_io.outbound_helpers import (
    attempts,
    deliveries,
    emit,
    subscribe,
    subscription,
    wait_until,
)

from flowyard import clock
from support.http_target import HttpTarget

T0 = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpTarget]:
    from flowyard.settings import get_settings

    with HttpTarget() as server:
        monkeypatch.setenv("FLOWYARD_HTTP_ALLOW", f"127.0.0.1:{server.url.rsplit(':', 1)[1]}")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture
def frozen() -> Iterator:
    with clock.frozen(T0) as advance:
        yield advance


def _verify(secret: str, request) -> dict:  # type: ignore[no-untyped-def]
    headers = {k.lower(): v for k, v in request.headers.items()}
    return Webhook(secret).verify(request.body, headers)


def _n_attempts(tenant, n):  # type: ignore[no-untyped-def]
    return wait_until(lambda: len(attempts(tenant)) >= n, what=f"{n} attempts")


def test_retries_follow_the_schedule_and_receiver_sees_one_webhook_id(
    tenant, worker, receiver, frozen
):
    from flowyard.webhooks.delivery import release_due

    receiver.on("/in", fail_first=3, fail_status=503)
    sub, _secret = subscribe(tenant, f"{receiver.url}/in", ["execution.completed"])
    emit(tenant, "execution.completed", {"execution_id": "e1", "summary": "Invoice sent"})
    expected = [timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]
    elapsed = timedelta(0)
    for number, gap in enumerate(expected, start=1):
        if number > 1:
            due = deliveries(tenant)[0].next_attempt_at
            assert gap * 0.9 <= due - (T0 + elapsed) <= gap * 1.1, (number, due)
            frozen(due - clock.now())
            elapsed = due - T0
            assert release_due() == 1
        _n_attempts(tenant, number)
    log = attempts(tenant)
    assert [a.response_status for a in log] == [503, 503, 503, 200]
    assert log[0].started_at == T0
    (delivery,) = deliveries(tenant)
    assert delivery.status == "succeeded" and delivery.attempts == 4
    received = receiver.received("/in")
    assert len(received) == 4
    ids = {r.headers["webhook-id"] for r in received}
    assert ids == {delivery.id}
    body = json.loads(received[-1].body)
    assert body["type"] == "execution.completed" and body["data"]["summary"] == "Invoice sent"
    assert log[0].request_headers["webhook-id"] == delivery.id
    assert "503" in log[0].error
    assert release_due() == 0
    assert subscription(sub.id).failing_since is None


def test_signature_verifies_with_the_reference_library(tenant, worker, receiver):
    _sub, secret = subscribe(tenant, f"{receiver.url}/in", ["execution.*"])
    emit(tenant, "execution.failed", {"execution_id": "e2"})
    wait_until(lambda: receiver.received("/in"), what="delivery")
    payload = Webhook(secret).verify(
        receiver.received("/in")[0].body,
        {k.lower(): v for k, v in receiver.received("/in")[0].headers.items()},
    )
    assert payload["type"] == "execution.failed"


def test_event_types_and_filter_select_what_is_sent(tenant, worker, receiver):
    subscribe(tenant, f"{receiver.url}/big", ["execution.completed"],
              filter_rule={">": [{"var": "data.total"}, 100]})  # fmt: skip
    subscribe(tenant, f"{receiver.url}/other", ["connection.needs_reconnect"])
    emit(tenant, "execution.completed", {"total": 50})
    emit(tenant, "execution.completed", {"total": 500})
    wait_until(lambda: receiver.received("/big"), what="filtered delivery")
    wait_until(lambda: len(deliveries(tenant)) == 1 and deliveries(tenant)[0].status != "pending")
    assert [json.loads(r.body)["data"]["total"] for r in receiver.received("/big")] == [500]
    assert receiver.received("/other") == []


def test_gone_disables_and_notifies(tenant, worker, receiver):
    from sqlmodel import select

    from flowyard.db import tenant_session
    from flowyard.triggers.models import PlatformEvent

    receiver.on("/gone", status=410)
    sub, _ = subscribe(tenant, f"{receiver.url}/gone", ["execution.completed"])
    emit(tenant, "execution.completed", {})
    wait_until(lambda: not subscription(sub.id).enabled, what="disabled")
    assert deliveries(tenant)[0].status == "failed"
    assert "410" in subscription(sub.id).disabled_reason
    with tenant_session(tenant) as db:
        types = [e.type for e in db.exec(select(PlatformEvent))]
    assert "webhook_endpoint.disabled" in types


def test_endpoint_failing_for_the_configured_period_is_disabled(
    tenant, worker, receiver, frozen, monkeypatch
):
    from flowyard.webhooks.config import webhook_settings
    from flowyard.webhooks.delivery import release_due

    monkeypatch.setenv("FLOWYARD_WEBHOOK_DISABLE_AFTER_HOURS", "1")
    webhook_settings.cache_clear()
    try:
        receiver.on("/down", fail_first=100, fail_status=500)
        sub, _ = subscribe(tenant, f"{receiver.url}/down", ["execution.completed"])
        emit(tenant, "execution.completed", {})
        for number in range(1, 6):
            _n_attempts(tenant, number)
            if not subscription(sub.id).enabled:
                break
            frozen(deliveries(tenant)[0].next_attempt_at - clock.now())
            release_due()
        disabled = subscription(sub.id)
        assert not disabled.enabled
        assert "failed for 1 hours" in disabled.disabled_reason
        assert clock.now() - T0 >= timedelta(hours=1)
    finally:
        webhook_settings.cache_clear()


def test_rotation_sends_both_signatures_during_the_overlap(tenant, worker, receiver):
    from flowyard.db import system_session
    from flowyard.webhooks import subscriptions
    from flowyard.webhooks.models import WebhookSubscription

    sub, old = subscribe(tenant, f"{receiver.url}/in", ["execution.completed"])
    with system_session() as db:
        new = subscriptions.rotate_secret(
            db, db.get(WebhookSubscription, sub.id), overlap=timedelta(hours=24)
        )
    start = datetime.now(UTC)
    with clock.frozen(start) as advance:
        _rotation_deliveries(tenant, receiver, advance, old, new)


def _rotation_deliveries(tenant, receiver, advance, old, new):  # type: ignore[no-untyped-def]
    from flowyard.webhooks import verify

    emit(tenant, "execution.completed", {"n": 1})
    first = wait_until(lambda: receiver.received("/in"), what="delivery")[0]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    _verify(old, first)
    _verify(new, first)
    advance(timedelta(hours=25))
    emit(tenant, "execution.completed", {"n": 2})
    wait_until(lambda: len(receiver.received("/in")) == 2, what="second delivery")
    second = receiver.received("/in")[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    now = clock.now().timestamp()
    assert verify("standard-webhooks", new, second.headers, second.body, now=now)
    assert not verify("standard-webhooks", old, second.headers, second.body, now=now)


def test_send_test_event_and_replay(tenant, worker, receiver):
    from webhooks_io.outbound_helpers import agency_of

    from flowyard.db import agency_session, tenant_session
    from flowyard.webhooks import delivery, fanout

    receiver.on("/in", fail_first=1, fail_status=500)
    sub, _ = subscribe(tenant, f"{receiver.url}/in", ["execution.completed"])
    with agency_session(agency_of(tenant)) as db:
        message_id = fanout.send_test(db, subscription(sub.id), tenant)
    wait_until(lambda: attempts(tenant), what="test attempt")
    with tenant_session(tenant) as db:
        delivery.replay(db, message_id)
    wait_until(lambda: len(attempts(tenant)) == 2, what="replayed attempt")
    assert [a.response_status for a in attempts(tenant)] == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.received("/in")} == {message_id}
    assert json.loads(receiver.received("/in")[0].body)["type"] == "webhook.test"


def test_replay_all_failed_in_a_time_range(tenant, worker, receiver):
    from flowyard.db import tenant_session
    from flowyard.webhooks import delivery

    receiver.on("/in", status=404)
    sub, _ = subscribe(tenant, f"{receiver.url}/in", ["execution.completed"])
    with clock.frozen(T0) as advance:
        for n in range(3):
            emit(tenant, "execution.completed", {"n": n})
        wait_until(lambda: len(attempts(tenant)) == 3, what="three attempts")
        with tenant_session(tenant) as db:
            for row in deliveries(tenant):  # give up on them now (as if retries ran out)
                row.status = "failed"
                db.add(row)
            db.commit()
        receiver.on("/in", status=200)
        with tenant_session(tenant) as db:
            assert delivery.replay_failed(db, sub.id, T0 - timedelta(minutes=1),
                                          T0 + timedelta(minutes=1)) == 3  # fmt: skip
        wait_until(lambda: all(d.status == "succeeded" for d in deliveries(tenant)), what="ok")
        advance(timedelta(0))
    assert len({r.headers["webhook-id"] for r in receiver.received("/in")}) == 3


def test_concurrency_cap_per_endpoint(tenant, worker, receiver):
    from flowyard.db import system_session
    from flowyard.webhooks.models import WebhookSubscription

    receiver.on("/slow", delay_seconds=0.4)
    sub, _ = subscribe(tenant, f"{receiver.url}/slow", ["execution.completed"])
    with system_session() as db:
        row = db.get(WebhookSubscription, sub.id)
        row.max_in_flight = 2
        db.add(row)
        db.commit()
    for n in range(6):
        emit(tenant, "execution.completed", {"n": n})
    wait_until(lambda: len(receiver.received("/slow")) == 6, timeout=30, what="six deliveries")
    wait_until(lambda: all(d.status == "succeeded" for d in deliveries(tenant)), what="recorded")
    assert receiver.peak[""] <= 2
    assert len(deliveries(tenant)) == 6
