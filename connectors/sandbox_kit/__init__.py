"""Shared building blocks for provider sandbox simulators (tests and the demo, never production).

A provider sandbox combines: :class:`OAuthServer` (+ :func:`oauth_routes`) for the OAuth dance
(or :class:`ApiKeys` for key-authenticated APIs),
:func:`build_app` to put its API routes behind :class:`BearerGuard` and :class:`RateLimitGuard`
(fixed windows or :class:`LeakyBucketLimiter`),
:class:`IdempotencyStore` for Idempotency-Key, :class:`WebhookSender` for signed deliveries and
:class:`SandboxServer` to serve it on 127.0.0.1; :func:`rebase` points a connector at it.
"""

from connectors.sandbox_kit.apikeys import ApiKeys
from connectors.sandbox_kit.app import access_in, build_app
from connectors.sandbox_kit.bearer import BearerGuard, access_of, bearer_token
from connectors.sandbox_kit.bucket import LeakyBucketLimiter
from connectors.sandbox_kit.clock import Clock, ManualClock, SystemClock
from connectors.sandbox_kit.idempotency import IdempotencyMismatch, IdempotencyStore, fingerprint
from connectors.sandbox_kit.oauth import (
    AccessToken,
    AuthorizePageError,
    Client,
    Grant,
    OAuthError,
    OAuthServer,
    OAuthSettings,
    s256,
)
from connectors.sandbox_kit.oauth_routes import comma_separated_scopes, oauth_routes
from connectors.sandbox_kit.ratelimit import (
    Decision,
    FixedWindowLimiter,
    Limiter,
    RateLimitGuard,
    Window,
)
from connectors.sandbox_kit.server import SandboxServer
from connectors.sandbox_kit.urls import rebase
from connectors.sandbox_kit.webhooks import (
    Delivery,
    Subscription,
    WebhookSender,
    b64,
    encode,
    hmac_sha256,
)

__all__ = [
    "AccessToken",
    "ApiKeys",
    "AuthorizePageError",
    "BearerGuard",
    "Client",
    "Clock",
    "Decision",
    "Delivery",
    "FixedWindowLimiter",
    "Grant",
    "IdempotencyMismatch",
    "IdempotencyStore",
    "LeakyBucketLimiter",
    "Limiter",
    "ManualClock",
    "OAuthError",
    "OAuthServer",
    "OAuthSettings",
    "RateLimitGuard",
    "SandboxServer",
    "Subscription",
    "SystemClock",
    "WebhookSender",
    "Window",
    "access_in",
    "access_of",
    "b64",
    "bearer_token",
    "build_app",
    "comma_separated_scopes",
    "encode",
    "fingerprint",
    "hmac_sha256",
    "oauth_routes",
    "rebase",
    "s256",
]
