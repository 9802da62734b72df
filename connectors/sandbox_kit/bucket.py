"""Leaky-bucket rate limiting (Shopify's REST model) with the sandbox's clock.

Each call adds one marble; the bucket drains ``leak_per_second`` marbles a second; a call that
finds it full is refused (and not counted) with ``retry_after`` = whole seconds until one drains.
"""

from __future__ import annotations

import math
import threading

from connectors.sandbox_kit.clock import Clock
from connectors.sandbox_kit.ratelimit import Decision, Window


class LeakyBucketLimiter:
    """``remaining[name]`` is the free room in the bucket after this call."""

    def __init__(
        self, size: int, leak_per_second: float, clock: Clock, *, name: str = "bucket"
    ) -> None:
        self.size = size
        self.leak_per_second = float(leak_per_second)
        self.clock = clock
        self.name = name
        self._levels: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def level(self, key: str) -> float:
        """Marbles in ``key``'s bucket now (after leaking)."""
        with self._lock:
            return self._drained(key, self.clock.now())

    def _drained(self, key: str, now: float) -> float:
        level, since = self._levels.get(key, (0.0, now))
        return max(0.0, level - (now - since) * self.leak_per_second)

    def hit(self, key: str) -> Decision:
        now = self.clock.now()
        with self._lock:
            level = self._drained(key, now)
            if level + 1 > self.size:
                wait = max(1, math.ceil((level + 1 - self.size) / self.leak_per_second))
                self._levels[key] = (level, now)
                window = Window(self.name, self.size, self.size / self.leak_per_second)
                return Decision(False, {self.name: 0}, window, wait)
            self._levels[key] = (level + 1, now)
            return Decision(True, {self.name: math.floor(self.size - level - 1)})

    def reset(self) -> None:
        with self._lock:
            self._levels.clear()
