"""Webhooks pages: a client account's addresses and subscriptions, and the agency-wide view.

Managing webhooks needs the account's admin rights (``tenant.user.invite`` for now: the same
people who manage who may sign in); everyone in the account may look.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import reflex as rx

from flowyard import clock
from flowyard.db import agency_session, tenant_session
from flowyard.security.access import access_for
from flowyard.security.guard import page_load, protected, public, self_checked
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState, find_tenant
from flowyard.web.state.tenant import slug_from_path
from flowyard.webhooks import delivery, endpoints, fanout, inbound_log, overview, subscriptions
from flowyard.webhooks.models import WebhookSubscription
from tenants.validation import InvalidInput

MANAGE = "webhook.manage"
VIEW = "webhook.view"
SCHEME_OPTIONS = [{"value": k or "none", "label": v} for k, v in endpoints.SCHEME_LABELS.items()]
EVENT_OPTIONS = [{"value": k, "label": v} for k, v in subscriptions.EVENT_TYPES.items()]


class WebhooksState(SessionState):
    loaded: bool = False
    no_access: bool = False
    can_manage: bool = False
    agency_view: bool = False
    inbound: list[dict] = []
    subs: list[dict] = []
    log: list[dict] = []
    attempts: list[dict] = []
    attempts_for: str = ""
    status_filter: str = "all"
    form: dict[str, str] = {"url": "", "description": "", "event_type": "execution.failed"}
    form_error: str = ""
    new_secret: str = ""
    _tenant_id: str = ""
    _slug: str = ""

    # --- loading ------------------------------------------------------------------------
    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.new_secret, self.form_error = False, False, "", ""
        self.attempts, self.attempts_for = [], ""
        yield
        path = self.router.url.path
        self.agency_view = not path.startswith("/t/")
        slug = "" if self.agency_view else slug_from_path(path, "/t/")
        access = self._begin(slug or None)
        if access is None:
            yield self._login_redirect()
            return
        if self.agency_view:
            self._set_current_tenant(None)
            self.no_access = not self.can_view_agency
            self.can_manage = False
        else:
            grant = find_tenant(access, slug)
            self.no_access = grant is None or not allowed("tenant.view", grant.role)
            self._set_current_tenant(None if self.no_access else grant)
            if grant is not None and not self.no_access:
                self._tenant_id, self._slug = str(grant.tenant_id), slug
                self.can_manage = allowed(MANAGE, grant.role)
        if not self.no_access:
            self._refresh()
        self.loaded = True

    def _refresh(self) -> None:
        if not self._may(VIEW):
            self.inbound, self.subs, self.log = [], [], []
            return
        status = "" if self.status_filter == "all" else self.status_filter
        if self.agency_view:
            with agency_session(uuid.UUID(self._agency_id)) as db:
                self.inbound = []
                self.subs = overview.subscriptions(db)
                self.log = overview.deliveries(db, status=status)
            return
        tenant_id = uuid.UUID(self._tenant_id)
        with tenant_session(tenant_id) as db:
            self.inbound = overview.inbound(db, tenant_id)
            self.subs = overview.subscriptions(db, tenant_id)
            self.log = overview.deliveries(db, status=status)

    def _may_manage(self) -> bool:
        return self._may(MANAGE)

    def _may(self, action_name: str) -> bool:
        """Re-check the cookie and role before acting (the page may be stale)."""
        user = self._session_user()
        if user is None or str(user.user_id) != self._user_id:
            return False
        if self.agency_view:
            return action_name == VIEW and any(
                str(a.agency_id) == self._agency_id and allowed("agency.view", a.role)
                for a in access_for(user.user_id)
            )
        if not self._slug:
            return False
        grant = find_tenant(access_for(user.user_id), self._slug)
        return (
            grant is not None
            and str(grant.tenant_id) == self._tenant_id
            and allowed(action_name, grant.role)
        )

    # --- filters and forms --------------------------------------------------------------
    @rx.event
    @self_checked(VIEW)
    def set_status_filter(self, value: str) -> None:
        self.status_filter = value if value in ("all", "pending", "succeeded", "failed") else "all"
        self._refresh()

    @rx.event
    @public("typing into the new-endpoint form; saving is checked")
    def set_form_field(self, field: str, value: str) -> None:
        if field in ("url", "description", "event_type"):
            self.form[field] = value[:2000]
            self.form_error = ""

    @rx.event
    @self_checked(VIEW)
    def refresh(self) -> None:
        self._refresh()

    # --- outbound -----------------------------------------------------------------------
    @rx.event
    @protected(MANAGE)
    def create_subscription(self):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            self.form_error = "Only admins of this client account can add endpoints."
            return
        tenant_id = uuid.UUID(self._tenant_id)
        try:
            with tenant_session(tenant_id) as db:
                _sub, secret = subscriptions.create(
                    db,
                    agency_id=uuid.UUID(self._agency_id),
                    tenant_id=tenant_id,
                    url=self.form.get("url", ""),
                    event_types=[self.form.get("event_type", "")],
                    description=self.form.get("description", ""),
                )
        except InvalidInput as bad:
            self.form_error = bad.message
            return
        self.new_secret = secret
        self.form = {"url": "", "description": "", "event_type": "execution.failed"}
        self._refresh()
        yield rx.toast.success("Endpoint added. Copy its signing secret now.")

    def _subscription(self, db, subscription_id: str) -> WebhookSubscription | None:  # type: ignore[no-untyped-def]
        try:
            return db.get(WebhookSubscription, uuid.UUID(subscription_id))
        except ValueError:
            return None

    @rx.event
    @protected(MANAGE)
    def send_test(self, subscription_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            yield rx.toast.error("Only admins of this client account can send tests.")
            return
        tenant_id = uuid.UUID(self._tenant_id)
        with tenant_session(tenant_id) as db:
            sub = self._subscription(db, subscription_id)
            if sub is None:
                return
            fanout.send_test(db, sub, tenant_id)
        self._refresh()
        yield rx.toast.success("Test event sent. It appears in the delivery log below.")

    @rx.event
    @protected(MANAGE)
    def toggle_subscription(self, subscription_id: str) -> None:
        if not self._may_manage():
            return
        with tenant_session(uuid.UUID(self._tenant_id)) as db:
            sub = self._subscription(db, subscription_id)
            if sub is not None:
                subscriptions.set_enabled(db, sub, not sub.enabled)
        self._refresh()

    @rx.event
    @protected(MANAGE)
    def replay_delivery(self, delivery_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            return
        with tenant_session(uuid.UUID(self._tenant_id)) as db:
            delivery.replay(db, delivery_id)
        self._refresh()
        yield rx.toast.success("Sending it again.")

    @rx.event
    @protected(MANAGE)
    def replay_failed_today(self, subscription_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            return
        now = clock.now()
        with tenant_session(uuid.UUID(self._tenant_id)) as db:
            count = delivery.replay_failed(
                db, uuid.UUID(subscription_id), now - timedelta(days=1), now
            )
        self._refresh()
        yield rx.toast.success(f"Sending {count} failed deliveries again.")

    @rx.event
    @self_checked(VIEW)
    def show_attempts(self, delivery_id: str) -> None:
        if not self._may(VIEW):
            return
        session = (
            agency_session(uuid.UUID(self._agency_id))
            if self.agency_view
            else tenant_session(uuid.UUID(self._tenant_id))
        )
        with session as db:
            self.attempts = overview.attempts_of(db, delivery_id)
        self.attempts_for = delivery_id

    # --- inbound ------------------------------------------------------------------------
    @rx.event
    @protected(MANAGE)
    def save_verification(self, form_data: dict):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            yield rx.toast.error("Only admins of this client account can change this.")
            return
        endpoint_id = str(form_data.get("endpoint_id", ""))
        scheme = str(form_data.get("scheme") or "none")
        scheme = "" if scheme == "none" else scheme
        if scheme == "hmac":
            header = str(form_data.get("header") or "X-Signature").strip()
            scheme = f"hmac?header={header}&algorithm=sha256&encoding=hex"
        try:
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                found = overview.endpoint_in(db, endpoint_id)
                if found is None:
                    return
                endpoints.set_verification(db, found, scheme, form_data.get("secret") or None)
        except InvalidInput as bad:
            yield rx.toast.error(bad.message)
            return
        self._refresh()
        yield rx.toast.success("Saved. New requests are checked this way from now on.")

    @rx.event
    @protected(MANAGE)
    def toggle_pause(self, endpoint_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            return
        with tenant_session(uuid.UUID(self._tenant_id)) as db:
            found = overview.endpoint_in(db, endpoint_id)
            if found is None:
                return
            if found.paused:
                released = inbound_log.release_held(db, found)
                message = f"Resumed; {released} held events started."
            else:
                inbound_log.set_paused(db, found, True)
                message = "Paused: new events are kept until you resume."
        self._refresh()
        yield rx.toast.success(message)

    @rx.event
    @protected(MANAGE)
    def regenerate(self, endpoint_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            return
        with tenant_session(uuid.UUID(self._tenant_id)) as db:
            found = overview.endpoint_in(db, endpoint_id)
            if found is not None:
                endpoints.regenerate_token(db, found)
        self._refresh()
        yield rx.toast.success("New address made. Update it in the sending app.")

    @rx.event
    @protected(MANAGE)
    def replay_event(self, event_id: str):  # type: ignore[no-untyped-def]
        if not self._may_manage():
            return
        try:
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                inbound_log.replay(db, uuid.UUID(event_id))
        except InvalidInput as bad:
            yield rx.toast.error(bad.message)
            return
        self._refresh()
        yield rx.toast.success("Replayed: the workflow runs again with that request.")
