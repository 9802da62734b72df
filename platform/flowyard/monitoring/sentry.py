"""Error reporting to Sentry when ``SENTRY_DSN`` is set; a no-op otherwise."""

from __future__ import annotations

from flowyard.settings import Settings


def init_sentry(settings: Settings, component: str) -> bool:
    """Start the Sentry SDK for this process; True when reporting is on."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        server_name=component,
        send_default_pii=False,
        traces_sample_rate=0.0,
        integrations=[LoggingIntegration()],
    )
    sentry_sdk.set_tag("component", component)
    return True
