"""`flowyard up` starts every process, prints the URL and logins, and stops them all cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from flowyard.services.ports import free_port
from support.services import REPO_ROOT


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_up_runs_everything_and_stops_cleanly(database_url, redis_server_url, stop_signal):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server_url,
           "FLOWYARD_WEB_PORT": str(port)}  # fmt: skip
    up = subprocess.Popen(
        [sys.executable, "-m", "flowyard", "up"], env=env, cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        output = "".join(lines)
        assert f"Flowyard is running at http://127.0.0.1:{port}" in output, output[-3000:]
        assert "owner@demo-agency.test" in output
        assert httpx.get(f"http://127.0.0.1:{port}/ping", timeout=10).status_code == 200
        children = psutil.Process(up.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "dramatiq flowyard.workers.actors" in names and "flowyard scheduler" in names
        assert "reflex run" in names
    finally:
        up.send_signal(stop_signal)
        up.wait(timeout=60)
    time.sleep(1)
    survivors = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], [" ".join(c.cmdline()) for c in survivors]
    assert up.returncode == 0
