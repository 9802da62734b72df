"""One tenant's storm does not starve another: per-tenant concurrency caps on real workers."""

from __future__ import annotations

import time

import pytest

from flowyard.settings import get_settings
from support.engine import action, doc, make_tenant, publish, run, wait_finished


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWYARD_TENANT_CONCURRENCY", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _slow_workflow(tenant, target, group: str):
    return publish(tenant, doc(
        f"Slow {group}",
        [action("call", "http.request", {"url": f"{target.url}/slow",
                                         "headers": {"X-Group": group}})],
        []))  # fmt: skip


def test_storm_tenant_is_capped_and_quiet_tenant_is_served(worker, target, capped, db) -> None:
    target.on("/slow", delay_seconds=0.3)
    storm, quiet = make_tenant("Storm Ltd"), make_tenant("Quiet Ltd")
    storm_flow = _slow_workflow(storm, target, "storm")
    quiet_flow = _slow_workflow(quiet, target, "quiet")
    storm_runs = [run(storm, storm_flow) for _ in range(12)]
    time.sleep(0.2)
    quiet_runs = [run(quiet, quiet_flow) for _ in range(2)]

    quiet_done = [wait_finished(quiet, r, timeout=30) for r in quiet_runs]
    storm_done = [wait_finished(storm, r, timeout=60) for r in storm_runs]

    assert all(e.status == "succeeded" for e in quiet_done + storm_done)
    assert target.peak["storm"] <= 2, "the storm tenant exceeded its concurrency cap"
    last_quiet = max(e.finished_at for e in quiet_done)
    last_storm = max(e.finished_at for e in storm_done)
    assert last_quiet < last_storm, "the quiet tenant waited behind the storm"
