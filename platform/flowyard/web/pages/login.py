"""``/login``: email and password, posted natively to ``/auth/login`` (HttpOnly cookie)."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.native_form import hidden, native_form
from flowyard.web.components.widgets import brand_button, labelled
from flowyard.web.state.login import LoginState


def _heading() -> rx.Component:
    return rx.vstack(
        rx.cond(
            LoginState.brand_logo != "",
            rx.image(src=LoginState.brand_logo, height="40px", alt=""),
        ),
        rx.cond(
            LoginState.brand_name != "",
            rx.heading(LoginState.brand_name, size="6", id="brand-name"),
        ),
        rx.text("Sign in to your account", size="4", weight="medium"),
        align="center",
        spacing="2",
    )


def _company_sign_in() -> rx.Component:
    """SSO by email domain: the agency is found from the address, then /auth/sso/<agency>."""
    return rx.form(
        rx.vstack(
            rx.separator(),
            labelled("Work email", rx.input(name="sso_email", type="email", size="3",
                                            id="sso-email", placeholder="you@company.com")),
            rx.button("Sign in with your company account", type="submit", variant="outline",
                      width="100%", id="sso-sign-in"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.start_sso,
        width="100%",
    )  # fmt: skip


def login_page() -> rx.Component:
    form = native_form(
        rx.vstack(
            rx.cond(LoginState.error != "", rx.callout(LoginState.error, color_scheme="red",
                                                         icon="circle_alert", role="alert",
                                                         id="login-error", width="100%")),
            rx.cond(LoginState.info != "", rx.callout(LoginState.info, color_scheme="green",
                                                        width="100%")),
            labelled("Email", rx.input(name="email", type="email", auto_complete="username",
                                       placeholder="you@example.com", size="3", id="email",
                                       required=False)),
            labelled("Password", rx.input(name="password", type="password", size="3",
                                          auto_complete="current-password", id="password")),
            hidden("next", LoginState.next_path),
            brand_button("Sign in", type="submit", width="100%", id="sign-in"),
            rx.link("Forgot your password?", href="/reset", size="2", id="forgot"),
            rx.cond(
                LoginState.support_email != "",
                rx.text("Trouble signing in? Write to ",
                        rx.link(LoginState.support_email,
                                href="mailto:" + LoginState.support_email),
                        size="2", color_scheme="gray"),
            ),
            spacing="4",
            width="100%",
        ),
        action="/auth/login",
        method="post",
        no_validate=True,
        width="100%",
    )  # fmt: skip
    return rx.center(
        rx.card(
            rx.vstack(_heading(), form, _company_sign_in(), spacing="5", width="100%"),
            width="100%",
            max_width="400px",
            padding="28px",
            border_top=f"4px solid {LoginState.brand_color}",
        ),
        min_height="100vh",
        padding="16px",
        background_color=rx.color("gray", 2),
    )


def add_to(app: rx.App) -> None:
    app.add_page(login_page, route="/login", title="Sign in", on_load=LoginState.load)
