"""Two schedulers on one Redis fire each periodic slot exactly once (moved clock, no sleeps)."""

from __future__ import annotations

import redis as redis_lib

from flowyard.workers.scheduler import PeriodicJob, Scheduler


def test_each_slot_fires_once_across_two_schedulers(redis: str) -> None:
    fired: list[str] = []
    now = [1_000_000.0]
    job = PeriodicJob("report", 60, lambda: fired.append("report"))
    client = redis_lib.Redis.from_url(redis)
    one = Scheduler(client, [job], clock=lambda: now[0])
    two = Scheduler(client, [job], clock=lambda: now[0])

    for _ in range(3):
        one.tick()
        two.tick()
    assert fired == ["report"]

    now[0] += 59.0 - (now[0] % 60)  # still the same minute
    one.tick()
    two.tick()
    assert fired == ["report"]

    now[0] += 2.0  # next slot
    two.tick()
    one.tick()
    assert fired == ["report", "report"]


def test_purge_expired_sessions_actor_deletes_only_dead_sessions(db: str, redis: str) -> None:
    from datetime import timedelta

    from sqlmodel import select

    from flowyard.db import system_session
    from flowyard.security.sessions import LoginSession, start_session
    from flowyard.workers.maintenance import purge_expired_sessions
    from tenants import service

    with system_session() as s:
        user = service.create_user(s, "pat@example.com")
        start_session(s, user, ttl=timedelta(hours=1))
        start_session(s, user, ttl=timedelta(seconds=-1))
    purge_expired_sessions.fn()
    with system_session() as s:
        assert len(s.exec(select(LoginSession)).all()) == 1
