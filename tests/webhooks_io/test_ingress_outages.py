"""Outages around the ingress: Redis stopped (events accepted, executed later) and the database
unreachable (503 so the sender retries). The ingress runs as its own uvicorn process so it can
be pointed at a throwaway Redis that we stop — never the shared one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from webhooks_io.conftest import webhook_workflow

from flowyard.services.embedded import EmbeddedRedis
from support.engine import wait_finished

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def ingress_process(database_url: str, redis_url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "flowyard.api.hooks_routes:hooks_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=REPO_ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"{base}/hooks/{'x' * 43}", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the ingress process did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_down_events_are_accepted_then_executed(tenant, db, worker, tmp_path):
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import InboundEvent
    from flowyard.workers import outbox

    _wf, endpoint = webhook_workflow(tenant)
    own_redis = EmbeddedRedis(tmp_path / "redis", port=_free_port())
    with ingress_process(db, own_redis.start()) as base:
        own_redis.stop()
        answers = [
            httpx.post(f"{base}/hooks/{endpoint.token}", json={"n": n}, timeout=10)
            for n in range(5)
        ]
        assert [a.status_code for a in answers] == [202] * 5
    with tenant_session(tenant) as db_session:
        stored = list(db_session.exec(select(InboundEvent)))
        waiting = list(db_session.exec(select(outbox.OutboxMessage)))
    assert len(stored) == 5 and len(waiting) == 5
    assert {str(e.id) for e in stored} == {a.json()["event_id"] for a in answers}
    # Redis is back (the relay runs on the shared one): every event runs.
    assert outbox.relay_pending(older_than=timedelta(0)) == 5
    for event in stored:
        assert wait_finished(tenant, event.execution_id).status == "succeeded"


def test_database_unavailable_answers_503(tenant, redis):
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/flowyard"
    with ingress_process(dead, redis) as base:
        answer = httpx.post(f"{base}/hooks/{'t' * 43}", json={"n": 1}, timeout=20)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    assert "please send it again" in answer.json()["error"]
