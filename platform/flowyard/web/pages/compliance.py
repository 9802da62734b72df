"""``/compliance``: controls with live evidence, exports, and GDPR requests."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import labelled, loading, notice
from flowyard.web.state.compliance import ComplianceState as C
from flowyard.web.state.session import SessionState


def _control(c: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(c["name"], weight="medium")),
        rx.table.cell(
            rx.badge(
                c["status"],
                color_scheme=rx.match(c["status"], ("Pass", "green"), ("Fail", "red"), "amber"),
            )
        ),
        rx.table.cell(c["evidence"]),
    )


def _gdpr() -> rx.Component:
    pick = rx.el.select(
        rx.el.option("Choose a client", value=""),
        rx.foreach(SessionState.tenant_links, lambda t: rx.el.option(t["name"], value=t["slug"])),
        value=C.erase_tenant,
        on_change=lambda v: C.set_field("erase_tenant", v),
        aria_label="Client account",
    )
    return rx.card(
        rx.vstack(
            rx.heading("Data requests (GDPR)", size="5"),
            rx.cond(C.message != "", notice(C.message, "blue")),
            pick,
            rx.hstack(
                rx.button("Download all its data", on_click=C.export_tenant, variant="soft"),
                rx.input(
                    placeholder="Type the client's name to erase",
                    value=C.erase_confirm,
                    on_change=lambda v: C.set_field("erase_confirm", v),
                ),
                rx.button(
                    "Erase client", on_click=C.erase_tenant_now, color_scheme="red", variant="soft"
                ),
                wrap="wrap",
            ),
            labelled(
                "A person's data, by email (agency owners)",
                rx.input(value=C.person_email, on_change=lambda v: C.set_field("person_email", v)),
            ),
            rx.hstack(
                rx.button("Export person", on_click=C.export_person, variant="soft"),
                rx.button(
                    "Erase person", on_click=C.erase_person, color_scheme="red", variant="soft"
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def compliance_page() -> rx.Component:
    body = rx.vstack(
        rx.heading("Compliance", size="7"),
        rx.text("Each control with the evidence as it stands right now."),
        rx.table.root(rx.table.body(rx.foreach(C.controls, _control)), width="100%", id="controls"),
        rx.hstack(
            rx.button("Download CSV", on_click=C.download_csv, variant="soft"),
            rx.button("Download PDF", on_click=C.download_pdf, variant="soft"),
        ),
        _gdpr(),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.cond(
            C.loaded,
            rx.cond(
                C.no_access,
                notice("Only agency administrators can see the compliance report."),
                body,
            ),
            loading(),
        ),
        active="compliance",
    )


def add_to(app: rx.App) -> None:
    app.add_page(compliance_page, route="/compliance", title="Compliance", on_load=C.load)
