"""Errors an action raises, classified so the engine knows whether retrying can help."""

from __future__ import annotations


class ActionError(Exception):
    """The action failed. ``kind`` drives the step's retry policy; ``message`` is for people."""

    kind: str = "error"
    retryable: bool = False

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInputError(ActionError):
    kind = "invalid_input"


class AuthError(ActionError):
    """The provider refused our credentials (the connection may need reconnecting)."""

    kind = "auth"


class NotFoundError(ActionError):
    kind = "not_found"


class ActionTimeout(ActionError):
    kind = "timeout"
    retryable = True


class NetworkError(ActionError):
    kind = "network"
    retryable = True


class ServerError(ActionError):
    kind = "server_error"
    retryable = True


class RateLimitedError(ActionError):
    """The provider said slow down; ``retry_after`` seconds is when to try again."""

    kind = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, details: object = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after
