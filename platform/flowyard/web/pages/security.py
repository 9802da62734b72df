"""``/security``: two-step sign-in, signed-in sessions, and the agency's security policy."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, labelled, loading, notice
from flowyard.web.state.security import SecurityState as S
from flowyard.web.state.security_sso import SsoSettingsState as Sso


def _codes() -> rx.Component:
    return rx.cond(
        S.recovery_codes.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(
                    "Your recovery codes. Each works once if you lose your phone. Save "
                    "them somewhere safe now: they won't be shown again.",
                    weight="medium",
                ),
                rx.grid(
                    rx.foreach(S.recovery_codes, lambda c: rx.code(c)),
                    columns="2",
                    spacing="2",
                    id="recovery-codes",
                ),
            ),
            color_scheme="amber",
            width="100%",
        ),
    )


def _mfa() -> rx.Component:
    enrolling = rx.vstack(
        rx.text("Scan this with your authenticator app, then type the 6-digit code it shows."),
        rx.image(src=S.qr, width="200px", height="200px", alt="QR code to scan"),
        rx.text("Can't scan? Type this key: ", rx.code(S.manual_secret, id="mfa-secret"), size="2"),
        labelled(
            "Code",
            rx.input(
                value=S.code, on_change=S.set_code, id="mfa-code", input_mode="numeric", size="3"
            ),
        ),
        brand_button("Turn on", on_click=S.confirm_enrolment, id="mfa-confirm"),
        spacing="3",
    )
    on = rx.vstack(
        rx.hstack(
            rx.badge("On", color_scheme="green"),
            rx.text(S.codes_left, " recovery codes left"),
            id="mfa-status",
        ),
        labelled(
            "To turn it off, type a current code",
            rx.input(value=S.code, on_change=S.set_code, id="mfa-off-code", size="3"),
        ),
        rx.button("Turn off", on_click=S.disable_mfa, variant="soft", color_scheme="red"),
        spacing="3",
    )
    off = rx.vstack(
        rx.hstack(
            rx.badge("Off", color_scheme="gray"),
            rx.text("Protect your account with a code from your phone."),
            id="mfa-status",
        ),
        brand_button("Set up two-step sign-in", on_click=S.start_enrolment, id="mfa-start"),
    )
    return rx.card(
        rx.vstack(
            rx.heading("Two-step sign-in", size="5"),
            rx.cond(S.mfa_error != "", notice(S.mfa_error)),
            _codes(),
            rx.cond(S.mfa_on, on, rx.cond(S.enrolling, enrolling, off)),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _sessions() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Where you're signed in", size="5"),
            rx.foreach(
                S.session_rows,
                lambda s: rx.hstack(
                    rx.text(s["where"], size="2", trim="both", max_width="420px", truncate=True),
                    rx.text(s["ip"], size="2", color_scheme="gray"),
                    rx.text(s["seen"], size="2", color_scheme="gray"),
                    rx.cond(s["current"] != "", rx.badge("This browser")),
                    spacing="3",
                    wrap="wrap",
                ),
            ),
            rx.button(
                "Sign out everywhere else",
                on_click=S.end_other_sessions,
                variant="soft",
                id="end-other-sessions",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _policy() -> rx.Component:
    return rx.cond(
        S.can_manage_policy,
        rx.card(
            rx.vstack(
                rx.heading("Agency security policy", size="5"),
                rx.cond(S.policy_error != "", notice(S.policy_error)),
                rx.hstack(
                    rx.switch(checked=S.require_mfa, on_change=S.set_require_mfa, id="require-mfa"),
                    rx.text("Require two-step sign-in for agency staff and client admins"),
                    align="center",
                ),
                labelled(
                    "Client portal addresses allowed to use the API from a browser (one per line)",
                    rx.text_area(
                        value=S.origins_text,
                        on_change=S.set_origins_text,
                        placeholder="https://portal.youragency.com",
                        rows="3",
                    ),
                ),
                rx.button("Save addresses", on_click=S.save_origins, variant="soft"),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _sso_switch(field: str, value: rx.Var[bool], label: str) -> rx.Component:
    return rx.hstack(
        rx.switch(checked=value, on_change=lambda v: Sso.set_sso_flag(field, v), id=field),
        rx.text(label),
        align="center",
    )


def _sso_input(field: str, label: str, value: rx.Var[str], **props: object) -> rx.Component:
    return labelled(
        label,
        rx.input(value=value, on_change=lambda v: Sso.set_sso_text(field, v), id=field, **props),
    )


def _sso() -> rx.Component:
    """Single sign-on (OpenID Connect) for the agency; the secret is write-only."""
    return rx.cond(
        S.can_manage_policy,
        rx.card(
            rx.vstack(
                rx.heading("Single sign-on (OpenID Connect)", size="5"),
                rx.text(
                    "Only people who already belong to your agency or its clients can sign in "
                    "this way; a company account alone never creates an account here. Register "
                    "this redirect address at your identity provider: ",
                    rx.code(Sso.sso_callback_hint),
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(Sso.sso_error != "", notice(Sso.sso_error)),
                _sso_switch("sso_enabled", Sso.sso_enabled, "Allow signing in with the company "
                            "account"),
                _sso_input("sso_issuer", "Issuer URL", Sso.sso_issuer,
                           placeholder="https://login.youragency.com"),
                _sso_input("sso_client_id", "Client ID", Sso.sso_client_id),
                _sso_input(
                    "sso_secret",
                    "Client secret (write-only)",
                    Sso.sso_secret,
                    type="password",
                    auto_complete="off",
                    placeholder=rx.cond(Sso.sso_has_secret, "Stored. Type to replace it.", ""),
                ),
                _sso_input("sso_domains", "Allowed email domains (comma-separated)",
                           Sso.sso_domains, placeholder="youragency.com"),
                _sso_switch("require_sso", Sso.require_sso, "Require single sign-on for agency "
                            "staff (password sign-in refused)"),
                _sso_switch("sso_counts_as_mfa", Sso.sso_counts_as_mfa, "Company sign-in "
                            "counts as two-step sign-in (no extra code)"),
                rx.hstack(
                    rx.button("Save single sign-on", on_click=Sso.save_sso, variant="soft",
                              id="sso-save"),
                    rx.button("Test connection", on_click=Sso.test_sso_connection,
                              variant="outline", id="sso-test"),
                    spacing="3",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )  # fmt: skip


def security_page() -> rx.Component:
    return shell(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading("Security", size="7"),
                _mfa(),
                _sessions(),
                _policy(),
                _sso(),
                rx.hstack(
                    rx.link("API keys", href="/api-keys"),
                    rx.link("Audit trail", href="/audit"),
                    rx.link(
                        "API reference",
                        href="/api/v1/docs",
                        is_external=False,
                        reload_document=True,
                    ),
                    spacing="4",
                ),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        active="security",
    )


def add_to(app: rx.App) -> None:
    app.add_page(security_page, route="/security", title="Security", on_load=[S.load, Sso.load_sso])
