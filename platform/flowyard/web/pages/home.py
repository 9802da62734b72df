"""``/``: the agency's client accounts, as cards that open each client."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import empty_state, loading, notice
from flowyard.web.state.home import HomeState


def _client_card(client: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(client["name"], size="4"),
                    rx.spacer(),
                    rx.badge(client["plan"], variant="soft"),
                    width="100%",
                    align="center",
                ),
                rx.text(client["locale"], " · ", client["currency"], size="2",
                        color_scheme="gray"),
                rx.text(client["timezone"], size="2", color_scheme="gray"),
                spacing="2",
                align="start",
            ),
            width="100%",
            _hover={"box_shadow": "0 0 0 2px " + HomeState.brand_color},
        ),
        href="/t/" + client["slug"].to(str),
        underline="none",
        color="inherit",
        class_name="client-card",
        width="100%",
    )  # fmt: skip


def _content() -> rx.Component:
    clients = rx.cond(
        HomeState.clients.length() > 0,
        rx.grid(
            rx.foreach(HomeState.clients, _client_card),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            HomeState.can_view_agency,
            empty_state("building_2", "No clients yet",
                        "Add your first client account in Settings to start automating for them."),
            empty_state("lock", "No client accounts yet",
                        "Ask your agency to invite you to a client account."),
        ),
    )  # fmt: skip
    return rx.vstack(
        rx.heading("Your clients", size="7"),
        rx.text("Open a client to see their workflows and connections.", color_scheme="gray"),
        rx.cond(
            ~HomeState.loaded,
            loading("Loading your clients…"),
            rx.cond(
                HomeState.load_error != "",
                rx.vstack(
                    notice(HomeState.load_error),
                    rx.button("Try again", on_click=HomeState.load, variant="outline"),
                ),
                clients,
            ),
        ),
        spacing="4",
        width="100%",
    )


def home_page() -> rx.Component:
    return shell(_content(), active="home")


def add_to(app: rx.App) -> None:
    app.add_page(home_page, route="/", title="Clients", on_load=HomeState.load)
