"""``/compliance``: the live controls report (CSV/PDF), GDPR export and erasure."""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard import clock
from flowyard.compliance import gdpr, report
from flowyard.security import audit
from flowyard.security.guard import page_load, protected, public
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState, find_tenant


class ComplianceState(SessionState):
    loaded: bool = False
    controls: list[dict[str, str]] = []
    erase_tenant: str = ""
    erase_confirm: str = ""
    person_email: str = ""
    message: str = ""

    no_access: bool = False

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded = False
        access = self._begin()
        if access is None:
            return self._login_redirect()
        agency = next((a for a in access if str(a.agency_id) == self._agency_id), None)
        self.no_access = not (agency and allowed("agency.compliance.view", agency.role))
        self.loaded = True
        if self.no_access:
            return None
        controls = report.build_report(uuid.UUID(self._agency_id))
        self.controls = [
            {"name": c.name, "status": c.status, "evidence": c.evidence} for c in controls
        ]
        self.loaded = True

    def _report(self) -> list[report.Control]:
        return report.build_report(uuid.UUID(self._agency_id))

    @rx.event
    @protected("agency.compliance.view")
    def download_csv(self):  # type: ignore[no-untyped-def]
        return rx.download(data=report.to_csv(self._report()), filename="compliance-report.csv")

    @rx.event
    @protected("agency.compliance.view")
    def download_pdf(self):  # type: ignore[no-untyped-def]
        pdf = report.to_pdf(self._report(), agency_name=self.brand_name, generated=clock.now())
        return rx.download(data=pdf, filename="compliance-report.pdf")

    @rx.event
    @public("typing into the form; nothing is read or saved")
    def set_field(self, field: str, value: str) -> None:
        if field in ("erase_tenant", "erase_confirm", "person_email"):
            setattr(self, field, value[:254])
            self.message = ""

    def _tenant_grant(self, action: str):  # type: ignore[no-untyped-def]
        from flowyard.security.access import access_for
        from flowyard.security.permissions import allowed

        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id:
            return None
        grant = find_tenant(access_for(user.user_id), self.erase_tenant)
        return grant if grant is not None and allowed(action, grant.role) else None

    @rx.event
    @protected("agency.compliance.view")
    def export_tenant(self):  # type: ignore[no-untyped-def]
        grant = self._tenant_grant("gdpr.export")
        if grant is None:
            self.message = "Pick a client account you may export."
            return
        export = gdpr.export_tenant(grant.tenant_id)
        audit.record(
            "gdpr.export",
            agency_id=grant.agency_id,
            tenant_id=grant.tenant_id,
            actor_user_id=self._user_uuid(),
            after={"tables": len(export.counts)},
        )
        return rx.download(data=export.data, filename=f"{grant.tenant_slug}-export.zip")

    @rx.event
    @protected("agency.compliance.view")
    def erase_tenant_now(self):  # type: ignore[no-untyped-def]
        grant = self._tenant_grant("gdpr.erase")
        if grant is None:
            self.message = "Pick a client account you may erase."
            return
        if self.erase_confirm.strip() != grant.tenant_name:
            self.message = f'Type "{grant.tenant_name}" to confirm. This cannot be undone.'
            return
        result = gdpr.erase_tenant(grant.tenant_id, actor_user_id=self._user_uuid())
        self.erase_tenant, self.erase_confirm = "", ""
        self.message = (
            f"{grant.tenant_name} was erased: {result.people_deleted} people removed, "
            f"{result.audit_scrubbed} audit events kept without personal data."
        )
        yield rx.toast.success("Client account erased.")

    @rx.event
    @protected("gdpr.person")
    def export_person(self):  # type: ignore[no-untyped-def]
        import json

        try:
            data = gdpr.export_person(self.person_email)
        except LookupError as missing:
            self.message = str(missing)
            return
        audit.record(
            "gdpr.person_export",
            agency_id=uuid.UUID(self._agency_id),
            actor_user_id=self._user_uuid(),
        )
        return rx.download(data=json.dumps(data, indent=2), filename="person-export.json")

    @rx.event
    @protected("gdpr.person")
    def erase_person(self):  # type: ignore[no-untyped-def]
        try:
            result = gdpr.erase_person(self.person_email, actor_user_id=self._user_uuid())
        except LookupError as missing:
            self.message = str(missing)
            return
        self.person_email = ""
        self.message = f"Erased. {result.mentions_erased} stored mentions were blanked."
        yield rx.toast.success("Person erased.")
