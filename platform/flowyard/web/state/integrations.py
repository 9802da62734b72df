"""The Integrations page: the catalog, the client's connections with health, and sync logs.

Access is checked before anything is read (``connection.view``: the client's people and the
agency's admins, never support agents); connecting and disconnecting need ``connection.manage``
and are re-checked against the cookie at the moment of the click.
"""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.db import tenant_session
from flowyard.integrations import catalog, connections, key_connections, messages, oauth, overview
from flowyard.integrations.models import Connection
from flowyard.security.access import access_for
from flowyard.security.guard import page_load, protected, public, self_checked
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState, find_tenant
from flowyard.web.state.tenant import slug_from_path


class IntegrationsState(SessionState):
    loaded: bool = False
    no_access: bool = False
    can_manage: bool = False
    slug: str = ""
    search: str = ""
    category: str = ""
    categories: list[str] = []
    apps: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    logs: list[dict[str, str]] = []
    load_error: str = ""
    key_apps: list[str] = []
    key_app: str = ""
    key_app_name: str = ""
    key_fields: list[dict[str, str]] = []
    key_error: str = ""
    key_busy: bool = False
    _tenant_id: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.load_error = False, False, ""
        self.apps, self.cards, self.logs = [], [], []
        yield
        slug = slug_from_path(self.router.url.path, "/t/")
        access = self._begin(slug)
        if access is None:
            yield self._login_redirect()
            return
        grant = find_tenant(access, slug)
        if grant is None or not allowed("connection.view", grant.role):
            self._set_current_tenant(
                grant if grant and allowed("tenant.view", grant.role) else None
            )
            self.no_access, self.loaded = True, True
            return
        self._set_current_tenant(grant)
        self.slug, self._tenant_id = slug, str(grant.tenant_id)
        self.can_manage = allowed("connection.manage", grant.role)
        self.categories = ["all", *catalog.categories()]
        self.key_apps = [c.key for c in key_connections.key_connectors()]
        self._refresh()
        self.loaded = True
        params = self.router.url.query_parameters
        if params.get("connected"):
            names = {a["key"]: a["name"] for a in self.apps}
            yield rx.toast.success(messages.connected(names.get(params["connected"], "The app")))
        elif params.get("error"):
            yield rx.toast.error(messages.connect_error(params["error"], params.get("app", "")))

    def _refresh(self) -> None:
        if not self._may("connection.view"):
            self.cards, self.logs = [], []
            return
        try:
            self.apps = overview.catalog_cards(self.slug, self.search, self.category)
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                self.cards = overview.connection_cards(db, self.slug)
                self.logs = overview.sync_logs(db)
            self.load_error = ""
        except Exception:  # shown as an error state with a retry button, details in the log
            import logging

            logging.getLogger(__name__).exception("integrations page failed to load")
            self.load_error = "We couldn't load your connections just now."

    @rx.event
    @self_checked("connection.view")
    def retry(self) -> None:
        self._refresh()

    @rx.event
    @public("filters the public app catalog; no client data")
    def set_search(self, value: str) -> None:
        self.search = value[:100]
        self.apps = overview.catalog_cards(self.slug, self.search, self.category)

    @rx.event
    @public("filters the public app catalog; no client data")
    def set_category(self, value: str) -> None:
        self.category = "" if value == "all" else value
        self.apps = overview.catalog_cards(self.slug, self.search, self.category)

    def _may_manage(self) -> bool:
        return self._may("connection.manage")

    def _may(self, action_name: str) -> bool:
        """Re-check the cookie and role before acting (the page may be stale)."""
        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id or not self.slug:
            return False
        grant = find_tenant(access_for(user.user_id), self.slug)
        return (
            grant is not None
            and str(grant.tenant_id) == self._tenant_id
            and allowed(action_name, grant.role)
        )

    @rx.event
    @protected("connection.manage")
    def disconnect(self, connection_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            yield rx.toast.error(
                "Your role doesn't allow disconnecting apps. Ask an administrator."
            )
            return
        tenant_id = uuid.UUID(self._tenant_id)
        with tenant_session(tenant_id) as db:
            row = db.get(Connection, uuid.UUID(connection_id))
            if row is None:
                yield rx.toast.error("That connection was already removed.")
                return
            key = row.connector_key
            previous = connections.disconnect(db, row, user_id=uuid.UUID(self._user_id))
        if previous is not None:
            oauth.revoke(key, previous)
        self._refresh()
        yield rx.toast.success(f"{catalog.get(key).name} is disconnected. Workflows using it "
                               "will stop at that step until you connect it again.")  # fmt: skip

    @rx.event
    @protected("connection.manage")
    def open_key_form(self, key: str) -> None:
        """Show the key / password form for an app that has no "sign in with" page."""
        self.key_error = ""
        if not self._may_manage():
            self.key_error = "Your role doesn't allow connecting apps. Ask an administrator."
            return
        found = next((c for c in key_connections.key_connectors() if c.key == key), None)
        if found is None:
            self.key_app, self.key_fields = "", []
            return
        self.key_app, self.key_app_name = found.key, found.name
        self.key_fields = [
            {"name": f.name, "label": f.label, "kind": f.kind, "default": f.default}
            for f in key_connections.fields_for(found)
        ]

    @rx.event
    @protected("connection.manage")
    def close_key_form(self) -> None:
        self.key_app, self.key_app_name, self.key_fields, self.key_error = "", "", [], ""

    @rx.event
    @protected("connection.manage")
    def connect_with_key(self, form_data: dict[str, str]):  # type: ignore[no-untyped-def]
        """Check the typed credentials (trying them with the app) and store them sealed."""
        if not self._may_manage():
            self.key_error = "Your role doesn't allow connecting apps. Ask an administrator."
            return
        if not self.key_app:
            return
        self.key_busy, self.key_error = True, ""
        yield
        try:
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                key_connections.connect_with_key(
                    db,
                    tenant_id=uuid.UUID(self._tenant_id),
                    connector_key=self.key_app,
                    values={k: str(v) for k, v in (form_data or {}).items()},
                    user_id=uuid.UUID(self._user_id),
                )
        except key_connections.KeyConnectError as error:
            self.key_error, self.key_busy = str(error), False
            return
        name = self.key_app_name
        self.key_busy, self.key_app, self.key_app_name, self.key_fields = False, "", "", []
        self._refresh()
        yield rx.toast.success(messages.connected(name))
