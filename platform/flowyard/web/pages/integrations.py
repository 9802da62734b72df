"""``/t/[slug]/integrations``: connect apps, see each connection's health, reconnect, sync logs.

Top to bottom: the client's connections (status in colour and words, the reason and a Reconnect
button when one stopped working), recent sync runs, then the catalog with search and categories.
Connect and Reconnect are plain links to ``/oauth/start/…`` (a full page load to the provider).
"""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, empty_state, loading, notice
from flowyard.web.state.integrations import IntegrationsState as S


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="2", weight="medium"),
        spacing="0",
        min_width="110px",
    )


def _connection(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("plug", size=20),
                rx.vstack(
                    rx.heading(card["app"], size="4"),
                    rx.text(card["account"], size="2", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.badge(card["status"], color_scheme=card["tone"].to(str), variant="soft",
                         size="2", class_name="connection-status"),
                width="100%", align="center", wrap="wrap",
            ),
            rx.cond(
                card["needs_reconnect"] != "",
                rx.callout(card["reason"], icon="triangle_alert", color_scheme="red",
                           width="100%", role="alert"),
            ),
            rx.flex(
                _fact("Last success", card["last_success"]),
                _fact("Calls today", card["calls_today"]),
                _fact("Limit left", card["headroom"]),
                gap="4", wrap="wrap", width="100%",
            ),
            rx.cond(
                card["last_error"] != "",
                rx.text("Last problem (", card["last_error_when"], "): ", card["last_error"],
                        size="1", color_scheme="gray"),
            ),
            rx.cond(
                S.can_manage,
                rx.flex(
                    rx.cond(
                        card["needs_reconnect"] != "",
                        rx.link(brand_button("Reconnect"), href=card["reconnect_url"],
                                reload_document=True, aria_label="Reconnect " + card["app"]),
                    ),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button("Disconnect", variant="soft", color_scheme="gray", size="3"),
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Disconnect ", card["app"], "?"),
                            rx.alert_dialog.description(
                                "Workflows that use this connection will stop at that step "
                                "until you connect it again."),
                            rx.flex(
                                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft",
                                                                 color_scheme="gray")),
                                rx.alert_dialog.action(rx.button(
                                    "Disconnect", color_scheme="red",
                                    on_click=S.disconnect(card["id"]))),
                                gap="3", justify="end", margin_top="12px",
                            ),
                        ),
                    ),
                    gap="3", wrap="wrap",
                ),
            ),
            spacing="3", width="100%",
        ),
        width="100%",
        data_connector=card["key"],
        class_name="connection-card",
    )  # fmt: skip


def _connections() -> rx.Component:
    return rx.cond(
        S.cards.length() > 0,
        rx.vstack(rx.foreach(S.cards, _connection), spacing="3", width="100%"),
        empty_state("plug", "No connected apps yet",
                    "Connect the apps this business uses so workflows can work with them. "
                    "Pick one from the list below."),
    )  # fmt: skip


def _sync_run(run: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(run["job"], weight="medium"),
                rx.spacer(),
                rx.badge(run["status"], color_scheme=run["tone"].to(str), variant="soft"),
                width="100%", align="center", wrap="wrap",
            ),
            rx.text(run["when"], " · took ", run["duration"], size="1", color_scheme="gray"),
            rx.text(run["counts"], size="2"),
            rx.cond(run["message"] != "", rx.text(run["message"], size="2")),
            rx.cond(
                run["problems"] != "",
                rx.el.details(
                    rx.el.summary("Records that couldn't be copied"),
                    rx.text(run["problems"], size="1", white_space="pre-wrap"),
                ),
            ),
            spacing="1", width="100%",
        ),
        width="100%",
    )  # fmt: skip


def _sync_logs() -> rx.Component:
    return rx.cond(
        S.logs.length() > 0,
        rx.vstack(rx.heading("Sync runs", size="5", margin_top="8px"),
                  rx.foreach(S.logs, _sync_run), spacing="3", width="100%"),
    )  # fmt: skip


