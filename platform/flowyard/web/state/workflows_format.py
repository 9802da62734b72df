"""How statuses, times and durations read on the workflow and run pages (words and colour)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

RUN_STATUS: dict[str, tuple[str, str]] = {
    "queued": ("Queued", "gray"),
    "running": ("Running", "blue"),
    "waiting": ("Waiting", "amber"),
    "succeeded": ("Succeeded", "green"),
    "failed": ("Failed", "red"),
    "cancelled": ("Cancelled", "gray"),
    "skipped": ("Skipped", "gray"),
}
"""status -> (word shown, Radix colour); colour is never the only signal."""


def run_status(status: str) -> tuple[str, str]:
    return RUN_STATUS.get(status, (status.capitalize(), "gray"))


def when(moment: datetime | None, timezone: str) -> str:
    """A short local time, e.g. ``3 Mar 14:05:09`` (empty when unknown)."""
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %H:%M:%S}"


def duration(milliseconds: float | None) -> str:
    """``340 ms``, ``2.4 s``, ``3 min 5 s`` (empty when unknown)."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{int(milliseconds)} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def between(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return duration((end - start).total_seconds() * 1000)
