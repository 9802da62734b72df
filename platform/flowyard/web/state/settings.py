"""Settings: agency branding, adding a client, inviting people to a client.

Every handler re-reads the session cookie and the user's roles from the database and checks
``permissions`` before touching data, so a stale page (or a crafted event) cannot act with
rights the user no longer has. Service errors (``InvalidInput``) land next to their field.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import reflex as rx
from sqlalchemy.exc import IntegrityError

from flowyard.db import agency_session, tenant_session
from flowyard.security import audit
from flowyard.security.access import AgencyAccess, access_for
from flowyard.security.guard import page_load, public, self_checked
from flowyard.security.permissions import Forbidden, allowed, require
from flowyard.web.branding import safe_color
from flowyard.web.state.session import SessionState, find_tenant
from tenants import service
from tenants.invitations import INVITABLE_ROLES, create_invitation
from tenants.models import Agency, Tenant
from tenants.validation import InvalidInput

BRANDING_FIELDS = ("display_name", "logo_url", "primary_color", "support_email", "custom_domain")
CLIENT_FIELDS = ("name", "locale", "currency", "timezone")
INVITE_FIELDS = ("tenant", "email", "role")
NEW_CLIENT = {"name": "", "locale": "en-GB", "currency": "GBP", "timezone": "Europe/London"}
NOT_SIGNED_IN = "Your session has ended. Sign in again to continue."


class SettingsState(SessionState):
    loaded: bool = False
    can_edit_branding: bool = False
    can_add_client: bool = False
    branding: dict[str, str] = {}
    branding_errors: dict[str, str] = {}
    new_client: dict[str, str] = dict(NEW_CLIENT)
    client_errors: dict[str, str] = {}
    added_client: dict[str, str] = {}
    invite_tenants: list[dict[str, str]] = []
    invite: dict[str, str] = {}
    invite_errors: dict[str, str] = {}
    invite_link: str = ""
    invite_email: str = ""
    busy: str = ""

    # --- loading ------------------------------------------------------------------------
    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded = False
        self.branding_errors, self.client_errors, self.invite_errors = {}, {}, {}
        self.added_client, self.invite_link, self.invite_email, self.busy = {}, "", "", ""
        yield
        access = self._begin()
        if access is None:
            yield self._login_redirect()
            return
        agency = self._current_agency(access)
        role = agency.role if agency else None
        self.can_edit_branding = allowed("agency.branding.edit", role)
        self.can_add_client = allowed("tenant.create", role)
        if self.can_edit_branding and agency is not None:
            with agency_session(agency.agency_id) as db:
                row = db.get(Agency, agency.agency_id)
            self.branding = _branding_form(row) if row else {}
        self._load_invite_targets(access)
        self.new_client = dict(NEW_CLIENT)
        self.loaded = True

    def _current_agency(self, access: list[AgencyAccess]) -> AgencyAccess | None:
        return next((a for a in access if str(a.agency_id) == self._agency_id), None)

    def _load_invite_targets(self, access: list[AgencyAccess]) -> None:
        self.invite_tenants = [
            {"name": t.tenant_name, "slug": t.tenant_slug}
            for a in access
            for t in a.tenants
            if allowed("tenant.user.invite", t.role)
        ]
        first = self.invite_tenants[0]["slug"] if self.invite_tenants else ""
        self.invite = {"tenant": first, "email": "", "role": "editor"}

    def _fresh_access(self) -> list[AgencyAccess] | None:
        """Roles as the database says right now (not as the page remembers them)."""
        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id:
            return None
        return access_for(user.user_id)

    # --- field setters (0.10 has no automatic setters) -------------------------------------
    @rx.event
    @public("typing into the form; nothing is read or saved")
    def set_branding_field(self, field: str, value: str) -> None:
        if field in BRANDING_FIELDS:
            self.branding[field] = value[:2048]
            self.branding_errors.pop(field, None)

    @rx.event
    @public("typing into the form; nothing is read or saved")
    def set_client_field(self, field: str, value: str) -> None:
        if field in CLIENT_FIELDS:
            self.new_client[field] = value[:200]
            self.client_errors.pop(field, None)

    @rx.event
    @public("typing into the form; nothing is read or saved")
    def set_invite_field(self, field: str, value: str) -> None:
        if field in INVITE_FIELDS:
            self.invite[field] = value[:254]
            self.invite_errors.pop(field, None)

    # --- actions ------------------------------------------------------------------------
    @rx.event
    @self_checked("agency.branding.edit")
    def save_branding(self):  # type: ignore[no-untyped-def]
        self.branding_errors = {}
        access = self._fresh_access()
        if access is None:
            yield rx.toast.error(NOT_SIGNED_IN)
            yield self._login_redirect()
            return
        agency = self._current_agency(access)
        try:
            require("agency.branding.edit", agency.role if agency else None)
        except Forbidden as denied:
            self.branding_errors = {"form": str(denied)}
            return
        assert agency is not None
        change = service.BrandingChange(
            display_name=self.branding.get("display_name", ""),
            primary_color=self.branding.get("primary_color", ""),
            logo_url=self.branding.get("logo_url") or None,
            support_email=self.branding.get("support_email") or None,
            custom_domain=self.branding.get("custom_domain") or None,
        )
        try:
            with agency_session(agency.agency_id) as db:
                row = db.get(Agency, agency.agency_id)
                if row is None:
                    raise InvalidInput("form", "This agency no longer exists.")
                before = _branding_form(row)
                service.update_branding(db, row, change)
                self.branding = _branding_form(row)
                changed = sorted(k for k in before if before[k] != self.branding.get(k))
                audit.record(
                    "settings.branding_changed",
                    agency_id=agency.agency_id,
                    actor_user_id=self._user_uuid(),
                    target_type="agency",
                    target_id=agency.agency_id,
                    after={"changed": changed},
                )
        except InvalidInput as bad:
            self.branding_errors = {bad.field: bad.message}
            return
        except IntegrityError:
            self.branding_errors = {"custom_domain": "That domain is already in use."}
            return
        self._load_branding(agency.agency_id)
        yield rx.toast.success("Branding saved. Your clients see it on their next page.")

    @rx.event
    @self_checked("tenant.create")
    def add_client(self):  # type: ignore[no-untyped-def]
        self.client_errors, self.added_client = {}, {}
        access = self._fresh_access()
        if access is None:
            yield rx.toast.error(NOT_SIGNED_IN)
            yield self._login_redirect()
            return
        agency = self._current_agency(access)
        try:
            require("tenant.create", agency.role if agency else None)
        except Forbidden as denied:
            self.client_errors = {"form": str(denied)}
            return
        assert agency is not None
        self.busy = "client"
        yield
        form = self.new_client
        try:
            with agency_session(agency.agency_id) as db:
                tenant = service.create_tenant(
                    db,
                    agency.agency_id,
                    form.get("name", ""),
                    locale=form.get("locale", ""),
                    currency=form.get("currency", ""),
                    timezone=form.get("timezone", "").strip(),
                )
                added = {"name": tenant.name, "slug": tenant.slug}
                audit.record(
                    "tenant.create",
                    agency_id=agency.agency_id,
                    tenant_id=tenant.id,
                    actor_user_id=self._user_uuid(),
                    target_type="tenant",
                    target_id=tenant.id,
                    after={"plan": tenant.plan},
                )
        except InvalidInput as bad:
            self.client_errors = {bad.field: bad.message}
            self.busy = ""
            return
        except IntegrityError:
            # Slugs are unique across agencies; the service's check sees only this agency.
            self.client_errors = {
                "name": "Another client already uses a very similar name. Try a different one."
            }
            self.busy = ""
            return
        self.added_client = added
        self.new_client = dict(NEW_CLIENT)
        fresh = self._fresh_access() or []
        self._apply_agency(self._current_agency(fresh), fresh)
        self._load_invite_targets(fresh)
        self.busy = ""
        yield rx.toast.success(f"{added['name']} added.")

    @rx.event
    @self_checked("tenant.user.invite")
    def send_invite(self):  # type: ignore[no-untyped-def]
        self.invite_errors, self.invite_link, self.invite_email = {}, "", ""
        access = self._fresh_access()
        if access is None:
            yield rx.toast.error(NOT_SIGNED_IN)
            yield self._login_redirect()
            return
        grant = find_tenant(access, self.invite.get("tenant", ""))
        try:
            require("tenant.user.invite", grant.role if grant else None)
        except Forbidden as denied:
            self.invite_errors = {"tenant": str(denied)}
            return
        assert grant is not None
        try:
            with tenant_session(grant.tenant_id) as db:
                tenant = db.get(Tenant, grant.tenant_id)
                if tenant is None:
                    raise InvalidInput("tenant", "That client account no longer exists.")
                made = create_invitation(
                    db,
                    tenant,
                    self.invite.get("email", ""),
                    self.invite.get("role", ""),
                    invited_by=uuid.UUID(self._user_id),
                )
        except InvalidInput as bad:
            self.invite_errors = {bad.field: bad.message}
            return
        audit.record(
            "tenant.user.invite",
            agency_id=grant.agency_id,
            tenant_id=grant.tenant_id,
            actor_user_id=self._user_uuid(),
            target_type="invitation",
            target_id=made.invitation.id,
            after={"role": str(made.invitation.role)},
            details={"email": made.invitation.email},
        )
        self.invite_email = made.invitation.email
        self.invite_link = f"{self._origin()}/invite/{made.token}"
        self.invite = {**self.invite, "email": ""}
        yield rx.toast.success(f"Invitation ready for {made.invitation.email}.")

    def _origin(self) -> str:
        parts = urlsplit(str(self.router.url))
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
        return ""


def _branding_form(row: Agency) -> dict[str, str]:
    return {
        "display_name": row.display_name,
        "logo_url": row.logo_url or "",
        "primary_color": safe_color(row.primary_color),
        "support_email": row.support_email or "",
        "custom_domain": row.custom_domain or "",
    }


ROLE_CHOICES = tuple((role.value, role.label) for role in INVITABLE_ROLES)
