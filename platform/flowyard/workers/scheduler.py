"""The scheduler process: enqueues periodic jobs exactly once per slot.

Several scheduler processes may run (for availability); each due slot is claimed with
Redis ``SET NX`` on a key naming the job and the slot, so only one of them enqueues it.
Later issues add workflow schedules (cron per tenant) to the same loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

from flowyard.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    enqueue: Callable[[], object]


def default_jobs() -> list[PeriodicJob]:
    from flowyard.integrations import actors as integrations
    from flowyard.workers import maintenance

    return [
        PeriodicJob("purge_expired_sessions", 3600, maintenance.purge_expired_sessions.send),
        PeriodicJob("refresh_expiring_tokens", 60, integrations.refresh_expiring.send),
        PeriodicJob("run_due_syncs", 60, integrations.run_due_syncs.send),
    ]


class Scheduler:
    """Claims and enqueues due job slots; ``clock`` is injectable so tests move time."""

    def __init__(
        self,
        client: redis.Redis,
        jobs: list[PeriodicJob],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.jobs = jobs
        self.clock = clock

    def tick(self) -> list[str]:
        """Enqueue every job whose current slot nobody has claimed yet; return their names."""
        now = self.clock()
        fired = []
        for job in self.jobs:
            slot = int(now // job.every_seconds)
            key = f"flowyard:sched:{job.name}:{slot}"
            if self.client.set(key, "1", nx=True, ex=job.every_seconds * 2 + 60):
                job.enqueue()
                fired.append(job.name)
        return fired

    def run(
        self,
        stop: threading.Event,
        interval: float = 1.0,
        every_tick: Sequence[Callable[[], object]] = (),
    ) -> None:
        """Tick until ``stop``: periodic jobs, then the every-second tasks (each guarded)."""
        log.info("scheduler started with %d periodic jobs", len(self.jobs))
        while not stop.is_set():
            try:
                for name in self.tick():
                    log.info("enqueued %s", name)
            except redis.RedisError as error:
                log.warning("Redis unavailable, retrying: %s", error)
            for task in every_tick:
                try:
                    task()
                except Exception:
                    log.exception("scheduler task %s failed; will retry", task.__name__)
            stop.wait(interval)


def run_forever() -> None:
    """Entry point for ``flowyard scheduler``; stops cleanly on SIGINT/SIGTERM."""
    import signal

    client = redis.Redis.from_url(get_settings().redis_url or "")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    Scheduler(client, default_jobs()).run(stop, every_tick=every_second_tasks())


def every_second_tasks() -> list[Callable[[], object]]:
    """Relay the outbox, fire due schedules, resume stuck executions (all SKIP LOCKED)."""
    from flowyard.db import system_session
    from flowyard.engine import sweeper
    from flowyard.triggers import polling, schedules
    from flowyard.workers import engine_actors, outbox  # noqa: F401  (registers actors)

    def fire_schedules() -> int:
        with system_session() as db:
            return schedules.fire_due(db)

    def sweep_executions() -> int:
        with system_session() as db:
            return sweeper.sweep(db)

    def queue_polls() -> int:
        with system_session() as db:
            return polling.queue_due(db)

    from flowyard.webhooks.delivery import release_due as release_webhook_deliveries

    return [
        outbox.relay_pending,
        fire_schedules,
        sweep_executions,
        queue_polls,
        release_webhook_deliveries,
    ]
