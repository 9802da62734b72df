"""The invitee's page: check name and password here, then post natively to ``/auth/invite``.

Checking in the event handler gives instant messages next to the fields; the native post is
what lets the server set the HttpOnly cookie (and it checks everything again).
"""

from __future__ import annotations

import reflex as rx

from flowyard.security import auth
from flowyard.security.guard import public
from flowyard.security.passwords import WeakPassword, check_strength
from flowyard.web.branding import safe_color, text_on
from flowyard.web.state.session import SessionState
from flowyard.web.state.tenant import slug_from_path
from tenants.roles import Role
from tenants.validation import InvalidInput, clean_name

ROUTE_ERRORS = {
    "password": "That password doesn't meet the rules. Try a longer one.",
    "name": "Enter your name.",
    "existing_password": "That password doesn't match your existing account.",
    "expired": "This invitation link has expired or was already used.",
}
SUBMIT_SCRIPT = "HTMLFormElement.prototype.submit.call(document.getElementById('invite-form'))"


class InviteState(SessionState):
    found: bool = False
    loaded: bool = False
    invite_code: str = ""
    invitee_email: str = ""
    invite_tenant: str = ""
    invite_role: str = ""
    has_account: bool = False
    errors: dict[str, str] = {}

    @rx.event
    @public("the invitation token in the URL is the credential")
    def load(self) -> None:
        self.loaded, self.found, self.errors = False, False, {}
        self._clear_identity()
        self.invite_code = slug_from_path(self.router.url.path, "/invite/")
        view = auth.invitation_view(self.invite_code)
        if view is not None:
            self.found = True
            self.invitee_email = view.email
            self.invite_tenant = view.tenant_name
            self.invite_role = Role(view.role).label.lower()
            self.has_account = view.has_account
            self.brand_name = view.branding.display_name
            self.brand_color = safe_color(view.branding.primary_color)
            self.brand_text = text_on(self.brand_color)
            self.brand_logo = view.branding.logo_url or ""
            code = self.router.url.query_parameters.get("error", "")
            if code in ROUTE_ERRORS:
                field = "full_name" if code == "name" else "password"
                self.errors = {field: ROUTE_ERRORS[code]}
        self.loaded = True

    @rx.event
    @public("checks typed fields only; the native post does the real work")
    def check(self, form: dict[str, str]) -> rx.event.EventSpec | None:
        """Validate before the real post, so mistakes show next to the right field."""
        errors: dict[str, str] = {}
        password = form.get("password", "")
        if not self.has_account:
            try:
                clean_name(form.get("full_name", ""), field="full_name", what="name")
            except InvalidInput as bad:
                errors["full_name"] = bad.message
            try:
                check_strength(password, email=self.invitee_email)
            except WeakPassword as weak:
                errors["password"] = str(weak)
            if not errors.get("password") and password != form.get("confirm", ""):
                errors["confirm"] = "The two passwords are different. Type the same one twice."
        elif not password:
            errors["password"] = "Enter the password of your existing account."
        self.errors = errors
        if errors:
            return None
        return rx.call_script(SUBMIT_SCRIPT)
