"""``/t/[slug]/workflows``: every workflow of a client account, and a box to start a new one."""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, empty_state, loading, notice
from flowyard.web.state.workflows import WorkflowsState

S = WorkflowsState


def _create_box() -> rx.Component:
    return rx.cond(
        S.can_edit,
        rx.card(
            rx.vstack(
                rx.el.label(rx.text("New workflow", weight="medium", size="2"),
                            html_for="new-workflow-name"),
                rx.flex(
                    rx.input(id="new-workflow-name", value=S.new_name,
                             on_change=S.set_new_name, placeholder="For example: Invoice paid "
                             "orders", width="100%", max_length=200),
                    brand_button("Create and open", id="create-workflow", on_click=S.create,
                                 loading=S.creating, disabled=S.creating),
                    direction=rx.breakpoints(initial="column", sm="row"), gap="2", width="100%",
                ),
                rx.cond(S.create_error != "",
                        rx.text(S.create_error, color_scheme="red", size="2", role="alert",
                                id="create-error")),
                spacing="2", width="100%",
            ),
            width="100%",
        ),
    )  # fmt: skip


def _row(w: rx.Var) -> rx.Component:
    href = f"/t/{S.slug}/workflows/" + w["id"].to(str)
    runs = f"/t/{S.slug}/runs?workflow=" + w["id"].to(str)
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.link(w["name"], href=href, weight="bold", size="3",
                            class_name="workflow-link"),
                    rx.badge(w["status"], color_scheme=w["tone"].to(str), variant="soft",
                             class_name="workflow-status"),
                    rx.cond(w["edited"], rx.badge("Unpublished changes", color_scheme="amber",
                                                   variant="outline")),
                    wrap="wrap", align="center",
                ),
                rx.text(w["trigger"], size="2", color_scheme="gray"),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.vstack(
                rx.hstack(
                    rx.text("Last run:", size="2", color_scheme="gray"),
                    rx.cond(w["last_id"] != "",
                            rx.link(rx.badge(w["last_status"], color_scheme=w["last_tone"].to(str),
                                             variant="soft"), " ", w["last_run"], size="2",
                                    href=f"/t/{S.slug}/runs/" + w["last_id"].to(str)),
                            rx.text(w["last_run"], size="2")),
                    align="center", wrap="wrap",
                ),
                rx.hstack(
                    rx.link("Runs", href=runs, size="2"),
                    rx.cond(S.can_edit & w["published"].to(bool),
                            rx.button(rx.cond(w["enabled"], "Pause", "Resume"), size="1",
                                      variant="outline",
                                      on_click=S.toggle_paused(w["id"].to(str)))),
                    align="center",
                ),
                align=rx.breakpoints(initial="start", sm="end"), spacing="1",
            ),
            direction=rx.breakpoints(initial="column", sm="row"), gap="2", width="100%",
        ),
        width="100%", class_name="workflow-row",
    )  # fmt: skip


def _list() -> rx.Component:
    return rx.cond(
        S.load_error != "",
        rx.vstack(notice(S.load_error), rx.button("Try again", on_click=S.retry)),
        rx.cond(
            S.workflows.length() > 0,
            rx.vstack(
                rx.foreach(S.workflows, _row),
                rx.hstack(
                    rx.cond(S.page > 0, rx.button("Newer", variant="soft",
                                                  on_click=S.previous_page)),
                    rx.cond(S.has_more, rx.button("Older", variant="soft", on_click=S.next_page)),
                ),
                width="100%", spacing="2",
            ),
            empty_state("workflow", "No workflows yet — create your first one above",
                        "A workflow does a job for you whenever something happens: for example, "
                        "sending an invoice when an order is paid."),
        ),
    )  # fmt: skip


def _content() -> rx.Component:
    return rx.cond(
        ~S.loaded,
        loading(),
        rx.cond(
            S.no_access,
            notice("You don't have access to this client account's workflows. Ask an "
                   "administrator at your agency."),
            rx.vstack(
                rx.hstack(
                    rx.heading("Workflows", size="7", id="workflows-title"),
                    rx.spacer(),
                    rx.link("All runs", href=f"/t/{S.slug}/runs", size="2"),
                    align="center", width="100%",
                ),
                _create_box(),
                _list(),
                spacing="4", width="100%",
            ),
        ),
    )  # fmt: skip


def workflows_page() -> rx.Component:
    return shell(_content(), active="workflows")


def add_to(app: rx.App) -> None:
    app.add_page(workflows_page, route="/t/[slug]/workflows", title="Workflows",
                 on_load=S.load)  # fmt: skip
