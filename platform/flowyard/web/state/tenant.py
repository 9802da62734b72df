"""One client account's home. Access is checked before anything about the tenant is read."""

from __future__ import annotations

import reflex as rx

from flowyard.db import tenant_session
from flowyard.security.guard import page_load
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState, find_tenant
from tenants.models import Tenant


def slug_from_path(path: str, prefix: str) -> str:
    """``/t/rosas-bakery`` → ``rosas-bakery`` (empty if the path does not match)."""
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return rest.strip("/").split("/", 1)[0]


class TenantState(SessionState):
    tenant: dict[str, str] = {}
    role_label: str = ""
    no_access: bool = False
    loaded: bool = False

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.tenant, self.role_label = False, False, {}, ""
        yield
        slug = slug_from_path(self.router.url.path, "/t/")
        access = self._begin(slug)
        if access is None:
            yield self._login_redirect()
            return
        grant = find_tenant(access, slug)
        if grant is None or not allowed("tenant.view", grant.role):
            self._set_current_tenant(None)
            self.no_access = True
            self.loaded = True
            return
        self._set_current_tenant(grant)
        with tenant_session(grant.tenant_id) as db:
            row = db.get(Tenant, grant.tenant_id)
        if row is None:
            self.no_access = True
            self.loaded = True
            return
        self.tenant = {
            "name": row.name,
            "plan": row.plan.capitalize(),
            "locale": row.locale,
            "currency": row.currency,
            "timezone": row.timezone,
        }
        self.role_label = grant.role.label
        self.loaded = True
