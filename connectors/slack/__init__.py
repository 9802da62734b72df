"""Slack connector: post to channels, send DMs, and the Events API trigger (OAuth v2 bot token)."""

from connectors.slack.actions import ACTIONS
from connectors.slack.triggers import TRIGGERS
from marketplace.sdk import Connector, OAuth2AuthCode, RateLimit

AUTH = OAuth2AuthCode(
    authorize_url="https://slack.com/oauth/v2/authorize",
    token_url="https://slack.com/api/oauth.v2.access",
    scopes=("chat:write", "chat:write.public", "im:write", "app_mentions:read",
            "channels:history"),
    pkce=False,  # Slack's v2 flow for server-side apps authenticates with the client secret
)  # fmt: skip

connector = Connector(
    key="slack",
    name="Slack",
    version="1.0.0",
    description="Post messages to channels, send direct messages, react to Slack events.",
    icon="slack",
    categories=("communication",),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    rate_limits=(
        # chat.postMessage is Slack's "special" tier: about 1 message a second per channel
        # (declared per connection, the strictest reading); conversations.open is Tier 3.
        RateLimit("post_message", 1, 1),
        RateLimit("tier3_minute", 50, 60),
    ),
    base_url="https://slack.com/api",
)

ORIGINS = ("https://slack.com",)
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "connector"]
