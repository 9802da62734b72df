"""A worker process is SIGKILLed during 200 executions: all complete, no finished step reruns.

Real processes: `flowyard worker` (Dramatiq's CLI with our actors) and `flowyard scheduler`
(outbox relay and the sweeper that resumes executions whose worker died).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlmodel import func, select

from flowyard.db import tenant_session
from flowyard.engine.models import Execution, StepRun
from support.engine import action, doc, publish, run
from support.services import REPO_ROOT

EXECUTIONS = 200
THREADS = 8


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flowyard", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _describe_unfinished(tenant) -> str:
    with tenant_session(tenant) as db:
        rows = db.exec(select(Execution).where(Execution.status != "succeeded")).all()
        lines = []
        for e in rows[:10]:
            runs = db.exec(select(StepRun).where(StepRun.execution_id == e.id)).all()
            lines.append(
                f"{e.id} status={e.status} deliveries={e.deliveries} lease={e.lease_until} "
                f"owner={e.lease_owner} wake={e.wake_at} "
                f"steps={[(r.step_id, r.status) for r in runs]}"
            )
    return "\n".join(lines)


def _finished(tenant) -> int:
    with tenant_session(tenant) as db:
        return db.exec(
            select(func.count()).select_from(Execution).where(Execution.status == "succeeded")
        ).one()


@pytest.mark.slow
def test_sigkill_mid_run_loses_nothing_and_repeats_no_finished_step(db, redis, target, tenant):
    target.on("/a", delay_seconds=0.01)
    target.on("/b", delay_seconds=0.01)
    workflow = publish(tenant, doc(
        "Crash-proof",
        [
            action("call_a", "http.request", {"url": f"{target.url}/a", "method": "POST",
                                               "json_body": {"n": {"var": "trigger.n"}}}),
            action("shape", "core.set_fields", {"fields": {"n": {"var": "trigger.n"}}}),
            action("call_b", "http.request", {"url": f"{target.url}/b", "method": "POST",
                                               "json_body": {"n": {"var": "trigger.n"}}}),
            action("done", "core.set_fields", {"fields": {"ok": True}}),
        ],
        [("call_a", "shape"), ("shape", "call_b"), ("call_b", "done")],
    ))  # fmt: skip
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "REDIS_URL": redis,
        "FLOWYARD_EXECUTION_LEASE_SECONDS": "3",
        "FLOWYARD_BROKER_HEARTBEAT_MS": "5000",
    }
    scheduler = _start(["scheduler"], env)
    worker = _start(["worker", "--processes", "1", "--threads", str(THREADS)], env)
    try:
        ids = [run(tenant, workflow, {"n": i}) for i in range(EXECUTIONS)]
        deadline = time.monotonic() + 60
        while _finished(tenant) < EXECUTIONS * 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
        finished_before_kill = _finished(tenant)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        assert finished_before_kill < EXECUTIONS, "the kill came too late to test anything"
        worker = _start(["worker", "--processes", "1", "--threads", str(THREADS)], env)
        deadline = time.monotonic() + 90
        while _finished(tenant) < EXECUTIONS and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)

    assert _finished(tenant) == EXECUTIONS, _describe_unfinished(tenant)
    with tenant_session(tenant) as session:
        rows = session.exec(select(StepRun).where(StepRun.execution_id.in_(ids))).all()
    assert Counter(r.status for r in rows) == {"succeeded": 4 * EXECUTIONS}
    keys = Counter(r.headers["Idempotency-Key"] for r in target.requests)
    assert len(keys) == 2 * EXECUTIONS, "every HTTP step reached the receiver"
    repeated = {k: c for k, c in keys.items() if c > 1}
    # Only steps in flight at the kill may run again (at most one per worker thread), and
    # they carry the same idempotency key both times.
    assert len(repeated) <= THREADS, repeated
    print(f"\ncrash test: {finished_before_kill} finished before SIGKILL, "
          f"{len(repeated)} in-flight steps repeated with the same key")  # fmt: skip
