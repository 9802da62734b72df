"""``/t/[slug]``: a client account's home (a dashboard that grows with later issues)."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import empty_state, loading
from flowyard.web.state.tenant import TenantState


def _no_access() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("lock", size=28),
            rx.heading("You don't have access to this client account", size="5",
                       id="no-access"),
            rx.text("If you think you should, ask an administrator at your agency to invite you."),
            rx.link("Go to your home page", href=TenantState.home_path),
            spacing="3",
            padding="16px",
        ),
        width="100%",
    )  # fmt: skip


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray", weight="medium"),
        rx.text(value, size="3"),
        spacing="1",
    )


def _dashboard() -> rx.Component:
    t = TenantState.tenant
    return rx.vstack(
        rx.heading(t["name"], size="7", id="tenant-name"),
        rx.text("You are signed in as ", TenantState.role_label.lower(), ".",
                color_scheme="gray"),
        rx.card(
            rx.grid(
                _fact("Plan", t["plan"]),
                _fact("Language", t["locale"]),
                _fact("Currency", t["currency"]),
                _fact("Time zone", t["timezone"]),
                columns=rx.breakpoints(initial="2", md="4"),
                spacing="4",
                width="100%",
            ),
            width="100%",
        ),
        rx.heading("Workflows", size="5", margin_top="8px"),
        empty_state("workflow", "No workflows yet",
                    "Workflows automate the jobs you do by hand, like sending invoices when an "
                    "order is paid. Building them arrives in the next update."),
        rx.heading("Connections", size="5", margin_top="8px"),
        empty_state("plug", "No connected apps yet",
                    "Connect the apps this business uses (Xero, Shopify, Slack …) so workflows "
                    "can work with them. Connecting arrives in a later update."),
        spacing="4",
        width="100%",
    )  # fmt: skip


def _content() -> rx.Component:
    return rx.cond(
        ~TenantState.loaded,
        loading(),
        rx.cond(TenantState.no_access, _no_access(), _dashboard()),
    )


def tenant_page() -> rx.Component:
    return shell(_content(), active="home")


def add_to(app: rx.App) -> None:
    app.add_page(tenant_page, route="/t/[slug]", title="Client", on_load=TenantState.load)
