"""Parsing of scheme options carried in the scheme string (``"stripe?tolerance=600"``).

Options come from our own configuration, never from the request, so a bad option is a
programmer/configuration error and raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from flowyard.webhooks.schemes._common import DEFAULT_TOLERANCE


def check_names(scheme: str, options: Mapping[str, str], allowed: Collection[str]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"Unknown option(s) {unknown} for scheme {scheme!r} (known: {known}).")


def tolerance(options: Mapping[str, str], default: float = DEFAULT_TOLERANCE) -> float:
    """Replay window in seconds; must be a positive finite number."""
    raw = options.get("tolerance")
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"tolerance must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"tolerance must be a positive number of seconds, got {raw!r}")
    return value


def choice(options: Mapping[str, str], name: str, allowed: Collection[str], default: str) -> str:
    value = options.get(name, default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value
