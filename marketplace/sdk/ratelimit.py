"""A provider's documented rate limits, declared by the connector."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` calls per ``window_seconds`` per (tenant, connection).

    ``kind`` is "window" (fixed/sliding window) or "bucket" (leaky bucket: ``limit`` is the
    bucket size and ``window_seconds / limit`` the leak interval, as Shopify documents).
    """

    name: str
    limit: int
    window_seconds: float
    kind: str = "window"
