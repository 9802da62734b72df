"""The provider-limit window on a real Redis, driven by a controllable clock.

Redis still expires keys by real time, so the buckets are kept for the run (see ``_granted``).
What matters is at the provider: calls granted in order may arrive up to the travel margin out of
order, so any ``limit + 1`` granted calls must lie more than ``window + margin`` apart.
"""

from __future__ import annotations

import itertools

import pytest

from flowyard.integrations.ratelimit import TRAVEL_MARGIN_SECONDS, SlidingWindow, backend


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _granted(limit: int, seconds: float, step: float, attempts: int) -> list[float]:
    clock = Clock(1_800_000_000.0)
    window = SlidingWindow(backend(), f"test:{limit}/{seconds}", limit=limit, seconds=seconds,
                           clock=clock)  # fmt: skip
    # Redis expires the buckets by its own clock, which this one does not drive: on a loaded
    # machine the run's real time can outlast a bucket's TTL (the span) while the test clock
    # still counts it, and a vanished bucket grants extra calls. Keep them for the whole run.
    window.window_millis = 600_000
    granted = []
    for _ in range(attempts):
        with window.acquire(raise_on_failure=False) as acquired:
            if acquired:
                granted.append(clock.now)
        clock.now += step
    return granted


LIMITS_AND_PACES = [
    (10, 2, 0.013), (10, 2, 0.25), (1, 1, 0.05), (100, 1, 0.002), (60, 60, 0.17), (110, 10, 0.031),
]  # fmt: skip


@pytest.mark.parametrize(("limit", "seconds", "step"), LIMITS_AND_PACES)
def test_no_limit_plus_one_calls_fit_in_the_window_plus_margin(redis, limit, seconds, step):
    granted = _granted(limit, seconds, step, attempts=int(4 * (seconds + 1) / step))
    assert len(granted) > 2 * limit  # the run covers several windows
    closest = min(later - first for first, later in zip(granted, granted[limit:], strict=False))
    assert closest > seconds + TRAVEL_MARGIN_SECONDS - 1e-9


@pytest.mark.parametrize(
    ("limit", "seconds", "step"),
    [(10, 2, 0.05), (1, 1, 0.05), (100, 1, 0.0025), (60, 60, 0.25), (110, 10, 0.0227)],
)
def test_a_steady_caller_gets_most_of_the_allowance(redis, limit, seconds, step):
    """Dramatiq's whole-second buckets gave a 1-second limit half its rate; these give more."""
    granted = _granted(limit, seconds, step, attempts=int(4 * (seconds + 1) / step))
    rate = (len(granted) - 1) / (granted[-1] - granted[0])
    assert rate >= 0.6 * limit / seconds


def test_keys_stay_few_for_any_sliding_window(redis):
    for seconds in itertools.chain([0.5, 1, 2, 5, 7.5, 10, 30], range(60, 121, 15)):
        window = SlidingWindow(backend(), "test:keys", limit=5, seconds=seconds)
        assert window.window <= 56, seconds
        assert window.span_seconds >= seconds + TRAVEL_MARGIN_SECONDS