def _app(app: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(app["name"], size="4"),
            rx.text(app["categories"], size="1", color_scheme="gray", text_transform="capitalize"),
            rx.text(app["description"], size="2"),
            rx.spacer(),
            rx.cond(
                S.can_manage,
                rx.cond(
                    S.key_apps.contains(app["key"]),
                    brand_button("Connect " + app["name"], id="connect-" + app["key"],
                                 on_click=S.open_key_form(app["key"])),
                    rx.cond(
                        app["connectable"] != "",
                        rx.link(brand_button("Connect " + app["name"]), href=app["connect_url"],
                                reload_document=True, id="connect-" + app["key"]),
                        rx.text("Not available on this server yet.", size="1",
                                color_scheme="gray"),
                    ),
                ),
                rx.text("Ask an administrator to connect it.", size="1", color_scheme="gray"),
            ),
            spacing="2", height="100%", align="start",
        ),
        width="100%",
    )  # fmt: skip


def _key_field(spec: rx.Var) -> rx.Component:
    return rx.cond(
        spec["kind"] == "checkbox",
        rx.checkbox(spec["label"], name=spec["name"], default_checked=True,
                    id="key-field-" + spec["name"]),
        rx.vstack(
            rx.text(spec["label"], as_="label", html_for="key-field-" + spec["name"], size="2"),
            rx.input(name=spec["name"], id="key-field-" + spec["name"],
                     type=rx.cond(spec["kind"] == "password", "password",
                                  rx.cond(spec["kind"] == "number", "number", "text")),
                     default_value=spec["default"], auto_complete="off", width="100%"),
            spacing="1", width="100%",
        ),
    )  # fmt: skip


def _key_form() -> rx.Component:
    """Apps without a sign-in page: paste a key, or a mailbox's server and password."""
    return rx.cond(
        S.key_app != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Connect " + S.key_app_name, size="4"),
                    rx.text("We check these details with the app, then keep them encrypted.",
                            size="2", color_scheme="gray"),
                    rx.foreach(S.key_fields, _key_field),
                    rx.cond(S.key_error != "", notice(S.key_error)),
                    rx.hstack(
                        brand_button("Connect", type="submit", loading=S.key_busy,
                                     id="key-connect-submit"),
                        rx.button("Cancel", type="button", variant="soft",
                                  on_click=S.close_key_form),
                        spacing="2",
                    ),
                    spacing="3", width="100%", max_width="420px",
                ),
                on_submit=S.connect_with_key, reset_on_submit=False, id="key-connect-form",
            ),
            width="100%",
        ),
    )  # fmt: skip


def _catalog() -> rx.Component:
    return rx.vstack(
        rx.heading("Add an app", size="5", margin_top="8px"),
        _key_form(),
        rx.flex(
            rx.input(placeholder="Search apps", value=S.search, on_change=S.set_search,
                     aria_label="Search apps", width="100%", max_width=["100%", "320px"]),
            rx.select(S.categories, value=rx.cond(S.category == "", "all", S.category),
                      on_change=S.set_category, aria_label="Category"),
            gap="3", wrap="wrap", width="100%",
        ),
        rx.cond(
            S.apps.length() > 0,
            rx.grid(rx.foreach(S.apps, _app),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="3",
                    width="100%"),
            rx.text("No apps match that search.", color_scheme="gray"),
        ),
        spacing="3", width="100%",
    )  # fmt: skip


def _page() -> rx.Component:
    return rx.vstack(
        rx.heading("Connections", size="7", id="integrations-title"),
        rx.text("The apps this business has connected, and how they are doing.",
                color_scheme="gray"),
        rx.cond(
            S.load_error != "",
            rx.vstack(notice(S.load_error), rx.button("Try again", on_click=S.retry)),
            rx.vstack(_connections(), _sync_logs(), _catalog(), spacing="4", width="100%"),
        ),
        spacing="4", width="100%",
    )  # fmt: skip


def _content() -> rx.Component:
    return rx.cond(
        ~S.loaded,
        loading(),
        rx.cond(
            S.no_access,
            notice("You don't have access to this client's connections. Ask an administrator "
                   "at your agency."),
            _page(),
        ),
    )  # fmt: skip


def integrations_page() -> rx.Component:
    return shell(_content(), active="integrations")


def add_to(app: rx.App) -> None:
    app.add_page(integrations_page, route="/t/[slug]/integrations", title="Connections",
                 on_load=S.load)  # fmt: skip
