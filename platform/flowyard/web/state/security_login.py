"""Pages before a full sign-in: the MFA step (``/login/mfa``) and password reset (``/reset``)."""

from __future__ import annotations

import reflex as rx

from flowyard.db import system_session
from flowyard.security import mfa, mfa_pending, password_reset
from flowyard.security.guard import public
from flowyard.web.state.login import LoginState
from flowyard.web.state.tenant import slug_from_path
from tenants.models import User

MFA_ERRORS = {"code": "That code didn't work. Check your authenticator app and try again."}
RESET_ERRORS = {
    "password": "That password doesn't meet the rules: use at least 10 characters and avoid "
    "common passwords.",
    "expired": "This reset link has expired or was already used. Ask for a new one.",
}


class MfaLoginState(LoginState):
    """The second step: a code from the app, or (when the agency requires it) first enrolment."""

    must_enrol: bool = False
    qr: str = ""
    manual_secret: str = ""
    mfa_error: str = ""
    expired: bool = False

    @rx.event
    @public("reads only the caller's own pending-MFA cookie")
    def load_mfa(self) -> rx.event.EventSpec | None:
        self.mfa_error = MFA_ERRORS.get(self.router.url.query_parameters.get("error", ""), "")
        self.qr = self.manual_secret = ""
        token = _cookie(self.router.headers.cookie, mfa_pending.COOKIE_NAME)
        pending = mfa_pending.lookup(token)
        self.expired = pending is None
        if pending is None:
            return rx.redirect("/login?error=mfa_expired")
        self.must_enrol = pending.must_enrol
        if pending.must_enrol:
            with system_session() as db:
                user = db.get(User, pending.user_id)
                if user is None:
                    return rx.redirect("/login?error=mfa_expired")
                enrolment = mfa.begin(db, user.id, user.email, self.brand_name or "Automations")
            self.qr, self.manual_secret = enrolment.qr_data_uri, enrolment.secret
        return None


class ResetState(LoginState):
    """``/reset`` asks for the email; ``/reset/<token>`` asks for the new password."""

    reset_token: str = ""
    token_ok: bool = False
    reset_error: str = ""

    @rx.event
    @public("the reset token in the URL is the credential; nothing else is read")
    def load_reset(self) -> None:
        self.reset_token = slug_from_path(self.router.url.path, "/reset/")
        self.reset_error = RESET_ERRORS.get(self.router.url.query_parameters.get("error", ""), "")
        if self.reset_token:
            with system_session() as db:
                self.token_ok = password_reset.open_token(db, self.reset_token) is not None


def _cookie(header: str | None, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None
