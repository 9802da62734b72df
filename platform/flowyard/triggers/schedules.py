"""Cron schedules in the tenant's time zone, fired exactly once per slot.

Due rows of ``schedule_state`` are claimed with ``FOR UPDATE SKIP LOCKED``, so two scheduler
processes never fire the same schedule, and each run's trigger key is its slot, so even a
replayed tick cannot start a slot twice. Slots missed while the platform was down follow
the workflow's catch-up policy: ``none`` skips them (only a slot under a minute late still
fires), ``latest`` runs the most recent one, ``all`` runs each (up to ``max_runs``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlmodel import Session, col, delete, select

from flowyard import clock
from flowyard.engine.document import ScheduleTrigger
from flowyard.engine.models import Workflow
from flowyard.triggers.models import ScheduleState

log = logging.getLogger(__name__)
ON_TIME_GRACE = timedelta(seconds=60)


def next_slot(cron: str, timezone: str, after: datetime) -> datetime:
    """The first slot strictly after ``after``, computed in the schedule's local time."""
    local = after.astimezone(ZoneInfo(timezone))
    return croniter(cron, local).get_next(datetime).astimezone(ZoneInfo("UTC"))


def upsert(db: Session, workflow: Workflow, trigger: ScheduleTrigger, tenant_tz: str) -> None:
    timezone = trigger.timezone or tenant_tz
    state = db.get(ScheduleState, workflow.id) or ScheduleState(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        cron=trigger.cron,
        timezone=timezone,
    )
    changed = state.cron != trigger.cron or state.timezone != timezone
    state.cron, state.timezone = trigger.cron, timezone
    state.catch_up, state.catch_up_max = trigger.catch_up.policy, trigger.catch_up.max_runs
    if changed or state.last_slot_at is None:
        state.next_run_at = next_slot(trigger.cron, timezone, clock.now())
    db.add(state)


def remove(db: Session, workflow_id: uuid.UUID) -> None:
    db.exec(delete(ScheduleState).where(col(ScheduleState.workflow_id) == workflow_id))  # type: ignore[call-overload]


def slots_to_fire(state: ScheduleState, now: datetime) -> tuple[list[datetime], datetime]:
    """Which due slots to run under the catch-up policy, and the next slot after ``now``."""
    due: list[datetime] = []
    slot = state.next_run_at
    cap = max(state.catch_up_max, 1) + 1
    while slot <= now and len(due) < 10_000:
        due.append(slot)
        slot = next_slot(state.cron, state.timezone, slot)
    if state.catch_up == "all":
        chosen = due[-cap + 1 :] if len(due) > cap - 1 else due
    elif state.catch_up == "latest":
        chosen = due[-1:]
    else:
        chosen = [s for s in due[-1:] if now - s <= ON_TIME_GRACE]
    return chosen, slot


def fire_due(db: Session, *, limit: int = 100) -> int:
    """Claim due schedules, start their runs, advance them; returns how many runs started."""
    from flowyard.engine.executions import CannotStart, start_execution

    now = clock.now()
    states = db.exec(
        select(ScheduleState)
        .where(ScheduleState.next_run_at <= now)
        .order_by(col(ScheduleState.next_run_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    started = 0
    for state in states:
        slots, upcoming = slots_to_fire(state, now)
        workflow = db.get(Workflow, state.workflow_id)
        for slot in slots:
            if workflow is None:
                break
            payload = {"scheduled_for": slot.isoformat(), "fired_at": now.isoformat()}
            try:
                start_execution(
                    db,
                    workflow,
                    payload,
                    trigger_kind="schedule",
                    trigger_key=f"schedule:{slot.isoformat()}",
                    commit=False,
                )
                started += 1
            except CannotStart as reason:
                log.info("schedule of %s skipped: %s", state.workflow_id, reason)
        state.last_slot_at = slots[-1] if slots else state.last_slot_at
        state.next_run_at = upcoming
        db.add(state)
    db.commit()
    return started
