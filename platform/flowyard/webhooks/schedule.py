"""When to try a failed delivery again: the schedule of an established webhook service."""

from __future__ import annotations

import random
from datetime import timedelta

# Delay before attempt n+1 after attempt n failed (attempt 1 is immediate).
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.1


def next_delay(attempts_made: int, rng: random.Random | None = None) -> timedelta | None:
    """The wait before the next attempt (±10% jitter so retries do not stampede), or None
    when every attempt has been used."""
    if attempts_made < 1 or attempts_made >= MAX_ATTEMPTS:
        return None
    base = RETRY_SCHEDULE[attempts_made - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor
