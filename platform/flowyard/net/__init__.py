"""Outbound networking helpers (destination guard for user-controlled URLs)."""

from flowyard.net.ssrf import (
    AllowList,
    DestinationRefused,
    GuardedTransport,
    SyncGuardedTransport,
    check_url,
)

__all__ = [
    "AllowList",
    "DestinationRefused",
    "GuardedTransport",
    "SyncGuardedTransport",
    "check_url",
]
