"""The sign-in page: which error to show, where to go next, whose branding (by domain)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import reflex as rx

from flowyard.api.auth_routes import safe_next
from flowyard.security import auth, sso, throttle
from flowyard.security.guard import public
from flowyard.web.branding import NEUTRAL_COLOR, safe_color, text_on
from flowyard.web.state.session import SessionState

LOGIN_MESSAGES = {
    "credentials": "That email and password don't match an account.",
    "email": "Enter a valid email address.",
    "mfa_expired": "Your sign-in took too long or had too many wrong codes. Sign in again.",
    "sso_required": 'Your agency signs you in with your company account. Use "Sign in with '
    'your company account" below.',
    "sso_state": "That company sign-in expired or was started in another browser. Try again.",
    "sso_denied": "Sign-in was cancelled on your company's sign-in page.",
    "sso_domain": "Your company account's email domain isn't allowed for this agency.",
    "sso_unknown": "There's no account here for your company email. Ask an administrator of "
    "your agency to invite you.",
    "sso_unverified": "Your company account's email address isn't verified yet.",
    "sso_unreachable": "We couldn't reach your company's sign-in service. Try again in a few "
    "minutes.",
    "sso_invalid": "Your company's sign-in answer couldn't be verified. Try again, or tell "
    "your administrator.",
    "sso_off": "Company sign-in isn't set up for that agency.",
    "sso_none": "We don't know a company sign-in for that email. Sign in with your password.",
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

    @rx.event
    @public("finds the company sign-in for an email's domain; reads no account data")
    def start_sso(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        """Send the browser to ``/auth/sso/<agency>`` (a full navigation, not the router)."""
        slug = sso.agency_for_email(str(form.get("sso_email", "")))
        if slug is None:
            self.error = LOGIN_MESSAGES["sso_none"]
            return None
        query = f"?{urlencode({'next': self.next_path})}" if self.next_path != "/" else ""
        target = f"/auth/sso/{quote(slug, safe='')}{query}"
        return rx.call_script(f"window.location.assign({json.dumps(target)})")
