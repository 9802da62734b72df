"""A message goes through real Redis to a real Dramatiq worker and comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import redis as redis_lib

from support.services import REPO_ROOT
from support.workers import running_worker


def _wait_for_pong(client: redis_lib.Redis, token: str, timeout: float) -> bool:
    from flowyard.workers.health import pong_key

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(pong_key(token)) == b"pong":
            return True
        time.sleep(0.05)
    return False


def test_ping_roundtrip_with_in_process_worker(redis: str) -> None:
    from flowyard.workers import health

    with running_worker(threads=2):
        token = uuid.uuid4().hex
        health.ping.send(token)
        assert _wait_for_pong(redis_lib.Redis.from_url(redis), token, timeout=10)


@pytest.mark.slow
def test_flowyard_worker_process_consumes_messages(redis: str, database_url: str) -> None:
    """`flowyard worker` (Dramatiq's CLI, our actors) picks up a message and stops on SIGTERM."""
    from flowyard.workers import health

    env = {**os.environ, "REDIS_URL": redis, "DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "flowyard", "worker", "--processes", "1", "--threads", "2"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        token = uuid.uuid4().hex
        health.ping.send(token)
        assert _wait_for_pong(redis_lib.Redis.from_url(redis), token, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode(errors="replace")[-2000:]
