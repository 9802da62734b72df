"""``/api-keys``: create, rotate and revoke API keys for the agency or one client account.

The page works on one "owner" at a time: ``agency`` (needs ``agency.apikey.manage``) or a
tenant slug (needs ``apikey.manage`` there). Every handler re-checks that against the database.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import reflex as rx
from sqlmodel import col, select

from flowyard.db import agency_session, tenant_session
from flowyard.security import api_keys, audit
from flowyard.security.access import access_for
from flowyard.security.guard import page_load, public, signed_in
from flowyard.security.models import ApiKey
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState
from tenants.validation import InvalidInput

AGENCY = "agency"


class ApiKeysState(SessionState):
    loaded: bool = False
    owners: list[dict[str, str]] = []
    owner: str = ""
    keys: list[dict[str, str]] = []
    form: dict[str, str] = {"name": "", "days": "365"}
    scopes: list[str] = ["read"]
    error: str = ""
    new_secret: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.error, self.new_secret = "", ""
        access = self._begin()
        if access is None:
            return self._login_redirect()
        agency = next((a for a in access if str(a.agency_id) == self._agency_id), None)
        owners = []
        if agency and allowed("agency.apikey.manage", agency.role):
            owners.append({"value": AGENCY, "label": f"{agency.agency_name} (all clients)"})
        for a in access:
            for t in a.tenants:
                if allowed("apikey.manage", t.role):
                    owners.append({"value": t.tenant_slug, "label": t.tenant_name})
        self.owners = owners
        if self.owner not in {o["value"] for o in owners}:
            self.owner = owners[0]["value"] if owners else ""
        self._refresh()
        self.loaded = True
        return None

    def _scope(self) -> tuple[uuid.UUID, uuid.UUID | None] | None:
        """(agency, tenant) the page acts on, if the user may manage keys there right now."""
        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id or not self.owner:
            return None
        for a in access_for(user.user_id):
            if self.owner == AGENCY and str(a.agency_id) == self._agency_id:
                return (a.agency_id, None) if allowed("agency.apikey.manage", a.role) else None
            for t in a.tenants:
                if t.tenant_slug == self.owner:
                    return (a.agency_id, t.tenant_id) if allowed("apikey.manage", t.role) else None
        return None

    def _session(self, scope: tuple[uuid.UUID, uuid.UUID | None]):  # type: ignore[no-untyped-def]
        agency_id, tenant_id = scope
        return tenant_session(tenant_id) if tenant_id else agency_session(agency_id)

    def _refresh(self) -> None:
        scope = self._scope()
        if scope is None:
            self.keys = []
            return
        with self._session(scope) as db:
            query = (
                select(ApiKey).where(ApiKey.tenant_id == scope[1])
                if scope[1]
                else select(ApiKey).where(col(ApiKey.tenant_id).is_(None))
            )
            rows = db.exec(query.order_by(col(ApiKey.created_at).desc()).limit(100)).all()
        self.keys = [
            {
                "id": str(k.id),
                "name": k.name,
                "prefix": f"fy_{k.prefix}_…",
                "scopes": ", ".join(k.scopes),
                "status": api_keys.status(k).capitalize(),
                "created": f"{k.created_at:%d %b %Y}",
                "expires": f"{k.expires_at:%d %b %Y}" if k.expires_at else "Never",
                "last_used": f"{k.last_used_at:%d %b %Y %H:%M}" if k.last_used_at else "Never",
            }
            for k in rows
        ]

    @rx.event
    @signed_in
    def pick_owner(self, value: str) -> None:
        if value in {o["value"] for o in self.owners}:
            self.owner, self.new_secret, self.error = value, "", ""
            self._refresh()

    @rx.event
    @public("typing into the form; nothing is read or saved")
    def set_field(self, field: str, value: str) -> None:
        if field in ("name", "days"):
            self.form[field] = value[:120]
            self.error = ""

    @rx.event
    @public("ticking a box in the form; nothing is read or saved")
    def toggle_scope(self, scope: str) -> None:
        if scope in api_keys.KEY_SCOPES:
            chosen = set(self.scopes) ^ {scope}
            self.scopes = [s for s in api_keys.KEY_SCOPES if s in chosen]

    @rx.event
    @signed_in
    def create(self):  # type: ignore[no-untyped-def]
        scope = self._scope()
        if scope is None:
            self.error = "Your role doesn't allow managing API keys here."
            return
        try:
            days = int(self.form.get("days") or 0) or None
        except ValueError:
            self.error = "Enter the number of days the key should last."
            return
        try:
            with self._session(scope) as db:
                issued = api_keys.create_key(
                    db,
                    agency_id=scope[0],
                    tenant_id=scope[1],
                    name=self.form.get("name", ""),
                    scopes=self.scopes,
                    expires_in_days=days,
                    created_by=self._user_uuid(),
                )
        except InvalidInput as bad:
            self.error = bad.message
            return
        self._audit("apikey.created", scope, issued.key)
        self.new_secret = issued.secret
        self.form = {"name": "", "days": "365"}
        self._refresh()
        yield rx.toast.success("Key created. Copy it now: it won't be shown again.")

    def _key(self, db, key_id: str) -> ApiKey | None:  # type: ignore[no-untyped-def]
        try:
            row = db.get(ApiKey, uuid.UUID(key_id))
        except ValueError:
            return None
        scope = self._scope()
        if row is None or scope is None or row.tenant_id != scope[1]:
            return None
        return row

    @rx.event
    @signed_in
    def rotate(self, key_id: str):  # type: ignore[no-untyped-def]
        scope = self._scope()
        if scope is None:
            self.error = "Your role doesn't allow managing API keys here."
            return
        with self._session(scope) as db:
            row = self._key(db, key_id)
            if row is None:
                self.error = "That key no longer exists."
                return
            try:
                issued = api_keys.rotate_key(db, row, grace=timedelta(hours=24))
            except InvalidInput as bad:
                self.error = bad.message
                return
        self._audit("apikey.rotated", scope, issued.key, previous=key_id)
        self.new_secret = issued.secret
        self._refresh()
        yield rx.toast.success("New key created. The old one keeps working for 24 hours.")

    @rx.event
    @signed_in
    def revoke(self, key_id: str):  # type: ignore[no-untyped-def]
        scope = self._scope()
        if scope is None:
            self.error = "Your role doesn't allow managing API keys here."
            return
        with self._session(scope) as db:
            row = self._key(db, key_id)
            if row is None:
                self.error = "That key no longer exists."
                return
            api_keys.revoke_key(db, row)
        self._audit("apikey.revoked", scope, row)
        self._refresh()
        yield rx.toast.success("Key revoked. Requests with it are refused from now on.")

    def _audit(
        self,
        action: str,
        scope: tuple[uuid.UUID, uuid.UUID | None],
        key: ApiKey,
        previous: str | None = None,
    ) -> None:
        audit.record(
            action,
            agency_id=scope[0],
            tenant_id=scope[1],
            actor_user_id=self._user_uuid(),
            actor_email=self.user_email,
            target_type="api_key",
            target_id=key.id,
            after={
                "prefix": key.prefix,
                "scopes": key.scopes,
                **({"rotated_from": previous} if previous else {}),
            },
        )
