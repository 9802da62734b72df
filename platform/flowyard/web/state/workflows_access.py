"""Opening a client account's workflow and run pages, and re-checking rights in handlers.

Every page of this area loads identity first, then finds the user's role in the tenant named
by the URL, and only then reads anything about the tenant. Handlers never trust what the page
remembers: they re-read the HttpOnly cookie and the role (the page may be stale, or the user
may have lost access) before reading or changing anything.
"""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.security.access import TenantAccess, tenant_access
from flowyard.security.permissions import Forbidden, allowed, require
from flowyard.web.state.session import find_tenant
from flowyard.web.state.tenant import slug_from_path


class TenantArea(rx.State, mixin=True):
    """Mixed into the workflow, builder and run states (each keeps its own copy)."""

    loaded: bool = False
    no_access: bool = False
    slug: str = ""
    can_edit: bool = False
    can_run: bool = False
    _tenant_id: str = ""
    _timezone: str = "UTC"

    def _open_tenant(self, action: str) -> TenantAccess | bool | None:
        """The grant for the URL's tenant; False when signed out (caller redirects)."""
        self.slug = slug_from_path(self.router.url.path, "/t/")
        access = self._begin(self.slug)  # type: ignore[attr-defined]
        if access is None:
            return False
        grant = find_tenant(access, self.slug)
        if grant is None or not allowed(action, grant.role):
            self._set_current_tenant(None)  # type: ignore[attr-defined]
            self.no_access = True
            return None
        self._set_current_tenant(grant)  # type: ignore[attr-defined]
        self._tenant_id = str(grant.tenant_id)
        self.can_edit = allowed("workflow.edit", grant.role)
        self.can_run = allowed("execution.run", grant.role)
        self._timezone = _tenant_timezone(grant.tenant_id)
        return grant

    def _recheck(self, action: str) -> uuid.UUID:
        """The open tenant's id if the signed-in user may still do ``action`` there."""
        user = self._session_user()  # type: ignore[attr-defined]
        if user is None or str(user.user_id) != self._user_id or not self._tenant_id:  # type: ignore[attr-defined]
            raise Forbidden("Your session has ended. Sign in again.")
        grant = tenant_access(user.user_id, self.slug)
        if grant is None or str(grant.tenant_id) != self._tenant_id:
            raise Forbidden("You no longer have access to this client account.")
        require(action, grant.role)
        return grant.tenant_id


def _tenant_timezone(tenant_id: uuid.UUID) -> str:
    from flowyard.db import tenant_session
    from tenants.models import Tenant

    with tenant_session(tenant_id) as db:
        row = db.get(Tenant, tenant_id)
    return row.timezone if row and row.timezone else "UTC"
