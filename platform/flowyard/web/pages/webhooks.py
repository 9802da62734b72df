"""``/t/[slug]/webhooks`` (one client account) and ``/webhooks`` (every client of the agency).

Top to bottom: addresses other apps call (inbound), endpoints we send events to (outbound)
with their health, and the delivery log with filters, test and replay buttons.
"""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, empty_state, loading, notice
from flowyard.web.state.webhooks import EVENT_OPTIONS, SCHEME_OPTIONS, WebhooksState

_SELECT = {"padding": "8px", "border_radius": "6px", "border": "1px solid var(--gray-7)",
           "background": "var(--color-panel-solid)", "width": "100%"}  # fmt: skip


def _no_access() -> rx.Component:
    return notice("You don't have access to these webhooks. Ask an administrator at your agency.")


def _status(label: rx.Var, tone: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=tone, variant="soft")


# --- inbound ------------------------------------------------------------------------------
def _inbound_event(event: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(event["when"], size="1", color_scheme="gray", min_width="110px"),
        _status(event["status"], event["tone"]),
        rx.text(event["size"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.cond(
            event["replayable"] & WebhooksState.can_manage,
            rx.button("Replay", size="1", variant="soft",
                      on_click=WebhooksState.replay_event(event["id"])),
        ),
        width="100%", align="center", wrap="wrap",
    )  # fmt: skip


def _verification_form(endpoint: rx.Var) -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="endpoint_id", value=endpoint["id"]),
        rx.flex(
            rx.el.select(
                rx.foreach(SCHEME_OPTIONS, lambda o: rx.el.option(o["label"], value=o["value"])),
                default_value=endpoint["scheme_choice"].to(str),
                name="scheme",
                aria_label="How requests are checked",
                style=_SELECT,
            ),
            rx.input(name="secret", type="password", placeholder="Signing secret (leave empty "
                     "to keep)", aria_label="Signing secret", width="100%"),
            rx.input(name="header", placeholder="Signature header (shared secret only)",
                     aria_label="Signature header", width="100%"),
            rx.button("Save check", type="submit", variant="soft"),
            direction=rx.breakpoints(initial="column", md="row"), gap="2", width="100%",
        ),
        on_submit=WebhooksState.save_verification,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def _endpoint_card(endpoint: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(endpoint["workflow"], size="4"),
                rx.cond(endpoint["paused"], _status("Paused", "amber"), _status("Live", "green")),
                align="center", wrap="wrap",
            ),
            rx.hstack(
                rx.code(endpoint["url"], size="2", style={"word_break": "break-all"},
                        class_name="hook-url"),
                rx.button(rx.icon("copy", size=14), "Copy", size="1", variant="soft",
                          on_click=[rx.set_clipboard(endpoint["url"]),
                                    rx.toast.success("Address copied.")],
                          aria_label="Copy webhook address"),
                align="center", wrap="wrap", width="100%",
            ),
            rx.text("Check: ", endpoint["check"], " · ", endpoint["mode"], size="2",
                    color_scheme="gray"),
            rx.cond(WebhooksState.can_manage, rx.vstack(
                _verification_form(endpoint),
                rx.hstack(
                    rx.button(rx.cond(endpoint["paused"], "Resume and release", "Pause"),
                              size="1", variant="outline",
                              on_click=WebhooksState.toggle_pause(endpoint["id"])),
                    rx.button("New address", size="1", variant="outline", color_scheme="red",
                              on_click=WebhooksState.regenerate(endpoint["id"])),
                    wrap="wrap",
                ),
                width="100%",
            )),
            rx.text("Recent requests", weight="medium", size="2"),
            rx.cond(endpoint["events"].to(list).length() > 0,
                    rx.vstack(rx.foreach(endpoint["events"].to(list[dict]), _inbound_event),
                              width="100%", spacing="1"),
                    rx.text("Nothing received yet.", size="2", color_scheme="gray")),
            spacing="3", width="100%",
        ),
        width="100%",
    )  # fmt: skip


