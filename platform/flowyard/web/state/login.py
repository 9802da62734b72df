"""The sign-in page: which error to show, where to go next, whose branding (by domain)."""

from __future__ import annotations

import reflex as rx

from flowyard.api.auth_routes import safe_next
from flowyard.security import auth, throttle
from flowyard.security.guard import public
from flowyard.web.branding import NEUTRAL_COLOR, safe_color, text_on
from flowyard.web.state.session import SessionState

LOGIN_MESSAGES = {
    "credentials": "That email and password don't match an account.",
    "email": "Enter a valid email address.",
    "mfa_expired": "Your sign-in took too long or had too many wrong codes. Sign in again.",
}
INFO_MESSAGES = {
    "sent": "If that email has an account, we've sent a link to reset the password. It works "
    "for 30 minutes.",
    "done": "Your password was changed and every other session was signed out. Sign in now.",
}


class LoginState(SessionState):
    """Reads ``?error=`` / ``?next=`` set by ``POST /auth/login``'s redirect."""

    error: str = ""
    info: str = ""
    next_path: str = "/"

    @rx.event
    @public("the sign-in page: reads only the caller's own cookie and the host's branding")
    def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        self.next_path = safe_next(params.get("next"))
        self.error = LOGIN_MESSAGES.get(params.get("error", ""), "")
        if params.get("error") == "locked":
            wait = params.get("wait", "")
            seconds = int(wait) if wait.isdigit() else 60
            self.error = throttle.Locked(min(seconds, 3600)).message
        self.info = "You have signed out." if params.get("signed_out") else ""
        self.info = INFO_MESSAGES.get(params.get("reset", ""), self.info)
        user = self._session_user()
        if user is not None and not self.error:
            return rx.redirect(self.next_path)
        self._clear_identity()
        brand = auth.branding_for_host(self.router.headers.host)
        if brand is not None:
            self.brand_name = brand.display_name
            self.brand_color = safe_color(brand.primary_color)
            self.brand_logo = brand.logo_url or ""
            self.support_email = brand.support_email or ""
        else:
            self.brand_color = NEUTRAL_COLOR
        self.brand_text = text_on(self.brand_color)
        return None
