"""``/audit``: who did what and when, filtered by client and kind of action."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import empty_state, loading, notice
from flowyard.web.state.audit_log import ACTION_FILTERS
from flowyard.web.state.audit_log import AuditState as A


def _row(e: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e["at"]),
        rx.table.cell(rx.code(e["action"])),
        rx.table.cell(
            rx.badge(e["outcome"], color_scheme=rx.cond(e["outcome"] == "ok", "green", "red"))
        ),
        rx.table.cell(e["who"]),
        rx.table.cell(e["client"]),
        rx.table.cell(e["ip"]),
        rx.table.cell(rx.text(e["change"], size="1")),
    )


def audit_page() -> rx.Component:
    filters = rx.hstack(
        rx.el.select(
            rx.el.option("All clients", value="all"),
            rx.foreach(A.tenant_options, lambda o: rx.el.option(o["label"], value=o["value"])),
            value=rx.cond(A.tenant_filter == "", "all", A.tenant_filter),
            on_change=A.set_tenant_filter,
            aria_label="Client",
            id="audit-tenant",
        ),
        rx.el.select(
            *(rx.el.option(f or "All actions", value=f) for f in ACTION_FILTERS),
            value=A.action_filter,
            on_change=A.set_action_filter,
            aria_label="Action",
            id="audit-action",
        ),
        rx.button("Check integrity", on_click=A.check_chain, variant="soft", id="check-chain"),
        wrap="wrap",
        spacing="3",
    )
    table = rx.cond(
        A.rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(
                            rx.table.column_header_cell(h)
                            for h in ("When", "Action", "Outcome", "Who", "Client", "IP", "Change")
                        )
                    )
                ),
                rx.table.body(rx.foreach(A.rows, _row)),
                width="100%",
                id="audit-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        empty_state(
            "scroll_text",
            "Nothing recorded yet",
            "Sign-ins, permission changes, API keys and publishing appear here.",
        ),
    )
    body = rx.vstack(
        rx.heading("Audit trail", size="7"),
        filters,
        rx.cond(A.chain != "", rx.text(A.chain, id="chain-status")),
        table,
        rx.hstack(
            rx.button("Newer", on_click=A.previous_page, variant="soft"),
            rx.button("Older", on_click=A.next_page, variant="soft"),
        ),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.cond(
            A.loaded,
            rx.cond(A.no_access, notice("Only administrators can see the audit trail."), body),
            loading(),
        ),
        active="audit",
    )


def add_to(app: rx.App) -> None:
    app.add_page(audit_page, route="/audit", title="Audit trail", on_load=A.load)
