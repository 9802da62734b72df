"""``/login/mfa`` (the code step, or first enrolment) and ``/reset`` (password reset)."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.native_form import hidden, native_form
from flowyard.web.components.widgets import brand_button, labelled
from flowyard.web.state.security_login import MfaLoginState, ResetState


def _card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(*children, spacing="4", width="100%"),
            width="100%",
            max_width="420px",
            padding="28px",
        ),
        min_height="100vh",
        padding="16px",
        background_color=rx.color("gray", 2),
    )


def mfa_page() -> rx.Component:
    enrol = rx.vstack(
        rx.text(
            "Your agency asks everyone to use two-step sign-in. Scan this code with an "
            "authenticator app (Google Authenticator, 1Password, Authy…), then type the "
            "6-digit code it shows."
        ),
        rx.image(src=MfaLoginState.qr, width="200px", height="200px", alt="QR code to scan"),
        rx.text(
            "Can't scan? Type this key: ",
            rx.code(MfaLoginState.manual_secret, id="mfa-secret"),
            size="2",
        ),
        spacing="3",
        width="100%",
    )
    form = native_form(
        rx.vstack(
            rx.cond(
                MfaLoginState.mfa_error != "",
                rx.callout(
                    MfaLoginState.mfa_error,
                    color_scheme="red",
                    role="alert",
                    id="mfa-error",
                    width="100%",
                ),
            ),
            labelled(
                "Code from your app (or a recovery code)",
                rx.input(
                    name="code",
                    id="mfa-code",
                    auto_complete="one-time-code",
                    input_mode="numeric",
                    size="3",
                ),
            ),
            brand_button("Continue", type="submit", width="100%", id="mfa-submit"),
            spacing="3",
            width="100%",
        ),
        action="/auth/mfa",
        method="post",
        no_validate=True,
        width="100%",
    )
    return _card(
        rx.heading("Two-step sign-in", size="5"),
        rx.cond(
            MfaLoginState.must_enrol,
            enrol,
            rx.text("Open your authenticator app and type the code it shows."),
        ),
        form,
        rx.link("Start again", href="/login", size="2"),
    )


def reset_page() -> rx.Component:
    ask = native_form(
        rx.vstack(
            rx.text(
                "Type the email address of your account. If it exists, we'll email a "
                "link to choose a new password (valid for 30 minutes)."
            ),
            labelled("Email", rx.input(name="email", type="email", id="reset-email", size="3")),
            brand_button("Email me a link", type="submit", width="100%", id="reset-send"),
            spacing="3",
            width="100%",
        ),
        action="/auth/reset",
        method="post",
        no_validate=True,
        width="100%",
    )
    choose = native_form(
        rx.vstack(
            rx.cond(
                ResetState.reset_error != "",
                rx.callout(ResetState.reset_error, color_scheme="red", role="alert", width="100%"),
            ),
            labelled(
                "New password",
                rx.input(
                    name="password",
                    type="password",
                    size="3",
                    id="new-password",
                    auto_complete="new-password",
                ),
                "At least 10 characters; avoid common passwords.",
            ),
            hidden("token", ResetState.reset_token),
            brand_button("Save new password", type="submit", width="100%", id="reset-save"),
            spacing="3",
            width="100%",
        ),
        action="/auth/reset/confirm",
        method="post",
        no_validate=True,
        width="100%",
    )
    return _card(
        rx.heading("Reset your password", size="5"),
        rx.cond(
            ResetState.reset_token == "",
            ask,
            rx.cond(
                ResetState.token_ok,
                choose,
                rx.callout(
                    "This reset link has expired or was already used. Ask for a new one below.",
                    color_scheme="red",
                    width="100%",
                ),
            ),
        ),
        rx.link("Back to sign in", href="/login", size="2"),
    )


def add_to(app: rx.App) -> None:
    app.add_page(
        mfa_page, route="/login/mfa", title="Two-step sign-in", on_load=MfaLoginState.load_mfa
    )
    app.add_page(reset_page, route="/reset", title="Reset password", on_load=ResetState.load_reset)
    app.add_page(
        reset_page, route="/reset/[token]", title="Reset password", on_load=ResetState.load_reset
    )
