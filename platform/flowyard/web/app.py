"""The Reflex app: pages, our ``/auth`` routes and the security-headers wrapper, one port."""

from __future__ import annotations

import reflex as rx

from flowyard.api.auth_routes import auth_app
from flowyard.api.hooks_routes import hooks_app
from flowyard.api.oauth_routes import oauth_app
from flowyard.api.security_headers import security_headers
from flowyard.api.sso_routes import sso_app
from flowyard.api.v1.app import api_app
from flowyard.web.pages import (
    api_keys,
    audit,
    builder,
    compliance,
    home,
    integrations,
    invite,
    login,
    runs,
    security,
    security_login,
    settings,
    tenant,
    webhooks,
    workflows,
)

app = rx.App(
    api_transformer=[auth_app(), sso_app(), oauth_app(), api_app(), security_headers, hooks_app()],
    head_components=[rx.el.meta(name="robots", content="noindex")],
)

for page in (
    login,
    home,
    tenant,
    settings,
    invite,
    webhooks,
    workflows,
    builder,
    runs,
    integrations,
    security,
    security_login,
    api_keys,
    audit,
    compliance,
):
    page.add_to(app)
