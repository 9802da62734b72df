"""``/t/[slug]/runs`` (every run, or one workflow's) and ``/t/[slug]/runs/[id]`` (one run).

Lists are cards rather than wide tables so they read on a 375 px phone; status is a coloured
badge with a word. Both pages update live while open.
"""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.layout import shell
from flowyard.web.components.ticker import ticker
from flowyard.web.components.widgets import empty_state, loading, notice
from flowyard.web.state.runs import RunDetailState, RunsState

_SELECT = {"padding": "6px 8px", "border_radius": "6px", "border": "1px solid var(--gray-7)",
           "background": "var(--color-panel-solid)", "width": "100%",
           "min_height": "34px"}  # fmt: skip
_PRE = {"white_space": "pre-wrap", "word_break": "break-word", "font_size": "12px",
        "background": "var(--gray-2)", "padding": "8px", "border_radius": "6px",
        "max_height": "260px", "overflow": "auto", "margin": "0", "width": "100%"}  # fmt: skip
STATUS_OPTIONS = [("all", "Any status"), ("queued", "Queued"), ("running", "Running"),
                  ("waiting", "Waiting"), ("succeeded", "Succeeded"), ("failed", "Failed"),
                  ("cancelled", "Cancelled")]  # fmt: skip


def status_badge(word: rx.Var, tone: rx.Var, **props: object) -> rx.Component:
    return rx.badge(word, color_scheme=tone.to(str), variant="soft", size="2", **props)


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.text(label, size="1", color_scheme="gray"), control,
                       style={"display": "flex", "flex_direction": "column", "gap": "2px",
                              "flex": "1", "min_width": "140px"})  # fmt: skip


# --- list ----------------------------------------------------------------------------------
def _filters() -> rx.Component:
    S = RunsState
    return rx.flex(
        _labelled("Status", rx.el.select(
            *[rx.el.option(label, value=value) for value, label in STATUS_OPTIONS],
            value=S.status_filter, on_change=S.set_status_filter, id="filter-status",
            style=_SELECT)),
        _labelled("Workflow", rx.el.select(
            rx.el.option("Every workflow", value="all"),
            rx.foreach(S.workflow_choices, lambda c: rx.el.option(c["label"], value=c["value"])),
            value=S.workflow_filter, on_change=S.set_workflow_filter, id="filter-workflow",
            style=_SELECT)),
        _labelled("From", rx.el.input(type="date", value=S.date_from, on_change=S.set_date_from,
                                      id="filter-from", style=_SELECT)),
        _labelled("To", rx.el.input(type="date", value=S.date_to, on_change=S.set_date_to,
                                    id="filter-to", style=_SELECT)),
        rx.button("Clear", variant="soft", color_scheme="gray", on_click=S.clear_filters,
                  align_self="end"),
        wrap="wrap", gap="2", width="100%", align="end",
    )  # fmt: skip


def _run_row(run: rx.Var) -> rx.Component:
    href = f"/t/{RunsState.slug}/runs/" + run["id"].to(str)
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    status_badge(run["status"], run["tone"], class_name="run-status"),
                    rx.text(run["workflow"], weight="bold", size="2", trim="both"),
                    rx.cond(run["dead_letter"], rx.badge("Needs attention", color_scheme="red",
                                                          variant="outline")),
                    wrap="wrap", align="center",
                ),
                rx.text(run["summary"], size="2", class_name="run-summary"),
                rx.text(run["started"], " · ", run["trigger"],
                        rx.cond(run["took"] != "", rx.fragment(" · took ", run["took"])),
                        size="1", color_scheme="gray"),
                spacing="1", width="100%",
            ),
            width="100%",
        ),
        href=href, underline="none", color="inherit", width="100%", class_name="run-row",
    )  # fmt: skip


def _runs_list() -> rx.Component:
    S = RunsState
    return rx.vstack(
        ticker(S.tick),
        rx.hstack(rx.heading("Runs", size="7", id="runs-title"), rx.spacer(),
                  rx.link("Workflows", href=f"/t/{S.slug}/workflows", size="2"),
                  align="center", width="100%"),
        rx.text("Every time a workflow runs, it appears here. This list updates by itself.",
                size="2", color_scheme="gray"),
        _filters(),
        rx.cond(S.load_error != "", rx.hstack(notice(S.load_error),
                                               rx.button("Try again", on_click=S.tick))),
        rx.cond(
            S.runs.length() > 0,
            rx.vstack(rx.foreach(S.runs, _run_row), width="100%", spacing="2", id="runs-list"),
            empty_state("history", "No runs yet",
                        "Runs appear here when a workflow starts: from Run now in the builder, "
                        "a schedule, or an event. Change the filters to see older runs."),
        ),
        rx.hstack(
            rx.cond(S.page > 0, rx.button("Newer", variant="soft", on_click=S.previous_page)),
            rx.cond(S.has_more, rx.button("Older", variant="soft", on_click=S.next_page)),
        ),
        spacing="3", width="100%",
    )  # fmt: skip


def _gate(state: type, body: rx.Component, what: str) -> rx.Component:
    return rx.cond(~state.loaded, loading(), rx.cond(
        state.no_access,
        notice(f"You don't have access to {what}. Ask an administrator at your agency."),
        body))  # fmt: skip


