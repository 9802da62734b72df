"""Ten requests a minute per key, enforced together by separate server processes via Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flowyard.db import agency_session
from flowyard.security import mfa_policy
from support.security_world import bearer

REPO = Path(__file__).resolve().parents[2]
APP = "flowyard.api.v1.app:api_app"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_servers(db: str, redis: str) -> Iterator[list[str]]:
    """Two uvicorn processes serving /api/v1 on different ports, same database and Redis."""
    env = {**os.environ, "DATABASE_URL": db, "REDIS_URL": redis}
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", APP, "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            env=env, cwd=REPO, start_new_session=True,
        ))  # fmt: skip
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(base + "/api/v1/openapi.json", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def test_eleventh_request_in_a_minute_is_refused_across_two_processes(
    two_servers: list[str],
    issue,
    world,  # type: ignore[no-untyped-def]
) -> None:
    key = issue(world.tenant_a1, scopes=("read",))
    path = f"/api/v1/tenants/{world.tenant_a1}"
    answers = [
        httpx.get(two_servers[i % 2] + path, headers=bearer(key), timeout=10) for i in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[4].headers["RateLimit-Limit"] == "10"
    assert answers[4].headers["RateLimit-Remaining"] == "5"
    refused = answers[10]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert "10 requests a minute" in refused.json()["error"]["message"]
    other = issue(world.tenant_a1, scopes=("read",))  # limits are per key
    assert httpx.get(two_servers[1] + path, headers=bearer(other)).status_code == 200


def test_agency_plan_override_raises_the_limit(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    with agency_session(world.agency_a) as db:
        mfa_policy.policy_for(db, world.agency_a).api_requests_per_minute = 15
        db.commit()
    key = issue(world.tenant_a1, scopes=("read",))
    codes = [api.get("/api/v1/tenants", headers=bearer(key)).status_code for _ in range(16)]
    assert codes == [200] * 15 + [429]
