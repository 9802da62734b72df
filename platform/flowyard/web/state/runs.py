"""Run pages: the tenant's runs (optionally one workflow's) with filters, and one run.

Both pages poll the database about once a second while they are open (a browser-side
ticker), so statuses change without a reload; only changed rows are sent to the page.
"""

from __future__ import annotations

import uuid

import reflex as rx

from flowyard.db import tenant_session
from flowyard.engine import executions
from flowyard.security.guard import page_load, protected
from flowyard.security.permissions import Forbidden
from flowyard.web.state.runs_data import STATUSES, list_runs, run_detail, workflow_options
from flowyard.web.state.session import SessionState
from flowyard.web.state.workflows_access import TenantArea


class RunsState(TenantArea, SessionState):
    runs: list[dict] = []
    page: int = 0
    has_more: bool = False
    status_filter: str = "all"
    workflow_filter: str = "all"
    date_from: str = ""
    date_to: str = ""
    workflow_choices: list[dict[str, str]] = []
    load_error: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.load_error, self.page = False, False, "", 0
        yield
        grant = self._open_tenant("execution.view")
        if grant is False:
            yield self._login_redirect()
            return
        if grant is not None:
            wanted = self.router.url.query_parameters.get("workflow", "")
            self.workflow_filter = wanted or "all"
            status = self.router.url.query_parameters.get("status", "")
            self.status_filter = status if status in STATUSES else "all"
            with tenant_session(uuid.UUID(self._tenant_id)) as db:
                self.workflow_choices = workflow_options(db, uuid.UUID(self._tenant_id))
            self._refresh()
        self.loaded = True

    def _refresh(self) -> None:
        try:
            tenant_id = self._recheck("execution.view")
            with tenant_session(tenant_id) as db:
                rows, more = list_runs(
                    db,
                    tenant_id,
                    self._timezone,
                    status="" if self.status_filter == "all" else self.status_filter,
                    workflow_id="" if self.workflow_filter == "all" else self.workflow_filter,
                    date_from=self.date_from,
                    date_to=self.date_to,
                    page=self.page,
                )
        except Forbidden:
            self.no_access = True
            return
        except Exception:
            self.load_error = "We couldn't load the runs just now."
            return
        self.load_error = ""
        if rows != self.runs:
            self.runs = rows
        if more != self.has_more:
            self.has_more = more

    @rx.event
    @protected("execution.view")
    def tick(self) -> None:
        """Live status: re-read the current page (cheap: one indexed query)."""
        if self.loaded and not self.no_access:
            self._refresh()

    @rx.event
    @protected("execution.view")
    def set_status_filter(self, value: str) -> None:
        self.status_filter = value if value in STATUSES else "all"
        self.page = 0
        self._refresh()

    @rx.event
    @protected("execution.view")
    def set_workflow_filter(self, value: str) -> None:
        known = {c["value"] for c in self.workflow_choices}
        self.workflow_filter = value if value in known else "all"
        self.page = 0
        self._refresh()

    @rx.event
    @protected("execution.view")
    def set_date_from(self, value: str) -> None:
        self.date_from = value[:10]
        self.page = 0
        self._refresh()

    @rx.event
    @protected("execution.view")
    def set_date_to(self, value: str) -> None:
        self.date_to = value[:10]
        self.page = 0
        self._refresh()

    @rx.event
    @protected("execution.view")
    def clear_filters(self) -> None:
        self.status_filter = self.workflow_filter = "all"
        self.date_from = self.date_to = ""
        self.page = 0
        self._refresh()

    @rx.event
    @protected("execution.view")
    def next_page(self) -> None:
        if self.has_more:
            self.page += 1
            self._refresh()

    @rx.event
    @protected("execution.view")
    def previous_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._refresh()


class RunDetailState(TenantArea, SessionState):
    run: dict = {}
    steps: list[dict] = []
    finished: bool = False
    missing: bool = False
    busy: bool = False
    _execution_id: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.missing, self.busy = False, False, False, False
        self.run, self.steps = {}, []
        yield
        grant = self._open_tenant("execution.view")
        if grant is False:
            yield self._login_redirect()
            return
        if grant is not None:
            self._execution_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
            self._refresh()
        self.loaded = True

    def _refresh(self) -> None:
        try:
            tenant_id = self._recheck("execution.view")
            execution_id = uuid.UUID(self._execution_id)
        except Forbidden:
            self.no_access = True
            return
        except ValueError:
            self.missing = True
            return
        with tenant_session(tenant_id) as db:
            detail = run_detail(db, execution_id, self._timezone)
        if detail is None:
            self.missing = True
            return
        if detail["run"] != self.run:
            self.run = detail["run"]
        if detail["steps"] != self.steps:
            self.steps = detail["steps"]
        self.finished = detail["run"]["raw_status"] in ("succeeded", "failed", "cancelled")

    @rx.event
    @protected("execution.view")
    def tick(self) -> None:
        if self.loaded and not self.no_access and not self.missing:
            self._refresh()

    @rx.event
    @protected("execution.cancel")
    def cancel(self):  # type: ignore[no-untyped-def]
        try:
            tenant_id = self._recheck("execution.cancel")
        except Forbidden as refused:
            yield rx.toast.error(str(refused))
            return
        self.busy = True
        yield
        with tenant_session(tenant_id) as db:
            executions.cancel(db, uuid.UUID(self._execution_id))
        self.busy = False
        self._refresh()
        yield rx.toast.success("Cancelling. A step that is already running finishes first.")

    @rx.event
    @protected("execution.run")
    def rerun(self):  # type: ignore[no-untyped-def]
        """Start again at the failed step, keeping what already succeeded."""
        try:
            tenant_id = self._recheck("execution.run")
        except Forbidden as refused:
            yield rx.toast.error(str(refused))
            return
        self.busy = True
        yield
        try:
            with tenant_session(tenant_id) as db:
                again = executions.rerun_from_failed(db, uuid.UUID(self._execution_id))
        except executions.CannotStart as refused:
            self.busy = False
            yield rx.toast.error(str(refused))
            return
        self.busy = False
        yield rx.toast.success("Rerunning from the step that failed.")
        yield rx.redirect(f"/t/{self.slug}/runs/{again.id}")
