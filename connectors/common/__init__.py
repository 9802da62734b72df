"""Helpers every built-in connector shares (HTTP error classification)."""

from connectors.common.http_errors import raise_for_status, retry_after_seconds, send

__all__ = ["raise_for_status", "retry_after_seconds", "send"]
