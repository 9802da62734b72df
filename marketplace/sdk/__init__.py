"""The plugin SDK: what a connector (built-in or third-party) is written with.

It knows nothing of Flowyard's core: an action sees only its :class:`ActionContext`.
"""

from marketplace.sdk.action import Action
from marketplace.sdk.auth import (
    ApiKeyAuth,
    Auth,
    BasicAuth,
    NoAuth,
    OAuth2AuthCode,
    OAuth2ClientCredentials,
)
from marketplace.sdk.connector import Connector, ConnectorDefinitionError
from marketplace.sdk.context import ActionContext
from marketplace.sdk.errors import (
    ActionError,
    ActionTimeout,
    AuthError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from marketplace.sdk.ratelimit import RateLimit
from marketplace.sdk.trigger import PollingTrigger, PollResult, Trigger, WebhookTrigger

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "ActionTimeout",
    "ApiKeyAuth",
    "Auth",
    "AuthError",
    "BasicAuth",
    "Connector",
    "ConnectorDefinitionError",
    "InvalidInputError",
    "NetworkError",
    "NoAuth",
    "NotFoundError",
    "OAuth2AuthCode",
    "OAuth2ClientCredentials",
    "PollResult",
    "PollingTrigger",
    "RateLimit",
    "RateLimitedError",
    "ServerError",
    "Trigger",
    "WebhookTrigger",
]  # fmt: skip
