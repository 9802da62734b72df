"""`flowyard worker` runs the Dramatiq workers below the web app's CPU priority (nice 10 by
default, ``FLOWYARD_WORKER_NICE`` to change it), so a burst of webhooks is answered first.
Started in a session of its own (as `flowyard up` starts it) it lowers its scheduling group
too, without which Linux's autogroups would ignore the nice value against the web app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from support.services import REPO_ROOT


def _worker_niceness(env: dict[str, str]) -> tuple[list[int], str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "flowyard", "worker", "--processes", "1", "--threads", "1"],
        env={**os.environ, **env}, cwd=REPO_ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            main = psutil.Process(worker.pid)
            children = main.children(recursive=True)
            if children:  # Dramatiq's worker processes, forked after its imports
                group = Path(f"/proc/{worker.pid}/autogroup")
                text = group.read_text() if group.exists() else ""
                return [main.nice(), *(child.nice() for child in children)], text
            time.sleep(0.2)
        raise AssertionError("the worker did not start")
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)


@pytest.mark.parametrize(("setting", "added"), [(None, 10), ("0", 0)])
def test_workers_run_below_the_web_apps_priority(database_url, redis_server_url, setting, added):
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_server_url}
    if setting is not None:
        env["FLOWYARD_WORKER_NICE"] = setting
    expected = min(os.nice(0) + added, 19)
    niceness, group = _worker_niceness(env)
    assert set(niceness) == {expected}
    if group and added:  # Linux with autogroups: the worker's own session is lowered too
        assert group.strip().endswith(f"nice {added}")
