"""Reflex configuration: the app lives in ``flowyard.web.app``; page state lives in Redis.

State must survive several web workers and restarts, so the disk store (Reflex's default)
is never used: without ``REDIS_URL`` the app refuses to start.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from flowyard.settings import get_settings

_redis_url = get_settings().redis_url or os.environ.get("REFLEX_REDIS_URL")
if not _redis_url:
    raise SystemExit(
        "REDIS_URL is not set. Start the web interface with `flowyard web` or `flowyard up` "
        "(they start an embedded Redis), or point REDIS_URL at your Redis server."
    )

config = rx.Config(
    app_name="flowyard",
    app_module_import="flowyard.web.app",
    redis_url=_redis_url,
    state_manager_mode="redis",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
    default_color_mode="light",
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="gray", radius="medium")
        )
    ],
)
