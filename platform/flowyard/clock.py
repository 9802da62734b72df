"""The one injectable clock: schedules, retries, backoff, leases and expiry read time here.

Tests move time with :func:`frozen` instead of sleeping.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time (timezone-aware, UTC)."""
    return _source()


@contextlib.contextmanager
def frozen(start: datetime) -> Iterator[Callable[[timedelta], None]]:
    """Freeze time at ``start``; the yielded function moves it forward."""
    global _source
    current = [start]
    previous = _source
    _source = lambda: current[0]  # noqa: E731

    def advance(delta: timedelta) -> None:
        current[0] = current[0] + delta

    try:
        yield advance
    finally:
        _source = previous
