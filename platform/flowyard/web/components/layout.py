"""The one page template: branded header, tenant switcher, signed-in user, navigation.

Pages are functions returning their content; ``shell(content)`` wraps it. Areas that are not
built yet appear in the navigation as "Soon" (not links), so nobody lands on an empty page.
On phones the side navigation folds into a Menu button.
"""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.native_form import native_form
from flowyard.web.state.session import SessionState

# (label, icon) of areas still to come; shown but not linked.
COMING_SOON = (
    ("Marketplace", "store"),
    ("Monitoring", "activity"),
    ("Help", "life_buoy"),
)


def _nav_link(label: str, href: rx.Var | str, icon: str, active: bool) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label), align="center", spacing="2"),
        href=href,
        padding="8px 12px",
        border_radius="8px",
        width="100%",
        underline="none",
        weight="medium",
        color=rx.cond(active, SessionState.brand_text, rx.color("gray", 12)),
        background_color=rx.cond(active, SessionState.brand_color, "transparent"),
        aria_current=rx.cond(active, "page", "false"),
        _hover={"background_color": rx.cond(active, SessionState.brand_color, rx.color("gray", 3))},
    )


def _soon(label: str, icon: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=18),
        rx.text(label),
        rx.spacer(),
        rx.badge("Soon", variant="soft", color_scheme="gray", size="1"),
        align="center",
        spacing="2",
        padding="8px 12px",
        color=rx.color("gray", 10),
        width="100%",
        aria_disabled="true",
        title=f"{label} is not available yet",
    )


def _webhooks_link(active: bool) -> rx.Component:
    """The open client's Webhooks page, or the agency-wide one for agency staff."""
    return rx.cond(
        SessionState.current_tenant_slug != "",
        _nav_link("Webhooks", f"/t/{SessionState.current_tenant_slug}/webhooks", "webhook",
                  active),
        rx.cond(SessionState.can_view_agency,
                _nav_link("Webhooks", "/webhooks", "webhook", active)),
    )  # fmt: skip


def _tenant_link(label: str, area: str, icon: str, active: bool) -> rx.Component:
    """A link into the open client account (hidden until one is open)."""
    return rx.cond(
        SessionState.current_tenant_slug != "",
        _nav_link(label, f"/t/{SessionState.current_tenant_slug}/{area}", icon, active),
    )


def nav_items(active: str) -> rx.Component:
    return rx.vstack(
        _nav_link("Home", SessionState.home_path, "house", active == "home"),
        _tenant_link("Workflows", "workflows", "workflow", active == "workflows"),
        _tenant_link("Runs", "runs", "history", active == "runs"),
        _tenant_link("Integrations", "integrations", "plug", active == "integrations"),
        _webhooks_link(active == "webhooks"),
        *(_soon(label, icon) for label, icon in COMING_SOON),
        rx.cond(
            SessionState.can_open_settings,
            _nav_link("Settings", "/settings", "settings", active == "settings"),
        ),
        _nav_link("Security", "/security", "shield_check", active == "security"),
        rx.cond(
            SessionState.can_open_settings,
            rx.fragment(
                _nav_link("API keys", "/api-keys", "key_round", active == "api_keys"),
                _nav_link("Audit trail", "/audit", "scroll_text", active == "audit"),
            ),
        ),
        rx.cond(
            SessionState.can_view_agency,
            _nav_link("Compliance", "/compliance", "badge_check", active == "compliance"),
        ),
        spacing="1",
        width="100%",
        role="navigation",
        aria_label="Main",
    )


def tenant_switcher() -> rx.Component:
    """Pick which client account to open; only the ones this user may open are listed."""
    label = rx.cond(
        SessionState.current_tenant_name != "",
        SessionState.current_tenant_name,
        "Choose a client",
    )
    return rx.cond(
        SessionState.tenant_links.length() > 0,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("building_2", size=16),
                    rx.text(label, trim="both", max_width="180px", truncate=True),
                    rx.icon("chevron_down", size=16),
                    variant="surface",
                    color_scheme="gray",
                    aria_label="Switch client account",
                    id="tenant-switcher",
                ),
            ),
            rx.menu.content(
                rx.foreach(
                    SessionState.tenant_links,
                    lambda t: rx.menu.item(
                        t["name"],
                        on_select=SessionState.switch_tenant(t["slug"]),
                        data_slug=t["slug"],
                    ),
                ),
            ),
        ),
    )


def logout_form() -> rx.Component:
    return native_form(
        rx.button(
            rx.icon("log_out", size=16),
            rx.text("Sign out", display=["none", "none", "inline"]),
            type="submit",
            variant="ghost",
            color_scheme="gray",
            aria_label="Sign out",
        ),
        action="/auth/logout",
        method="post",
    )


def brand_mark() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.cond(
                SessionState.brand_logo != "",
                rx.image(src=SessionState.brand_logo, height="28px", alt=""),
            ),
            rx.text(
                SessionState.brand_name,
                weight="bold",
                size="4",
                id="brand-name",
                line_height="1.2",
                max_width=["110px", "200px", "320px"],
            ),
            align="center",
            spacing="2",
        ),
        href=SessionState.home_path,
        underline="none",
        color="inherit",
    )


def mobile_menu(active: str) -> rx.Component:
    return rx.box(
        rx.popover.root(
            rx.popover.trigger(
                rx.button(
                    rx.icon("menu", size=18),
                    variant="ghost",
                    aria_label="Menu",
                    id="menu-button",
                    style={"color": "inherit"},
                )
            ),
            rx.popover.content(nav_items(active), width="240px"),
        ),
        display=["block", "block", "none"],
    )


def header(active: str) -> rx.Component:
    return rx.hstack(
        mobile_menu(active),
        brand_mark(),
        rx.spacer(),
        tenant_switcher(),
        rx.box(
            rx.text(SessionState.user_name, size="2", weight="medium", id="signed-in-user"),
            display=["none", "none", "block"],
        ),
        logout_form(),
        align="center",
        spacing="3",
        padding_x=["12px", "16px", "24px"],
        height="60px",
        background_color=rx.color("gray", 1),
        border_bottom=f"4px solid {SessionState.brand_color}",
        id="brand-bar",
        role="banner",
        width="100%",
    )


def shell(content: rx.Component, *, active: str, wide: bool = False) -> rx.Component:
    """Wrap a page's content in the branded template (or a loading line until we know who)."""
    return rx.cond(
        SessionState.signed_in,
        rx.box(
            header(active),
            rx.hstack(
                rx.box(
                    nav_items(active),
                    width="220px",
                    min_width="220px",
                    padding="16px 12px",
                    display=["none", "none", "block"],
                    border_right=f"1px solid {rx.color('gray', 4)}",
                    min_height="calc(100vh - 60px)",
                ),
                rx.box(
                    content,
                    role="main",
                    padding=["16px", "20px", "32px"],
                    width="100%",
                    max_width="none" if wide else "1100px",
                ),
                spacing="0",
                align="start",
                width="100%",
            ),
            min_height="100vh",
        ),
        rx.center(rx.spinner(size="3"), height="100vh", aria_label="Loading"),
    )
