"""``/api-keys``: keys for the API, shown once, with rotation and revocation."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, empty_state, labelled, loading, notice
from flowyard.web.state.api_keys import ApiKeysState as K


def _row(k: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(k["name"], weight="medium"), rx.code(k["prefix"])),
        rx.table.cell(k["scopes"]),
        rx.table.cell(
            rx.badge(
                k["status"],
                color_scheme=rx.match(
                    k["status"], ("Active", "green"), ("Retiring", "amber"), "gray"
                ),
            )
        ),
        rx.table.cell(k["created"]),
        rx.table.cell(k["expires"]),
        rx.table.cell(k["last_used"]),
        rx.table.cell(
            rx.cond(
                (k["status"] == "Active") | (k["status"] == "Retiring"),
                rx.hstack(
                    rx.button("Rotate", size="1", variant="soft", on_click=K.rotate(k["id"])),
                    rx.button(
                        "Revoke",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=K.revoke(k["id"]),
                    ),
                ),
            )
        ),
    )


def _create() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("New key", size="4"),
            rx.hstack(
                labelled(
                    "Name",
                    rx.input(
                        value=K.form["name"],
                        id="key-name",
                        on_change=lambda v: K.set_field("name", v),
                    ),
                ),
                labelled(
                    "Lasts (days)",
                    rx.input(
                        value=K.form["days"],
                        input_mode="numeric",
                        on_change=lambda v: K.set_field("days", v),
                    ),
                ),
                wrap="wrap",
                width="100%",
            ),
            rx.hstack(
                *(
                    rx.checkbox(
                        label.capitalize(),
                        checked=K.scopes.contains(label),
                        on_change=lambda _v, s=label: K.toggle_scope(s),
                    )
                    for label in ("read", "write", "execute")
                ),
                spacing="4",
            ),
            brand_button("Create key", on_click=K.create, id="create-key"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def api_keys_page() -> rx.Component:
    body = rx.vstack(
        rx.heading("API keys", size="7"),
        rx.text(
            "Keys let other software use this account through the API. ",
            rx.link("API reference", href="/api/v1/docs", reload_document=True),
            ".",
        ),
        rx.el.select(
            rx.foreach(K.owners, lambda o: rx.el.option(o["label"], value=o["value"])),
            value=K.owner,
            on_change=K.pick_owner,
            aria_label="Whose keys",
        ),
        rx.cond(K.error != "", notice(K.error)),
        rx.cond(
            K.new_secret != "",
            rx.callout(
                rx.vstack(
                    rx.text("Copy this key now. It won't be shown again:", weight="medium"),
                    rx.code(K.new_secret, id="new-key"),
                ),
                color_scheme="amber",
                width="100%",
            ),
        ),
        _create(),
        rx.cond(
            K.keys.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(h)
                                for h in (
                                    "Key",
                                    "Scopes",
                                    "Status",
                                    "Created",
                                    "Expires",
                                    "Last used",
                                    "",
                                )
                            )
                        )
                    ),
                    rx.table.body(rx.foreach(K.keys, _row)),
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            empty_state(
                "key_round",
                "No API keys yet",
                "Create one to connect your own software to this account.",
            ),
        ),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.cond(
            K.loaded,
            rx.cond(
                K.owners.length() > 0,
                body,
                notice("Your role doesn't allow managing API keys. Ask an administrator."),
            ),
            loading(),
        ),
        active="api_keys",
    )


def add_to(app: rx.App) -> None:
    app.add_page(api_keys_page, route="/api-keys", title="API keys", on_load=K.load)