def _inbound() -> rx.Component:
    return rx.vstack(
        rx.heading("Addresses other apps call", size="5"),
        rx.text("Each workflow that starts from a webhook has its own private address. Paste it "
                "into the other app; every request is kept here.", color_scheme="gray", size="2"),
        rx.cond(
            WebhooksState.inbound.length() > 0,
            rx.vstack(rx.foreach(WebhooksState.inbound, _endpoint_card), width="100%"),
            empty_state("webhook", "No webhook workflows yet",
                        "When a workflow starts from a webhook, its address appears here."),
        ),
        width="100%", spacing="3",
    )  # fmt: skip


# --- outbound -----------------------------------------------------------------------------
def _subscription_row(sub: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(sub["url"], weight="medium", style={"word_break": "break-all"}),
                rx.cond(sub["enabled"], _status("On", "green"), _status("Off", "red")),
                align="center", wrap="wrap",
            ),
            rx.text(sub["description"], size="2"),
            rx.text("Sends: ", sub["types"], " · ", sub["scope"], size="2", color_scheme="gray"),
            rx.text(sub["health"], size="2", class_name="sub-health"),
            rx.cond(sub["disabled_reason"] != "",
                    rx.text(sub["disabled_reason"], size="2", color_scheme="red")),
            rx.cond(sub["last_error"] != "",
                    rx.text("Last problem: ", sub["last_error"], size="2", color_scheme="red")),
            rx.cond(WebhooksState.can_manage, rx.hstack(
                rx.button("Send test event", size="1",
                          on_click=WebhooksState.send_test(sub["id"]), class_name="send-test"),
                rx.button(rx.cond(sub["enabled"], "Turn off", "Turn on"), size="1",
                          variant="outline", on_click=WebhooksState.toggle_subscription(sub["id"])),
                rx.button("Resend today's failures", size="1", variant="outline",
                          on_click=WebhooksState.replay_failed_today(sub["id"])),
                wrap="wrap",
            )),
            spacing="2", width="100%",
        ),
        width="100%",
    )  # fmt: skip


def _new_subscription() -> rx.Component:
    form = WebhooksState.form
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Send events to another app", size="4"),
                rx.el.label(rx.text("Address (https://…)", size="2", weight="medium"),
                            rx.input(value=form["url"], name="url", id="sub-url",
                                     on_change=lambda v: WebhooksState.set_form_field("url", v)),
                            width="100%"),
                rx.el.label(rx.text("What to send", size="2", weight="medium"),
                            rx.el.select(rx.foreach(EVENT_OPTIONS, lambda o: rx.el.option(
                                o["label"], value=o["value"])), value=form["event_type"],
                                on_change=lambda v: WebhooksState.set_form_field("event_type", v),
                                style=_SELECT, id="sub-type"),
                            width="100%"),
                rx.el.label(rx.text("Description (optional)", size="2", weight="medium"),
                            rx.input(value=form["description"], name="description",
                                     on_change=lambda v: WebhooksState.set_form_field(
                                         "description", v)),
                            width="100%"),
                rx.cond(WebhooksState.form_error != "", notice(WebhooksState.form_error)),
                brand_button("Add endpoint", type="submit", id="add-endpoint"),
                spacing="3", width="100%",
            ),
            on_submit=lambda _form: WebhooksState.create_subscription(),
        ),
        width="100%",
    )  # fmt: skip


def _secret_once() -> rx.Component:
    return rx.cond(
        WebhooksState.new_secret != "",
        rx.callout(
            rx.vstack(
                rx.text("Signing secret — copy it now, it is shown only once:"),
                rx.code(WebhooksState.new_secret, style={"word_break": "break-all"}),
                rx.button("Copy secret", size="1",
                          on_click=rx.set_clipboard(WebhooksState.new_secret)),
            ),
            color_scheme="green", width="100%",
        ),
    )  # fmt: skip


