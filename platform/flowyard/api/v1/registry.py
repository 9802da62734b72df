"""The one router every resource module adds its operations to."""

from __future__ import annotations

from flowyard.api.v1.router import ApiRouter

router = ApiRouter()
