"""``/security``: the agency's single sign-on settings (agency admins, ``agency.security.manage``).

A substate of :class:`SecurityState`, so it shares the signed-in person and agency that the
page's load found. The client secret is write-only: the form never receives it back.
"""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.db import agency_session
from flowyard.security import audit, sso, sso_flow
from flowyard.security.guard import protected, self_checked
from flowyard.web.state.security import SecurityState
from tenants.models import Agency

TEXT_FIELDS = {"sso_issuer": 500, "sso_client_id": 200, "sso_secret": 2000, "sso_domains": 2000}
FLAGS = ("sso_enabled", "require_sso", "sso_counts_as_mfa")


class SsoSettingsState(SecurityState):
    sso_enabled: bool = False
    sso_issuer: str = ""
    sso_client_id: str = ""
    sso_secret: str = ""
    sso_has_secret: bool = False
    sso_domains: str = ""
    require_sso: bool = False
    sso_counts_as_mfa: bool = False
    sso_error: str = ""
    sso_callback_hint: str = ""

    def _show(self, view: sso.SsoView) -> None:
        self.sso_enabled, self.sso_issuer, self.sso_client_id = (
            view.enabled, view.issuer, view.client_id
        )  # fmt: skip
        self.sso_has_secret, self.sso_secret = view.has_secret, ""
        self.sso_domains = ", ".join(view.allowed_domains)
        self.require_sso, self.sso_counts_as_mfa = view.require_sso, view.counts_as_mfa

    @rx.event
    @self_checked("agency.security.manage")
    def load_sso(self) -> None:
        """Runs after ``SecurityState.load``, which decided ``can_manage_policy`` from the DB."""
        self.sso_error = ""
        if not self.can_manage_policy or not self._agency_id:
            return
        agency_id = uuid.UUID(self._agency_id)
        with agency_session(agency_id) as db:
            self._show(sso.view(db, agency_id))
            agency = db.get(Agency, agency_id)
            slug = agency.slug if agency else "<agency>"
            db.rollback()
        self.sso_callback_hint = f"/auth/sso/{slug}/callback"

    @rx.event
    @protected("agency.security.manage")
    def set_sso_text(self, field: str, value: str) -> None:
        if field in TEXT_FIELDS:
            setattr(self, field, str(value)[: TEXT_FIELDS[field]])
        self.sso_error = ""

    @rx.event
    @protected("agency.security.manage")
    def set_sso_flag(self, field: str, value: bool) -> None:
        if field in FLAGS:
            setattr(self, field, bool(value))
        self.sso_error = ""

    @rx.event
    @protected("agency.security.manage")
    def save_sso(self):  # type: ignore[no-untyped-def]
        """Validate and store; audited without the secret."""
        agency_id = uuid.UUID(self._agency_id)
        with agency_session(agency_id) as db:
            before = sso.view(db, agency_id)
            try:
                after = sso.save(
                    db, agency_id, enabled=self.sso_enabled, issuer=self.sso_issuer,
                    client_id=self.sso_client_id, client_secret=self.sso_secret or None,
                    domains=self.sso_domains, require_sso=self.require_sso,
                    counts_as_mfa=self.sso_counts_as_mfa,
                )  # fmt: skip
            except sso.SsoSettingsError as error:
                self.sso_error = str(error)
                return
        changes = {**_summary(after), "secret_changed": bool(self.sso_secret)}
        audit.record("security.sso_changed", agency_id=agency_id, actor_user_id=self._user_uuid(),
                     before=_summary(before), after=changes)  # fmt: skip
        self._show(after)
        yield rx.toast.success("Single sign-on settings saved.")

    @rx.event
    @protected("agency.security.manage")
    async def test_sso_connection(self):  # type: ignore[no-untyped-def]
        """Fetch the provider's discovery document so a typo shows before anyone signs in."""
        try:
            issuer = sso.check_issuer(self.sso_issuer)
            meta = await sso_flow.discover(issuer)
        except sso.SsoSettingsError as error:
            self.sso_error = str(error)
            return
        except sso_flow.SsoFailure:
            self.sso_error = (
                "We couldn't read the provider's settings at "
                f"{self.sso_issuer.rstrip('/')}/.well-known/openid-configuration. Check the "
                "issuer URL."
            )
            return
        self.sso_error = ""
        yield rx.toast.success(f"Connected: {meta['issuer']} answers and lists its keys.")


def _summary(view: sso.SsoView) -> dict[str, object]:
    return {"enabled": view.enabled, "issuer": view.issuer, "client_id": view.client_id,
            "domains": list(view.allowed_domains), "require_sso": view.require_sso,
            "counts_as_mfa": view.counts_as_mfa}  # fmt: skip
