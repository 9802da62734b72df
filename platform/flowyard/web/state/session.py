"""Who is signed in, which agency's branding applies, and where they may go.

The session cookie is HttpOnly, so the browser's JavaScript never sees it: the server reads
it from the websocket handshake (``router.headers.cookie``) and re-checks it against the
database on every page load and before every protected action. Only display values live in
page state; ids stay in backend-only (underscore) vars that never reach the browser.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import reflex as rx

from flowyard.security import auth
from flowyard.security.access import AgencyAccess, TenantAccess, access_for
from flowyard.security.guard import public
from flowyard.security.permissions import allowed
from flowyard.web.branding import NEUTRAL_COLOR, safe_color, text_on
from tenants.models import Agency


class SessionState(rx.State):
    """Identity and branding shared by every page (substates add page data)."""

    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    brand_name: str = ""
    brand_color: str = NEUTRAL_COLOR
    brand_text: str = "#ffffff"
    brand_logo: str = ""
    support_email: str = ""
    tenant_links: list[dict[str, str]] = []
    current_tenant_slug: str = ""
    current_tenant_name: str = ""
    can_view_agency: bool = False
    can_open_settings: bool = False
    home_path: str = "/"

    _user_id: str = ""
    _agency_id: str = ""

    # --- reading the cookie -------------------------------------------------------------
    def _session_user(self) -> auth.SignedInUser | None:
        """Re-validate the HttpOnly cookie against the database (revocation is immediate)."""
        token = auth.token_from_cookie_header(self.router.headers.cookie)
        return auth.signed_in_user(token)

    def _login_redirect(self) -> rx.event.EventSpec:
        path = self.router.url.path or "/"
        return rx.redirect(f"/login?next={quote(path, safe='/')}")

    def _clear_identity(self) -> None:
        self.signed_in = False
        self.user_name = self.user_email = ""
        self.brand_name = self.brand_logo = self.support_email = ""
        self.brand_color, self.brand_text = NEUTRAL_COLOR, "#ffffff"
        self.tenant_links = []
        self.current_tenant_slug = self.current_tenant_name = ""
        self.can_view_agency = self.can_open_settings = False
        self.home_path = "/"
        self._user_id = self._agency_id = ""

    # --- loading who and where ----------------------------------------------------------
    def _begin(self, tenant_slug: str | None = None) -> list[AgencyAccess] | None:
        """Load identity for a page; None means "not signed in" (caller redirects)."""
        user = self._session_user()
        if user is None:
            self._clear_identity()
            return None
        access = access_for(user.user_id)
        self.signed_in = True
        self.user_name = user.full_name
        self.user_email = user.email
        self._user_id = str(user.user_id)
        self._set_current_tenant(None)  # the tenant page sets it again after its access check
        agency = _pick_agency(access, tenant_slug)
        self._apply_agency(agency, access)
        return access

    def _apply_agency(self, agency: AgencyAccess | None, access: list[AgencyAccess]) -> None:
        self._agency_id = str(agency.agency_id) if agency else ""
        self.tenant_links = (
            [{"name": t.tenant_name, "slug": t.tenant_slug} for t in agency.tenants]
            if agency
            else []
        )
        self.can_view_agency = bool(agency and allowed("agency.view", agency.role))
        self.can_open_settings = any(
            allowed("agency.branding.edit", a.role)
            or any(allowed("tenant.user.invite", t.role) for t in a.tenants)
            for a in access
        )
        if self.can_view_agency or not self.tenant_links:
            self.home_path = "/"
        else:
            self.home_path = f"/t/{self.tenant_links[0]['slug']}"
        self._load_branding(agency.agency_id if agency else None)

    def _load_branding(self, agency_id: uuid.UUID | None) -> None:
        from flowyard.db import agency_session

        if agency_id is None:
            self.brand_name, self.brand_logo, self.support_email = "", "", ""
            self.brand_color, self.brand_text = NEUTRAL_COLOR, "#ffffff"
            return
        with agency_session(agency_id) as db:
            agency = db.get(Agency, agency_id)
        if agency is None:
            return
        self.brand_name = agency.display_name
        self.brand_logo = agency.logo_url or ""
        self.support_email = agency.support_email or ""
        self.brand_color = safe_color(agency.primary_color)
        self.brand_text = text_on(self.brand_color)

    def _set_current_tenant(self, tenant: TenantAccess | None) -> None:
        self.current_tenant_slug = tenant.tenant_slug if tenant else ""
        self.current_tenant_name = tenant.tenant_name if tenant else ""

    def _user_uuid(self) -> uuid.UUID | None:
        return uuid.UUID(self._user_id) if self._user_id else None

    @rx.event
    @public("navigation only: redirects to a client in the user's own list; that page checks")
    def switch_tenant(self, slug: str) -> rx.event.EventSpec | None:
        """Open another client account from the header switcher."""
        if any(link["slug"] == slug for link in self.tenant_links):
            return rx.redirect(f"/t/{quote(slug)}")
        return None


def _pick_agency(access: list[AgencyAccess], tenant_slug: str | None) -> AgencyAccess | None:
    """The agency whose branding applies: the open tenant's, else one the user works for."""
    if tenant_slug:
        for agency in access:
            if any(t.tenant_slug == tenant_slug for t in agency.tenants):
                return agency
    for agency in access:
        if agency.role is not None and agency.role.is_agency_wide:
            return agency
    return access[0] if access else None


def find_tenant(access: list[AgencyAccess], slug: str) -> TenantAccess | None:
    for agency in access:
        for tenant in agency.tenants:
            if tenant.tenant_slug == slug:
                return tenant
    return None
