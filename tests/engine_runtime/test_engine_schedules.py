"""Cron schedules in the tenant's time zone: each slot exactly once, catch-up by policy.

Time is moved with ``flowyard.clock.frozen`` — no sleeping for minutes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from flowyard import clock
from flowyard.db import system_session, tenant_session
from flowyard.engine.models import Execution
from flowyard.triggers import schedules
from support.engine import action, doc, publish

START = datetime(2026, 3, 2, 8, 59, 30, tzinfo=UTC)  # a Monday, 08:59:30 UTC


def _schedule(tenant, cron: str = "0 9 * * *", catch_up: str = "none", tz: str | None = None):
    trigger = {"kind": "schedule", "cron": cron, "catch_up": {"policy": catch_up, "max_runs": 5}}
    if tz:
        trigger["timezone"] = tz
    return publish(tenant, doc(f"Report {cron} {catch_up} {tz}",
                               [action("note", "core.log_note", {"message": "hi"})], [],
                               trigger=trigger))  # fmt: skip


def _fire() -> int:
    with system_session() as db:
        return schedules.fire_due(db)


def _runs(tenant, workflow) -> list[Execution]:
    with tenant_session(tenant) as db:
        return list(db.exec(select(Execution).where(Execution.workflow_id == workflow.id)
                            .order_by(Execution.trigger_key)).all())  # fmt: skip


def test_fires_each_slot_once_even_with_two_schedulers(db, redis, tenant) -> None:
    with clock.frozen(START) as advance:
        workflow = _schedule(tenant, "*/1 * * * *")
        assert _fire() == 0
        advance(timedelta(seconds=31))  # 09:00:01
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(_fire())) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(results) == 1
        assert _fire() == 0
        advance(timedelta(minutes=1))
        assert _fire() == 1
    keys = [e.trigger_key for e in _runs(tenant, workflow)]
    assert keys == ["schedule:2026-03-02T09:00:00+00:00", "schedule:2026-03-02T09:01:00+00:00"]


def test_uses_the_schedules_time_zone(db, redis, tenant) -> None:
    """09:00 in Athens is 06:00 UTC in July: published at 07:00 UTC, it runs tomorrow."""
    with clock.frozen(datetime(2026, 7, 1, 7, 0, 30, tzinfo=UTC)) as advance:
        workflow = _schedule(tenant, "0 9 * * *", tz="Europe/Athens")
        advance(timedelta(hours=2))
        assert _fire() == 0
        with system_session() as s:
            state = s.get(schedules.ScheduleState, workflow.id)
        assert state.next_run_at == datetime(2026, 7, 2, 6, 0, tzinfo=UTC)
        advance(timedelta(hours=21))  # 2026-07-02 06:00:30 UTC
        assert _fire() == 1


def test_defaults_to_the_tenants_time_zone(db, redis, tenant) -> None:
    with clock.frozen(datetime(2026, 1, 10, 12, 0, tzinfo=UTC)):
        workflow = _schedule(tenant, "30 8 * * *")  # tenant is Europe/London (UTC in winter)
        with system_session() as s:
            state = s.get(schedules.ScheduleState, workflow.id)
    assert state.timezone == "Europe/London"
    assert state.next_run_at == datetime(2026, 1, 11, 8, 30, tzinfo=UTC)


def test_catch_up_policies_after_downtime(db, redis, tenant) -> None:
    with clock.frozen(START) as advance:
        none = _schedule(tenant, "0 * * * *", "none")
        latest = _schedule(tenant, "0 * * * *", "latest")
        every = _schedule(tenant, "0 * * * *", "all")
        advance(timedelta(hours=3, minutes=10))  # down from 08:59 to 12:09: 4 slots missed
        _fire()
    assert _runs(tenant, none) == []
    assert [e.trigger_key for e in _runs(tenant, latest)] == ["schedule:2026-03-02T12:00:00+00:00"]
    assert len(_runs(tenant, every)) == 4


def test_schedule_runs_execute(worker, tenant) -> None:
    from support.engine import wait_finished

    now = clock.now()
    with clock.frozen(now.replace(second=59)) as advance:
        workflow = _schedule(tenant, "* * * * *")
        advance(timedelta(seconds=2))
        assert _fire() == 1
    run = _runs(tenant, workflow)[0]
    assert wait_finished(tenant, run.id).status == "succeeded"
