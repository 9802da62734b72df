"""``/settings``: branding and new clients (agency admins), invitations (tenant admins)."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, field_error, labelled, loading, notice
from flowyard.web.state.settings import ROLE_CHOICES, SettingsState

LOCALES = ("en-GB", "en-IE", "en-US", "fr-FR", "de-DE", "es-ES", "it-IT", "nl-NL", "pt-PT")
CURRENCIES = ("GBP", "EUR", "USD", "CHF", "SEK", "DKK", "NOK", "PLN", "CAD", "AUD")

_SELECT_STYLE = {
    "padding": "8px 10px",
    "border_radius": "6px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "background_color": rx.color("gray", 1),
    "font_size": "16px",
    "width": "100%",
}


def _text(state_dict: rx.Var, setter, field: str, **props: object) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.input(
        value=state_dict[field].to(str),
        on_change=lambda value: setter(field, value),
        name=field,
        size="3",
        width="100%",
        **props,
    )


def _native_select(
    state_dict: rx.Var, setter, field: str, options: rx.Component, **props: object
) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.el.select(
        options,
        value=state_dict[field].to(str),
        on_change=lambda value: setter(field, value),
        name=field,
        style=_SELECT_STYLE,
        **props,
    )


def _section(title: str, intro: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="5"),
            rx.text(intro, color_scheme="gray", size="2"),
            *children,
            spacing="4",
            width="100%",
        ),
        width="100%",
        **props,
    )


def branding_section() -> rx.Component:
    b, errors, setter = SettingsState.branding, SettingsState.branding_errors, \
        SettingsState.set_branding_field  # fmt: skip
    colour = rx.hstack(
        rx.el.input(
            type="color",
            value=b["primary_color"].to(str),
            on_change=lambda value: setter("primary_color", value),
            aria_label="Pick the main colour",
            id="primary-color-picker",
            style={"width": "48px", "height": "40px", "border": "none", "padding": "0",
                   "background": "none", "cursor": "pointer"},
        ),
        _text(b, setter, "primary_color", id="primary-color", max_length=7,
              aria_label="Main colour as a hex code"),
        width="100%",
        align="center",
    )  # fmt: skip
    return rx.form(
        _section(
            "Branding",
            "Your clients see this name, logo and colour on every page. "
            "Nothing mentions us unless you want it to.",
            labelled("Name shown to clients", _text(b, setter, "display_name", id="display-name")),
            field_error(errors, "display_name"),
            labelled("Logo address", _text(b, setter, "logo_url", id="logo-url",
                                            placeholder="https://…/logo.png"),
                     "An https:// link to a PNG or SVG, about 120 by 40 pixels."),
            field_error(errors, "logo_url"),
            labelled("Main colour", colour, "Used for buttons, the top bar and highlights."),
            field_error(errors, "primary_color"),
            labelled("Support email", _text(b, setter, "support_email", id="support-email",
                                             placeholder="help@your-agency.com")),
            field_error(errors, "support_email"),
            labelled("Custom domain", _text(b, setter, "custom_domain", id="custom-domain",
                                             placeholder="automations.your-agency.com"),
                     "Point this domain at us and your clients sign in there."),
            field_error(errors, "custom_domain"),
            field_error(errors, "form"),
            brand_button("Save branding", type="submit", id="save-branding"),
        ),
        on_submit=lambda _form: SettingsState.save_branding(),
        width="100%",
    )  # fmt: skip


def client_section() -> rx.Component:
    c, errors, setter = SettingsState.new_client, SettingsState.client_errors, \
        SettingsState.set_client_field  # fmt: skip
    return rx.form(
        _section(
            "Add a client",
            "Each client gets their own private account for their workflows and connections.",
            labelled("Client name", _text(c, setter, "name", id="client-name",
                                           placeholder="e.g. Rosa's Bakery")),
            field_error(errors, "name"),
            rx.grid(
                labelled("Language", _native_select(c, setter, "locale", [
                    rx.el.option(code, value=code) for code in LOCALES], id="client-locale")),
                labelled("Currency", _native_select(c, setter, "currency", [
                    rx.el.option(code, value=code) for code in CURRENCIES],
                    id="client-currency")),
                columns="2",
                spacing="3",
                width="100%",
            ),
            field_error(errors, "locale"),
            field_error(errors, "currency"),
            labelled("Time zone", _text(c, setter, "timezone", id="client-timezone"),
                     "As a region name, e.g. Europe/London or America/New_York."),
            field_error(errors, "timezone"),
            field_error(errors, "form"),
            rx.cond(
                SettingsState.added_client.contains("slug"),
                rx.callout(
                    rx.text(SettingsState.added_client["name"], " is ready. ",
                            rx.link("Open it", href="/t/" + SettingsState.added_client["slug"]
                                    .to(str))),
                    color_scheme="green", width="100%", id="client-added",
                ),
            ),
            brand_button(rx.cond(SettingsState.busy == "client", "Adding…", "Add client"),
                         type="submit", id="add-client", disabled=SettingsState.busy != ""),
        ),
        on_submit=lambda _form: SettingsState.add_client(),
        width="100%",
    )  # fmt: skip


def invite_section() -> rx.Component:
    i, errors, setter = SettingsState.invite, SettingsState.invite_errors, \
        SettingsState.set_invite_field  # fmt: skip
    link_box = rx.callout(
        rx.vstack(
            rx.text("Send this link to ", rx.text.strong(SettingsState.invite_email),
                    ". It works once and expires in 7 days. (We don't email invitations yet — "
                    "that arrives in a later update.)"),
            rx.hstack(
                rx.code(SettingsState.invite_link, id="invite-link", word_break="break-all"),
                rx.icon_button(rx.icon("copy", size=16), variant="ghost", aria_label="Copy link",
                               on_click=rx.set_clipboard(SettingsState.invite_link)),
                align="center",
                width="100%",
            ),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
    )  # fmt: skip
    return rx.form(
        _section(
            "Invite someone",
            "Give a person access to one client account. They choose their own password.",
            labelled("Client account", _native_select(i, setter, "tenant", rx.foreach(
                SettingsState.invite_tenants,
                lambda t: rx.el.option(t["name"], value=t["slug"])), id="invite-tenant")),
            field_error(errors, "tenant"),
            labelled("Their email", _text(i, setter, "email", id="invite-email", type="email",
                                          placeholder="name@example.com")),
            field_error(errors, "email"),
            labelled("What they can do", _native_select(i, setter, "role", [
                rx.el.option(label, value=value) for value, label in ROLE_CHOICES],
                id="invite-role"),
                "Tenant admins also invite others; editors build workflows; viewers only look."),
            field_error(errors, "role"),
            rx.cond(SettingsState.invite_link != "", link_box),
            brand_button("Create invitation link", type="submit", id="send-invite"),
        ),
        on_submit=lambda _form: SettingsState.send_invite(),
        width="100%",
    )  # fmt: skip


def _content() -> rx.Component:
    body = rx.vstack(
        rx.cond(SettingsState.can_edit_branding, branding_section()),
        rx.cond(SettingsState.can_add_client, client_section()),
        rx.cond(SettingsState.invite_tenants.length() > 0, invite_section()),
        rx.cond(
            ~SettingsState.can_edit_branding & (SettingsState.invite_tenants.length() == 0),
            notice("There is nothing here you can change. Ask an administrator for help.",
                   tone="gray"),
        ),
        spacing="5",
        width="100%",
        max_width="640px",
    )  # fmt: skip
    return rx.vstack(
        rx.heading("Settings", size="7"),
        rx.cond(SettingsState.loaded, body, loading()),
        spacing="4",
        width="100%",
    )


def settings_page() -> rx.Component:
    return shell(_content(), active="settings")


def add_to(app: rx.App) -> None:
    app.add_page(settings_page, route="/settings", title="Settings", on_load=SettingsState.load)