def runs_page() -> rx.Component:
    return shell(_gate(RunsState, _runs_list(), "this client account's runs"), active="runs")


# --- detail --------------------------------------------------------------------------------
def _json_block(title: str, text: rx.Var) -> rx.Component:
    return rx.cond(
        text.to(str) != "",
        rx.el.details(
            rx.el.summary(rx.text(title, as_="span", size="2", weight="medium"),
                          style={"cursor": "pointer"}),
            rx.el.pre(text, style=_PRE),
            width="100%",
        ),
    )  # fmt: skip


def _step_facts(step: rx.Var) -> rx.Component:
    return rx.text(
        rx.cond(step["took"] != "", rx.fragment("Took ", step["took"], " · ")),
        "Attempts: ",
        step["attempts"].to(str),
        rx.cond(step["branch"] != "", rx.fragment(" · Went: ", step["branch"])),
        rx.cond(step["started"] != "", rx.fragment(" · Started ", step["started"])),
        size="1",
        color_scheme="gray",
    )


def _iteration(item: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(rx.text(item["item"], size="2", weight="medium"),
                  status_badge(item["status"], item["tone"]), align="center", wrap="wrap"),
        _step_facts(item),
        rx.cond(item["error"] != "", rx.text(item["error"], color_scheme="red", size="2")),
        _json_block("What it received", item["inputs"]),
        _json_block("What it produced", item["output"]),
        padding_left="12px", border_left="2px solid var(--gray-5)", width="100%",
    )  # fmt: skip


def _step_card(step: rx.Var) -> rx.Component:
    iterations = step["iterations"].to(list[dict])
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(step["status"], step["tone"], class_name="step-status"),
                rx.text(step["name"], weight="bold", size="3"),
                rx.text(step["kind"], size="1", color_scheme="gray"),
                wrap="wrap", align="center",
            ),
            rx.cond((iterations.length() == 0) & (step["status"] != "Skipped"),
                    _step_facts(step)),
            rx.cond(step["error"] != "",
                    rx.callout(step["error"], color_scheme="red", size="1", width="100%",
                               class_name="step-error")),
            _json_block("What it received", step["inputs"]),
            _json_block("What it produced", step["output"]),
            rx.cond(iterations.length() > 0, rx.vstack(
                rx.text(iterations.length().to(str), " items", size="2", weight="medium"),
                rx.foreach(iterations, _iteration), width="100%", spacing="2")),
            spacing="2", width="100%",
        ),
        width="100%", class_name="step-card", data_step=step["step_id"],
    )  # fmt: skip


def _detail_header() -> rx.Component:
    S = RunDetailState
    r = S.run
    return rx.vstack(
        rx.link("← Runs of this workflow",
                href=f"/t/{S.slug}/runs?workflow=" + r["workflow_id"].to(str), size="2"),
        rx.hstack(
            rx.heading(r["workflow"], size="6"),
            status_badge(r["status"], r["tone"], id="run-status"),
            rx.cond(r["dead_letter"], rx.badge("Needs attention: retries ran out",
                                                color_scheme="red", variant="outline")),
            wrap="wrap", align="center",
        ),
        rx.text(r["summary"], size="3", id="run-summary"),
        rx.cond(r["error"].to(str) != "",
                rx.callout(r["error"], color_scheme="red", width="100%", id="run-error")),
        rx.text(r["started"], " · ", r["trigger"], " · ", r["version"],
                rx.cond(r["took"] != "", rx.fragment(" · took ", r["took"])),
                size="2", color_scheme="gray"),
        rx.hstack(
            rx.cond(S.can_run & ~S.finished,
                    rx.button("Cancel run", color_scheme="red", variant="soft", id="cancel-run",
                              on_click=S.cancel, loading=S.busy,
                              disabled=S.busy | r["cancel_requested"].to(bool))),
            rx.cond(S.can_run & (r["raw_status"] == "failed"),
                    rx.button("Rerun from the failed step", id="rerun-run", on_click=S.rerun,
                              loading=S.busy, disabled=S.busy)),
            rx.link("Open in the builder",
                    href=f"/t/{S.slug}/workflows/" + r["workflow_id"].to(str), size="2"),
            wrap="wrap", align="center",
        ),
        _json_block("What started it", r["payload"]),
        spacing="2", width="100%",
    )  # fmt: skip


def _detail() -> rx.Component:
    S = RunDetailState
    return rx.cond(
        S.missing,
        notice("We couldn't find that run. It may have been deleted."),
        rx.vstack(
            rx.cond(~S.finished, ticker(S.tick)),
            _detail_header(),
            rx.heading("Steps", size="4"),
            rx.cond(S.steps.length() > 0,
                    rx.vstack(rx.foreach(S.steps, _step_card), width="100%", spacing="2",
                              id="run-steps"),
                    rx.text("No steps have run yet.", color_scheme="gray", size="2")),
            spacing="3", width="100%",
        ),
    )  # fmt: skip


def run_page() -> rx.Component:
    return shell(_gate(RunDetailState, _detail(), "this run"), active="runs")


def add_to(app: rx.App) -> None:
    app.add_page(runs_page, route="/t/[slug]/runs", title="Runs", on_load=RunsState.load)
    app.add_page(run_page, route="/t/[slug]/runs/[id]", title="Run",
                 on_load=RunDetailState.load)  # fmt: skip
