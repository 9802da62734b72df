"""Outbound webhook settings (environment variables, with the defaults of established services)."""

from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOWYARD_WEBHOOK_", extra="ignore")

    timeout_seconds: float = Field(default=15.0, description="Per attempt; a timeout is a failure.")
    disable_after_hours: float = Field(
        default=120.0, description="Disable an endpoint that has failed for this long (5 days)."
    )
    rotation_overlap_hours: float = Field(
        default=24.0, description="How long the previous secret keeps signing after a rotation."
    )
    lease_seconds: float = Field(
        default=60.0, description="An attempt not finished by then (worker died) is tried again."
    )


@functools.cache
def webhook_settings() -> WebhookSettings:
    return WebhookSettings()
