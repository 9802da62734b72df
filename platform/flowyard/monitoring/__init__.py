"""Observability: structured logs, Sentry, (later) metrics and alerts."""
