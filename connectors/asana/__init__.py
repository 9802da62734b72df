"""Asana connector: projects from templates, tasks, and task webhooks (OAuth 2.0 + PKCE)."""

from connectors.asana.actions import ACTIONS
from connectors.asana.triggers import TRIGGERS
from marketplace.sdk import Connector, OAuth2AuthCode, RateLimit

AUTH = OAuth2AuthCode(
    authorize_url="https://app.asana.com/-/oauth_authorize",
    token_url="https://app.asana.com/-/oauth_token",
    revoke_url="https://app.asana.com/-/oauth_revoke",
    scopes=(
        "projects:read",
        "projects:write",
        "project_templates:read",
        "tasks:read",
        "tasks:write",
        "webhooks:read",
        "webhooks:write",
        "webhooks:delete",
    ),
)

connector = Connector(
    key="asana",
    name="Asana",
    version="1.0.0",
    description="Start projects from templates, create and complete tasks, react to task changes.",
    icon="asana",
    categories=("project-management",),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    rate_limits=(RateLimit("minute", 150, 60),),  # free workspaces; paid ones allow 1500/min
    base_url="https://app.asana.com/api/1.0",
)

ORIGINS = ("https://app.asana.com",)
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "connector"]
