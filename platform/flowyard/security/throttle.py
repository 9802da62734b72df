"""Login throttling per account and per IP, in Redis so every web worker shares it.

Failures count in a 15-minute window. Past the free attempts, each further failure locks the
account (or IP) for twice as long as the last time: 30 s, 1 min, 2 min … up to 15 min. Lock
times are compared with :func:`flowyard.clock.now`, so tests move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

from flowyard import clock
from flowyard.security.redis_store import client

WINDOW_SECONDS = 15 * 60
FREE_ATTEMPTS = {"acct": 5, "ip": 20}
BASE_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60


@dataclass(frozen=True)
class Locked:
    """Sign-in is paused for this account or address; ``message`` is for the person."""

    seconds: int

    @property
    def message(self) -> str:
        if self.seconds < 90:
            wait = f"{self.seconds} seconds"
        else:
            wait = f"{math.ceil(self.seconds / 60)} minutes"
        return (
            "Too many sign-in attempts. For your security, sign-in is paused for "
            f"{wait}. Try again then, or reset your password."
        )


def _subjects(email: str, ip: str | None) -> list[tuple[str, str]]:
    found = []
    if email:
        found.append(("acct", hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]))
    if ip:
        found.append(("ip", ip))
    return found


def check(email: str, ip: str | None) -> Locked | None:
    """The longest lock in force for this email or IP, if any."""
    now = clock.now().timestamp()
    r = client()
    waits = []
    for kind, subject in _subjects(email, ip):
        until = r.get(f"fy:login:lock:{kind}:{subject}")
        if until is not None and float(until) > now:
            waits.append(math.ceil(float(until) - now))
    return Locked(max(waits)) if waits else None


def failed(email: str, ip: str | None) -> Locked | None:
    """Count a failed attempt; returns the lock it caused, if any."""
    now = clock.now().timestamp()
    r = client()
    longest = 0
    for kind, subject in _subjects(email, ip):
        counter = f"fy:login:fail:{kind}:{subject}"
        pipe = r.pipeline()
        pipe.zremrangebyscore(counter, "-inf", now - WINDOW_SECONDS)
        pipe.zadd(counter, {f"{now}:{secrets.token_hex(4)}": now})
        pipe.zcard(counter)
        pipe.expire(counter, WINDOW_SECONDS)
        count = pipe.execute()[2]
        over = count - FREE_ATTEMPTS[kind]
        if over > 0:
            seconds = min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** (over - 1))
            r.set(f"fy:login:lock:{kind}:{subject}", now + seconds, ex=MAX_LOCK_SECONDS * 2)
            longest = max(longest, seconds)
    return Locked(longest) if longest else None


def succeeded(email: str, ip: str | None) -> None:
    """A correct password clears the account's failures (not the IP's)."""
    for kind, subject in _subjects(email, None):
        client().delete(f"fy:login:fail:{kind}:{subject}", f"fy:login:lock:{kind}:{subject}")
    del ip
