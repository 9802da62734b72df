"""``/audit``: the audit trail for agency admins (all clients) and tenant admins (theirs)."""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.db import system_session
from flowyard.security import audit
from flowyard.security.access import access_for
from flowyard.security.guard import page_load, signed_in
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState

PAGE = 50
ACTION_FILTERS = (
    "",
    "login.",
    "mfa.",
    "apikey.",
    "membership.",
    "tenant.",
    "workflow.",
    "security.",
    "gdpr.",
    "settings.",
)


class AuditState(SessionState):
    loaded: bool = False
    tenant_filter: str = ""
    action_filter: str = ""
    tenant_options: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    page: int = 0
    chain: str = ""
    no_access: bool = False

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.page, self.chain = 0, ""
        access = self._begin()
        if access is None:
            return self._login_redirect()
        self._refresh()
        self.loaded = True
        return None

    def _reach(self) -> tuple[uuid.UUID | None, bool, dict[str, tuple[uuid.UUID, str]]]:
        """(agency, agency-wide?, tenants the user may audit) right now, from the database."""
        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id:
            return None, False, {}
        for agency in access_for(user.user_id):
            if str(agency.agency_id) != self._agency_id:
                continue
            wide = allowed("agency.audit.view", agency.role)
            tenants = {
                t.tenant_slug: (t.tenant_id, t.tenant_name)
                for t in agency.tenants
                if allowed("audit.view", t.role)
            }
            return agency.agency_id, wide, tenants
        return None, False, {}

    def _refresh(self) -> None:
        agency_id, wide, tenants = self._reach()
        self.no_access = agency_id is None or (not wide and not tenants)
        self.tenant_options = [{"value": s, "label": n} for s, (_i, n) in tenants.items()]
        if self.no_access or agency_id is None:
            self.rows = []
            return
        if not wide and self.tenant_filter not in tenants:
            self.tenant_filter = next(iter(tenants))
        tenant_id = tenants[self.tenant_filter][0] if self.tenant_filter in tenants else None
        names = {tid: name for tid, name in tenants.values()}
        with system_session() as db:
            events = audit.search(
                db,
                agency_id=agency_id,
                tenant_id=tenant_id,
                action_prefix=self.action_filter,
                limit=PAGE,
                offset=self.page * PAGE,
            )
        self.rows = [
            {
                "seq": str(e.seq),
                "at": f"{e.occurred_at:%d %b %Y %H:%M:%S}",
                "action": e.action,
                "outcome": e.outcome,
                "who": e.actor_email
                or (e.actor_kind if e.actor_user_id is None else "a removed person"),
                "client": names.get(e.tenant_id, "") if e.tenant_id else "",
                "ip": e.ip or "",
                "change": _change(e.summary),
            }
            for e in events
        ]

    @rx.event
    @signed_in
    def set_tenant_filter(self, value: str) -> None:
        self.tenant_filter, self.page = ("" if value == "all" else value), 0
        self._refresh()

    @rx.event
    @signed_in
    def set_action_filter(self, value: str) -> None:
        self.action_filter = value if value in ACTION_FILTERS else ""
        self.page = 0
        self._refresh()

    @rx.event
    @signed_in
    def next_page(self) -> None:
        if len(self.rows) == PAGE:
            self.page += 1
            self._refresh()

    @rx.event
    @signed_in
    def previous_page(self) -> None:
        self.page = max(0, self.page - 1)
        self._refresh()

    @rx.event
    @signed_in
    def check_chain(self) -> None:
        agency_id, wide, _tenants = self._reach()
        if agency_id is None or not wide:
            self.chain = "Only agency administrators can check the whole trail."
            return
        report = audit.verify()
        self.chain = (
            f"Intact: {report.checked} events checked."
            if report.ok
            else f"Damaged: {report.problems[0]}"
        )


def _change(summary: dict) -> str:
    parts = []
    for label in ("before", "after"):
        if summary.get(label):
            items = ", ".join(f"{k}={v}" for k, v in summary[label].items())
            parts.append(f"{label}: {items}")
    return "; ".join(parts)[:300]
