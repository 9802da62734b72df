"""The agency home: the agency's client accounts, read through the agency-scoped session."""

from __future__ import annotations

import uuid

import reflex as rx
from sqlmodel import select

from flowyard.db import agency_session
from flowyard.security.guard import page_load
from flowyard.web.state.session import SessionState
from tenants.models import Tenant


class HomeState(SessionState):
    clients: list[dict[str, str]] = []
    loaded: bool = False
    load_error: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        """Agency people see their clients; someone with one client goes straight to it."""
        self.loaded, self.load_error, self.clients = False, "", []
        yield
        access = self._begin()
        if access is None:
            yield self._login_redirect()
            return
        if not self.can_view_agency:
            if self.tenant_links:
                yield rx.redirect(self.home_path)
                return
            self.loaded = True
            return
        try:
            with agency_session(uuid.UUID(self._agency_id)) as db:
                rows = db.exec(select(Tenant).order_by(Tenant.name)).all()
        except Exception:  # shown as a sentence with a retry button
            self.load_error = "We couldn't load your clients just now. Try again in a moment."
            self.loaded = True
            return
        self.clients = [
            {
                "name": t.name,
                "slug": t.slug,
                "plan": t.plan.capitalize(),
                "locale": t.locale,
                "currency": t.currency,
                "timezone": t.timezone,
            }
            for t in rows
        ]
        self.loaded = True
