"""``/invite/[token]``: the invitee sets their name and password and is signed in."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.native_form import hidden
from flowyard.web.components.widgets import brand_button, field_error, labelled, loading
from flowyard.web.state.invite import InviteState


def _new_account_fields() -> rx.Component:
    e = InviteState.errors
    return rx.vstack(
        labelled("Your name", rx.input(name="full_name", id="full-name", size="3",
                                       auto_complete="name")),
        field_error(e, "full_name"),
        labelled("Choose a password", rx.input(name="password", id="new-password",
                                               type="password", size="3",
                                               auto_complete="new-password"),
                 "At least 10 characters, not your email address."),
        field_error(e, "password"),
        labelled("Type the password again", rx.input(name="confirm", id="confirm-password",
                                                     type="password", size="3",
                                                     auto_complete="new-password")),
        field_error(e, "confirm"),
        spacing="3",
        width="100%",
    )  # fmt: skip


def _existing_account_fields() -> rx.Component:
    return rx.vstack(
        rx.text("You already have an account. Enter its password to accept."),
        labelled("Your password", rx.input(name="password", id="new-password", type="password",
                                           size="3", auto_complete="current-password")),
        field_error(InviteState.errors, "password"),
        spacing="3",
        width="100%",
    )  # fmt: skip


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Join ", InviteState.invite_tenant, size="5"),
            rx.text("You've been invited as ", InviteState.invite_role, " with ",
                    rx.text.strong(InviteState.invitee_email), "."),
            rx.cond(InviteState.has_account, _existing_account_fields(), _new_account_fields()),
            hidden("token", InviteState.invite_code),
            brand_button("Accept and sign in", type="submit", width="100%", id="accept-invite"),
            spacing="4",
            width="100%",
        ),
        id="invite-form",
        action="/auth/invite",
        method="post",
        on_submit=InviteState.check,
        width="100%",
    )  # fmt: skip


def _expired() -> rx.Component:
    return rx.vstack(
        rx.heading("This invitation link doesn't work", size="5", id="invite-invalid"),
        rx.text("It has expired or was already used. Ask the person who invited you "
                "for a new link."),
        rx.link("Go to sign in", href="/login"),
        spacing="3",
    )  # fmt: skip


def invite_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.cond(InviteState.brand_name != "",
                        rx.heading(InviteState.brand_name, size="6", id="brand-name")),
                rx.cond(~InviteState.loaded, loading(),
                        rx.cond(InviteState.found, _form(), _expired())),
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="420px",
            padding="28px",
            border_top=f"4px solid {InviteState.brand_color}",
        ),
        min_height="100vh",
        padding="16px",
        background_color=rx.color("gray", 2),
    )  # fmt: skip


def add_to(app: rx.App) -> None:
    app.add_page(invite_page, route="/invite/[token]", title="Accept invitation",
                 on_load=InviteState.load)  # fmt: skip