def _outbound() -> rx.Component:
    return rx.vstack(
        rx.heading("Endpoints we send events to", size="5"),
        rx.text("Signed per the Standard Webhooks spec and retried for up to a day and a half.",
                color_scheme="gray", size="2"),
        _secret_once(),
        rx.cond(WebhooksState.can_manage, _new_subscription()),
        rx.cond(
            WebhooksState.subs.length() > 0,
            rx.vstack(rx.foreach(WebhooksState.subs, _subscription_row), width="100%"),
            empty_state("send", "No endpoints yet",
                        "Add an endpoint to tell another app when runs finish or fail."),
        ),
        width="100%", spacing="3",
    )  # fmt: skip


# --- delivery log -------------------------------------------------------------------------
def _delivery_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]),
        rx.table.cell(row["type"]),
        rx.table.cell(_status(row["status"], row["tone"])),
        rx.table.cell(row["answer"]),
        rx.table.cell(row["attempts"]),
        rx.table.cell(rx.text(row["url"], size="1", style={"word_break": "break-all"})),
        rx.table.cell(rx.hstack(
            rx.button("Details", size="1", variant="ghost",
                      on_click=WebhooksState.show_attempts(row["id"])),
            rx.cond(WebhooksState.can_manage,
                    rx.button("Resend", size="1", variant="soft",
                              on_click=WebhooksState.replay_delivery(row["id"]))),
        )),
        class_name="delivery-row",
    )  # fmt: skip


def _attempts() -> rx.Component:
    return rx.cond(
        WebhooksState.attempts_for != "",
        rx.card(rx.vstack(
            rx.text("Tries for ", rx.code(WebhooksState.attempts_for), weight="medium"),
            rx.foreach(WebhooksState.attempts, lambda a: rx.text(
                "#", a["number"], " ", a["when"], " → ", a["status"], " ", a["latency"], " ",
                a["error"], size="2")),
        ), width="100%"),
    )  # fmt: skip


def _log() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Delivery log", size="5"),
            rx.spacer(),
            rx.el.select(
                rx.el.option("All", value="all"), rx.el.option("Delivered", value="succeeded"),
                rx.el.option("Retrying", value="pending"), rx.el.option("Failed", value="failed"),
                value=WebhooksState.status_filter, on_change=WebhooksState.set_status_filter,
                aria_label="Show deliveries", style={**_SELECT, "width": "auto"},
            ),
            rx.button(rx.icon("refresh_cw", size=14), "Refresh", size="1", variant="soft",
                      on_click=WebhooksState.refresh, id="refresh-log"),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(
            WebhooksState.log.length() > 0,
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in (
                    "When", "Event", "Status", "Answer", "Tries", "Endpoint", "")))),
                rx.table.body(rx.foreach(WebhooksState.log, _delivery_row)),
                size="1", width="100%",
            ), overflow_x="auto", width="100%"),
            rx.text("Nothing sent yet. Use “Send test event” to try an endpoint.",
                    color_scheme="gray", size="2"),
        ),
        _attempts(),
        width="100%", spacing="3",
    )  # fmt: skip


def _content() -> rx.Component:
    return rx.cond(
        ~WebhooksState.loaded,
        loading(),
        rx.cond(
            WebhooksState.no_access,
            _no_access(),
            rx.vstack(
                rx.heading(rx.cond(WebhooksState.agency_view, "Webhooks — all clients",
                                   "Webhooks"), size="7", id="webhooks-title"),
                rx.cond(~WebhooksState.agency_view, _inbound()),
                _outbound(),
                _log(),
                spacing="6", width="100%",
            ),
        ),
    )  # fmt: skip


def webhooks_page() -> rx.Component:
    return shell(_content(), active="webhooks")


def add_to(app: rx.App) -> None:
    app.add_page(
        webhooks_page, route="/t/[slug]/webhooks", title="Webhooks", on_load=WebhooksState.load
    )
    app.add_page(webhooks_page, route="/webhooks", title="Webhooks",
                 on_load=WebhooksState.load)  # fmt: skip
