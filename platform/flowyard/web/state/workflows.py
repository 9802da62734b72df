"""``/t/[slug]/workflows``: the client account's workflows, creating one, pausing one."""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.db import tenant_session
from flowyard.engine import versions
from flowyard.engine.models import Workflow
from flowyard.security.guard import page_load, protected, public
from flowyard.security.permissions import Forbidden
from flowyard.web.state.session import SessionState
from flowyard.web.state.workflows_access import TenantArea
from flowyard.web.state.workflows_data import list_workflows
from tenants.validation import InvalidInput


class WorkflowsState(TenantArea, SessionState):
    workflows: list[dict] = []
    page: int = 0
    has_more: bool = False
    new_name: str = ""
    create_error: str = ""
    creating: bool = False
    load_error: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.load_error, self.create_error = False, False, "", ""
        self.page = 0
        yield
        grant = self._open_tenant("workflow.view")
        if grant is False:
            yield self._login_redirect()
            return
        if grant is not None:
            self._refresh()
        self.loaded = True

    def _refresh(self) -> None:
        try:
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                self.workflows, self.has_more = list_workflows(
                    db, uuid.UUID(self._tenant_id), self._timezone, self.page
                )
            self.load_error = ""
        except Exception:  # the database is unreachable: say so, offer a retry
            self.load_error = "We couldn't load your workflows just now."

    @rx.event
    @protected("workflow.view")
    def retry(self) -> None:
        self._refresh()

    @rx.event
    @protected("workflow.view")
    def next_page(self) -> None:
        if self.has_more:
            self.page += 1
            self._refresh()

    @rx.event
    @protected("workflow.view")
    def previous_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._refresh()

    @rx.event
    @public("typing the new workflow's name; creating it is checked")
    def set_new_name(self, value: str) -> None:
        self.new_name = value[:200]
        self.create_error = ""

    @rx.event
    @protected("workflow.edit")
    def create(self):  # type: ignore[no-untyped-def]
        """Create a draft and open it in the builder."""
        self.creating = True
        yield
        try:
            tenant_id = self._recheck("workflow.edit")
            with tenant_session(tenant_id) as db:
                workflow = versions.create_workflow(db, tenant_id, self.new_name)
        except (Forbidden, InvalidInput) as refused:
            self.create_error = getattr(refused, "message", None) or str(refused)
            self.creating = False
            return
        self.creating, self.new_name = False, ""
        yield rx.redirect(f"/t/{self.slug}/workflows/{workflow.id}")

    @rx.event
    @protected("workflow.publish")
    def toggle_paused(self, workflow_id: str):  # type: ignore[no-untyped-def]
        """Pause stops schedules and events from starting runs; Run now still works."""
        try:
            tenant_id = self._recheck("workflow.publish")
        except Forbidden as refused:
            yield rx.toast.error(str(refused))
            return
        with tenant_session(tenant_id) as db:
            workflow = db.get(Workflow, uuid.UUID(workflow_id))
            if workflow is None:
                return
            workflow.enabled = not workflow.enabled
            db.add(workflow)
            db.commit()
            word = "resumed" if workflow.enabled else "paused"
        self._refresh()
        yield rx.toast.success(f"Workflow {word}.")
