"""Retries, timeouts, errors, cancel, rerun, dead letters — on real workers."""

from __future__ import annotations

import time

import pytest

from flowyard.db import tenant_session
from flowyard.engine import executions, versions
from flowyard.engine.models import Execution
from support.engine import action, doc, publish, run, step_runs, wait_finished

FAST_RETRY = {"max_attempts": 3, "backoff_seconds": 0.05, "max_backoff_seconds": 0.2,
              "jitter": False}  # fmt: skip


def test_transient_failures_are_retried_with_the_same_idempotency_key(worker, tenant, target):
    target.on("/flaky", fail_first=2, fail_status=503)
    workflow = publish(
        tenant,
        doc(
            "Flaky",
            [action("call", "http.request", {"url": f"{target.url}/flaky"}, retry=FAST_RETRY)],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "succeeded", done.error
    calls = target.received("/flaky")
    assert len(calls) == 3
    assert len({c.headers["Idempotency-Key"] for c in calls}) == 1
    assert step_runs(tenant, done.id)[("call", "")].attempts == 3


def test_exhausted_retries_fail_the_run_and_dead_letter_it(worker, tenant, target):
    target.on("/down", fail_first=99, fail_status=500)
    workflow = publish(
        tenant,
        doc(
            "Down",
            [action("call", "http.request", {"url": f"{target.url}/down"}, retry=FAST_RETRY)],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "failed"
    assert done.dead_letter
    assert done.error["kind"] == "server_error" and done.error["step_id"] == "call"
    assert "had a problem on its side (500)" in done.error["message"]
    assert len(target.received("/down")) == 3


def test_client_errors_are_not_retried(worker, tenant, target):
    target.on("/bad", status=400)
    workflow = publish(
        tenant,
        doc(
            "Bad",
            [action("call", "http.request", {"url": f"{target.url}/bad"}, retry=FAST_RETRY)],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "failed" and not done.dead_letter
    assert len(target.received("/bad")) == 1


def test_step_timeout(worker, tenant, target):
    target.on("/slow", delay_seconds=3)
    workflow = publish(
        tenant,
        doc(
            "Slow",
            [action("call", "http.request", {"url": f"{target.url}/slow"}, timeout_seconds=1)],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "failed"
    assert done.error["kind"] == "timeout"
    assert "took longer than 1 s" in done.error["message"]


def test_rate_limited_step_waits_for_retry_after_instead_of_failing(worker, tenant, target):
    target.on("/limited", fail_first=1, fail_status=429, headers={"Retry-After": "1"})
    workflow = publish(
        tenant,
        doc("Limited", [action("call", "http.request", {"url": f"{target.url}/limited"})], []),
    )
    started = time.monotonic()
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "succeeded", done.error
    assert time.monotonic() - started >= 0.9
    assert len(target.received("/limited")) == 2


def test_continue_on_error_carries_on(worker, tenant, target):
    target.on("/bad", status=400)
    workflow = publish(
        tenant,
        doc(
            "Keep going",
            [
                action(
                    "call", "http.request", {"url": f"{target.url}/bad"}, continue_on_error=True
                ),
                action(
                    "after",
                    "core.set_fields",
                    {"fields": {"error": {"var": "steps.call.output.error.kind"}}},
                ),
            ],
            [("call", "after")],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "succeeded"
    assert step_runs(tenant, done.id)[("after", "")].output == {"error": "error"}


def test_private_destinations_are_refused_in_plain_english(worker, tenant):
    workflow = publish(
        tenant,
        doc(
            "Metadata",
            [action("call", "http.request", {"url": "http://169.254.169.254/latest"})],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow))
    assert done.status == "failed"
    assert "private or internal network" in done.error["message"]


def test_error_workflow_runs_when_a_run_fails(worker, tenant, target):
    target.on("/alert", status=200)
    handler = publish(
        tenant,
        doc(
            "Tell the owner",
            [
                action(
                    "alert",
                    "http.request",
                    {
                        "url": f"{target.url}/alert",
                        "method": "POST",
                        "json_body": {"failed": {"var": "trigger.execution_id"}},
                    },
                )
            ],
            [],
        ),
    )
    failing = publish(
        tenant,
        doc(
            "Always fails",
            [{"kind": "stop", "id": "no", "name": "No", "outcome": "fail", "message": "nope"}],
            [],
            error_workflow_id=str(handler.id),
        ),
    )
    failed = wait_finished(tenant, run(tenant, failing))
    assert failed.status == "failed"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not target.received("/alert"):
        time.sleep(0.05)
    assert [r.json() for r in target.received("/alert")] == [{"failed": str(failed.id)}]


def test_cancel_a_waiting_run(worker, tenant):
    workflow = publish(
        tenant,
        doc(
            "Long wait",
            [
                {"kind": "delay", "id": "wait", "name": "Wait", "seconds": 3600},
                action("after", "core.set_fields", {"fields": {}}),
            ],
            [("wait", "after")],
        ),
    )
    execution_id = run(tenant, workflow)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with tenant_session(tenant) as db:
            if db.get(Execution, execution_id).status == "waiting":
                break
        time.sleep(0.05)
    with tenant_session(tenant) as db:
        cancelled = executions.cancel(db, execution_id)
    assert cancelled.status == "cancelled"
    assert ("after", "") not in step_runs(tenant, execution_id)


def test_rerun_from_failed_step_keeps_earlier_steps(worker, tenant, target):
    target.on("/first", status=200)
    target.on("/second", fail_first=1, fail_status=400)
    workflow = publish(
        tenant,
        doc(
            "Two calls",
            [
                action("first", "http.request", {"url": f"{target.url}/first"}),
                action(
                    "second",
                    "http.request",
                    {"url": f"{target.url}/second", "query": {"n": "{{trigger.n}}"}},
                ),
            ],
            [("first", "second")],
        ),
    )
    failed = wait_finished(tenant, run(tenant, workflow, {"n": 42}))
    assert failed.status == "failed"
    with tenant_session(tenant) as db:
        rerun_id = executions.rerun_from_failed(db, failed.id).id
    rerun = wait_finished(tenant, rerun_id)
    assert rerun.status == "succeeded", rerun.error
    assert rerun.rerun_of_id == failed.id
    assert len(target.received("/first")) == 1
    assert [r.path for r in target.received("/second")] == ["/second?n=42"] * 2


def test_publish_refuses_a_broken_draft_in_plain_english(db, tenant):
    broken = doc(
        "Broken",
        [action("a", "xero.send_invoce", {}), action("b", "core.set_fields", {"fields": {}})],
        [("a", "missing")],
    )
    with tenant_session(tenant) as s:
        workflow = versions.create_workflow(s, tenant, "Broken", broken)
        with pytest.raises(versions.PublishRefused) as refused:
            versions.publish(s, workflow)
    messages = " ".join(p.message for p in refused.value.problems)
    assert "xero.send_invoce" in messages
    assert "missing" in messages
    assert all(p.message[0].isupper() for p in refused.value.problems)


def test_execution_pins_the_version_it_started_with(worker, tenant):
    workflow = publish(
        tenant,
        doc(
            "Pinned",
            [
                {"kind": "delay", "id": "wait", "name": "Wait", "seconds": 0.5},
                action("out", "core.set_fields", {"fields": {"v": 1}}),
            ],
            [("wait", "out")],
        ),
    )
    execution_id = run(tenant, workflow)
    with tenant_session(tenant) as db:
        fresh = db.get(type(workflow), workflow.id)
        draft = dict(fresh.draft)
        draft["steps"] = [draft["steps"][0], {**draft["steps"][1],
                                              "inputs": {"fields": {"v": 2}}}]  # fmt: skip
        versions.save_draft(db, fresh, draft)
        versions.publish(db, fresh)
    done = wait_finished(tenant, execution_id)
    assert step_runs(tenant, done.id)[("out", "")].output == {"v": 1}
    newer = wait_finished(tenant, run(tenant, workflow))
    assert step_runs(tenant, newer.id)[("out", "")].output == {"v": 2}


def test_big_payloads_are_compressed_or_truncated(worker, tenant):
    workflow = publish(
        tenant,
        doc(
            "Chatty",
            [action("echo", "core.set_fields", {"fields": {"blob": {"var": "trigger.blob"}}})],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow, {"blob": "x" * 2_000_000}))
    assert done.status == "succeeded"
    stored = step_runs(tenant, done.id)[("echo", "")].output
    assert stored["__flowyard_payload__"] in {"zlib", "truncated"}
    assert len(str(stored)) < 300_000


def test_cancel_a_running_run_stops_before_its_next_step(worker, tenant, target):
    target.on("/slow", delay_seconds=1.0)
    target.on("/never", status=200)
    workflow = publish(
        tenant,
        doc(
            "Two slow calls",
            [
                action("first", "http.request", {"url": f"{target.url}/slow"}),
                action("second", "http.request", {"url": f"{target.url}/never"}),
            ],
            [("first", "second")],
        ),
    )
    execution_id = run(tenant, workflow)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not target.received("/slow"):
        time.sleep(0.02)
    with tenant_session(tenant) as db:
        executions.cancel(db, execution_id)
    done = wait_finished(tenant, execution_id)
    assert done.status == "cancelled"
    assert done.summary == "Two slow calls was cancelled."
    assert target.received("/never") == []
