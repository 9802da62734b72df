"""Ingress behaviour on a real socket: bodies, limits, 404s, dedupe, handshakes, pause and
release, replay, synchronous answers, and runs that really execute."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from sqlmodel import select
from webhooks_io.conftest import set_verification, webhook_workflow
from webhooks_io.signers import SECRET, stripe, xero

from support.engine import action, wait_finished


def _events(tenant):  # type: ignore[no-untyped-def]
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import InboundEvent

    with tenant_session(tenant) as db:
        return list(db.exec(select(InboundEvent).order_by(InboundEvent.received_at)))


def _runs(tenant):  # type: ignore[no-untyped-def]
    from flowyard.db import tenant_session
    from flowyard.engine.models import Execution

    with tenant_session(tenant) as db:
        return list(db.exec(select(Execution)))


def test_json_form_and_raw_bodies_reach_the_run(tenant, hooks_url, worker):
    _wf, endpoint = webhook_workflow(tenant)
    url = f"{hooks_url}/hooks/{endpoint.token}?source=shop"
    sent = [
        ({"Content-Type": "application/json"}, b'{"order": 7}', {"order": 7}),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2&b=3",
         {"a": "1", "b": ["2", "3"]}),
        ({"Content-Type": "text/plain"}, "héllo".encode(), "héllo"),
        ({"Content-Type": "application/octet-stream"}, b"\xff\x00", {"base64": "/wA="}),
    ]  # fmt: skip
    for headers, body, expected in sent:
        answer = httpx.post(url, content=body, headers=headers)
        assert answer.status_code == 202
        run = next(r for r in _runs(tenant) if r.trigger_payload["body"] == expected)
        finished = wait_finished(tenant, run.id)
        assert finished.status == "succeeded"
        assert finished.trigger_payload["query"] == {"source": "shop"}
        assert finished.result["steps"]["keep"] == {"got": expected}


def test_bad_json_is_refused_plainly(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    answer = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", content=b"{nope",
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400
    assert "could not be read as JSON" in answer.json()["error"]


def test_unknown_token_reveals_nothing(tenant, hooks_url):
    from flowyard.db import tenant_session
    from flowyard.webhooks import endpoints
    from flowyard.webhooks.models import InboundEndpoint

    _wf, endpoint = webhook_workflow(tenant)
    old = endpoint.token
    with tenant_session(tenant) as db:
        endpoints.regenerate_token(db, db.get(InboundEndpoint, endpoint.id))
    answers = [
        httpx.post(f"{hooks_url}/hooks/{token}", json={}) for token in ("x" * 43, "short", old)
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert _events(tenant) == []


def test_size_limit_answers_413_with_a_sentence(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    url = f"{hooks_url}/hooks/{endpoint.token}"
    big = b'{"x":"' + b"a" * (1024 * 1024) + b'"}'
    answer = httpx.post(url, content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "larger than 1 MiB" in answer.json()["error"]

    def chunks():  # no Content-Length: the limit still holds while streaming
        for _ in range(20):
            yield b"a" * 65536

    streamed = httpx.post(url, content=chunks(), headers={"Content-Type": "text/plain"})
    assert streamed.status_code == 413
    assert _events(tenant) == []
    ok = httpx.post(url, content=b"a" * (1024 * 1024 - 10), headers={"Content-Type": "text/plain"})
    assert ok.status_code == 202


def test_provider_retry_is_deduplicated(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    set_verification(tenant, endpoint, "stripe", SECRET)
    url = f"{hooks_url}/hooks/{endpoint.token}"
    body = json.dumps({"id": "evt_42", "type": "charge.succeeded"}).encode()
    first = httpx.post(url, content=body, headers=stripe(body, int(time.time()), ""))
    time.sleep(1.1)  # Stripe retries later with a fresh timestamp and signature
    retry = httpx.post(url, content=body, headers=stripe(body, int(time.time()), ""))
    assert first.status_code == retry.status_code == 202
    assert retry.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert [e.status for e in _events(tenant)] == ["started", "duplicate"]
    assert len(_runs(tenant)) == 1
    other = json.dumps({"id": "evt_43"}).encode()
    assert (
        httpx.post(url, content=other, headers=stripe(other, int(time.time()), "")).json()[
            "event_id"
        ]
        != first.json()["event_id"]
    )
    assert len(_runs(tenant)) == 2


def test_idempotency_key_and_webhook_id_headers_dedupe(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    url = f"{hooks_url}/hooks/{endpoint.token}"
    for headers in ({"Idempotency-Key": "k1"}, {"webhook-id": "msg_9"}):
        codes = [httpx.post(url, json={"n": 1}, headers=headers).status_code for _ in range(3)]
        assert codes == [202, 202, 202]
    assert len(_runs(tenant)) == 2
    assert [e.status for e in _events(tenant)].count("duplicate") == 4


def test_xero_intent_to_receive(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    set_verification(tenant, endpoint, "xero", SECRET)
    url = f"{hooks_url}/hooks/{endpoint.token}"
    itr = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"X"}'
    good = httpx.post(url, content=itr, headers=xero(itr, 0, ""))
    bad = httpx.post(url, content=itr, headers={"x-xero-signature": "AAAA"})
    tampered = httpx.post(url, content=itr.replace(b"X", b"Y"), headers=xero(itr, 0, ""))
    assert tampered.status_code == 401
    assert (good.status_code, good.content) == (200, b"")
    assert bad.status_code == 401
    assert _runs(tenant) == []


def test_slack_url_verification_challenge(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    set_verification(tenant, endpoint, "slack", SECRET)
    body = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
    ts = int(time.time())
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    answer = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", content=body, headers={
        "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={sig}",
        "Content-Type": "application/json"})  # fmt: skip
    assert answer.json() == {"challenge": "c-123"}
    forged = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", content=body)
    assert forged.status_code == 401
    assert _runs(tenant) == []


def test_paused_endpoint_keeps_events_and_releases_them(tenant, hooks_url, worker):
    from flowyard.db import tenant_session
    from flowyard.webhooks import inbound_log
    from flowyard.webhooks.models import InboundEndpoint

    _wf, endpoint = webhook_workflow(tenant)
    with tenant_session(tenant) as db:
        inbound_log.set_paused(db, db.get(InboundEndpoint, endpoint.id), True)
    for n in range(3):
        assert httpx.post(f"{hooks_url}/hooks/{endpoint.token}", json={"n": n}).status_code == 202
    assert [e.status for e in _events(tenant)] == ["held"] * 3
    assert _runs(tenant) == []
    with tenant_session(tenant) as db:
        assert inbound_log.release_held(db, db.get(InboundEndpoint, endpoint.id)) == 3
    runs = _runs(tenant)
    assert sorted(r.trigger_payload["body"]["n"] for r in runs) == [0, 1, 2]
    for run in runs:
        assert wait_finished(tenant, run.id).status == "succeeded"


def test_replay_starts_a_new_run_from_the_stored_request(tenant, hooks_url, worker):
    from flowyard.db import tenant_session
    from flowyard.webhooks import inbound_log

    _wf, endpoint = webhook_workflow(tenant)
    event_id = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", json={"n": 5}).json()["event_id"]
    with tenant_session(tenant) as db:
        rerun = inbound_log.replay(db, __import__("uuid").UUID(event_id))
    finished = wait_finished(tenant, rerun.id)
    assert finished.result["steps"]["keep"] == {"got": {"n": 5}}
    assert len(_runs(tenant)) == 2
    assert _events(tenant)[0].replays == 1


def test_synchronous_endpoint_answers_with_the_respond_step(tenant, hooks_url, worker):
    steps = [
        action("calc", "core.set_fields",
               {"fields": {"total": {"*": [{"var": "trigger.body.n"}, 2]}}}),
        action("answer", "webhook.respond", {"status": 201,
               "body": {"total": {"var": "steps.calc.output.total"}}, "headers": {"X-Ref": "r1"}}),
    ]  # fmt: skip
    _wf, endpoint = webhook_workflow(tenant, steps=steps, settings={"mode": "sync"})
    answer = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", json={"n": 21}, timeout=20)
    assert answer.status_code == 201
    assert answer.json() == {"total": 42}
    assert answer.headers["X-Ref"] == "r1"
    assert answer.headers["X-Webhook-Event-Id"] == str(_events(tenant)[0].id)


def test_synchronous_endpoint_times_out_to_202(tenant, hooks_url):
    """No worker is running: the answer comes after the timeout, and the event is kept."""
    _wf, endpoint = webhook_workflow(tenant, settings={"mode": "sync", "timeout_seconds": 1})
    started = time.monotonic()
    answer = httpx.post(f"{hooks_url}/hooks/{endpoint.token}", json={"n": 1}, timeout=20)
    assert answer.status_code == 202
    assert time.monotonic() - started >= 1  # it waited for the workflow's answer first
    assert answer.json()["event_id"] == str(_events(tenant)[0].id)


def test_asana_handshake_cannot_replace_a_stored_secret(tenant, hooks_url):
    _wf, endpoint = webhook_workflow(tenant)
    set_verification(tenant, endpoint, "asana", None)
    url = f"{hooks_url}/hooks/{endpoint.token}"
    assert httpx.post(url, headers={"X-Hook-Secret": "first"}).status_code == 200
    forged = httpx.post(url, headers={"X-Hook-Secret": "attacker"})
    assert forged.status_code == 401
    assert "X-Hook-Secret" not in forged.headers
