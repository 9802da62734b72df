"""One injectable clock for every sandbox component, so tests move time instead of sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock (the demo and manual runs)."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when a test says so (token expiry, rate windows, code expiry)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds``; returns the new time."""
        with self._lock:
            self._now += float(seconds)
            return self._now

    def set(self, timestamp: float) -> None:
        with self._lock:
            self._now = float(timestamp)
