"""The builder's side panel: generated forms, the value picker, the condition builder,
trigger configuration and the workflow's own settings."""

from __future__ import annotations

import reflex as rx

from flowyard.web.state.builder import BuilderState as S
from flowyard.web.state.builder_rules import OPERATORS

_SELECT = {
    "padding": "6px 8px",
    "border_radius": "6px",
    "border": "1px solid var(--gray-7)",
    "background": "var(--color-panel-solid)",
    "width": "100%",
    "min_height": "32px",
}
_MONO = {"font_family": "monospace", "font_size": "12px"}


def _commit_key(prefix: str, value: rx.Var) -> rx.Var:
    """Remount the field when the server's value changes (a pick, a restore, another step)."""
    return prefix + "|" + S.selected.to(str) + "|" + value.to(str)


def _in(prefix: str, *, value: rx.Var, on_change, **props: object) -> rx.Component:  # type: ignore[no-untyped-def]
    """A text box that sends its value when the user leaves it (no keystroke races)."""
    return rx.input(default_value=value, on_blur=on_change, key=_commit_key(prefix, value), **props)


def _ta(prefix: str, *, value: rx.Var, on_change, **props: object) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.text_area(
        default_value=value, on_blur=on_change, key=_commit_key(prefix, value), **props
    )


def _label(text: rx.Var | str, *children: rx.Component, hint: rx.Var | str = "") -> rx.Component:
    return rx.el.label(
        rx.text(text, size="2", weight="medium"),
        *children,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        style={"display": "flex", "flex_direction": "column", "gap": "4px", "width": "100%"},
    )


def picker(on_pick, label: str = "Use a value from earlier…", **attrs: object) -> rx.Component:  # type: ignore[no-untyped-def]
    """A select listing trigger fields and earlier steps' outputs; picking inserts one."""
    return rx.el.select(
        rx.el.option(label, value=""),
        rx.foreach(S.refs, lambda r: rx.el.option(r["label"], value=r["path"])),
        value="",
        on_change=on_pick,
        aria_label=label,
        style={**_SELECT, "color": "var(--gray-11)", "font_size": "12px"},
        **attrs,
    )


# --- generated form ------------------------------------------------------------------------
def _text_input(f: rx.Var) -> rx.Component:
    return _in(
        "k1",
        value=f.text,
        on_change=lambda v: S.set_field(f.path, v),
        width="100%",
        custom_attrs={"data-field": f.path},
    )


def _area(f: rx.Var, placeholder: str) -> rx.Component:
    return _ta(
        "k2",
        value=f.text,
        on_change=lambda v: S.set_field(f.path, v),
        width="100%",
        placeholder=placeholder,
        rows="3",
        style=_MONO,
        custom_attrs={"data-field": f.path},
    )


def _choice(f: rx.Var) -> rx.Component:
    return rx.el.select(
        rx.el.option("—", value=""),
        rx.foreach(f.options, lambda o: rx.el.option(o, value=o)),
        value=f.text,
        on_change=lambda v: S.set_field(f.path, v),
        style=_SELECT,
        custom_attrs={"data-field": f.path},
    )


def _pair_row(f: rx.Var, pair: rx.Var, index: rx.Var) -> rx.Component:
    return rx.hstack(
        _in(
            "k3",
            value=pair.key,
            on_change=lambda v: S.set_pair(f.path, index, "key", v),
            placeholder="Name",
            width="40%",
            aria_label="Name",
            custom_attrs={"data-pair-key": f.path},
        ),
        rx.cond(
            pair.ref != "",
            rx.badge(
                pair.ref,
                variant="soft",
                color_scheme="violet",
                max_width="45%",
                style={"overflow": "hidden"},
            ),
            _in(
                "k4",
                value=pair.text,
                on_change=lambda v: S.set_pair(f.path, index, "value", v),
                placeholder="Value",
                width="45%",
                aria_label="Value",
                custom_attrs={"data-pair-value": f.path},
            ),
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            color_scheme="gray",
            on_click=S.remove_pair(f.path, index),
            aria_label="Remove this row",
        ),
        width="100%",
        align="center",
        spacing="1",
    )


def _pairs(f: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            f.pairs,
            lambda p, i: rx.vstack(
                _pair_row(f, p, i),
                picker(lambda v: S.pick_pair_ref(f.path, i, v), "Use a value from earlier…"),
                width="100%",
                spacing="1",
            ),
        ),
        rx.button(
            rx.icon("plus", size=14),
            "Add a row",
            size="1",
            variant="soft",
            on_click=S.add_pair(f.path),
            custom_attrs={"data-add-pair": f.path},
        ),
        width="100%",
        spacing="2",
    )


def _control(f: rx.Var) -> rx.Component:
    return rx.match(
        f.kind,
        ("text", _text_input(f)),
        (
            "number",
            _in(
                "k5",
                value=f.text,
                on_change=lambda v: S.set_field(f.path, v),
                type="number",
                width="100%",
                custom_attrs={"data-field": f.path},
            ),
        ),
        (
            "boolean",
            rx.switch(
                checked=f.text == "true",
                on_change=lambda v: S.set_field(f.path, v),
                custom_attrs={"data-field": f.path},
            ),
        ),
        ("choice", _choice(f)),
        ("pairs", _pairs(f)),
        ("list", _area(f, "One item per line")),
        _area(f, "A value, or JSON"),
    )


def _form_field(f: rx.Var) -> rx.Component:
    return rx.box(
        _label(
            rx.fragment(f.label, rx.cond(f.required, rx.text(" *", as_="span", color="red"))),
            rx.cond(
                f.ref != "",
                rx.hstack(
                    rx.badge(
                        "From earlier: ",
                        f.ref,
                        variant="soft",
                        color_scheme="violet",
                        style={"white_space": "normal"},
                    ),
                    rx.button("Clear", size="1", variant="ghost", on_click=S.clear_ref(f.path)),
                    align="center",
                    wrap="wrap",
                ),
                _control(f),
            ),
            hint=f.hint,
        ),
        rx.cond(
            (f.kind != "pairs") & (f.kind != "boolean") & (f.kind != "choice"),
            picker(lambda v: S.pick_ref(f.path, v), custom_attrs={"data-picker": f.path}),
        ),
        width="100%",
        class_name="form-field",
    )


def generated_form() -> rx.Component:
    return rx.vstack(rx.foreach(S.fields, _form_field), width="100%", spacing="3")


# --- condition builder ---------------------------------------------------------------------
def _join_select(value: rx.Var, on_change, label: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.el.select(
        rx.el.option("all of", value="and"),
        rx.el.option("any of", value="or"),
        value=value,
        on_change=on_change,
        aria_label=label,
        style={**_SELECT, "width": "auto"},
    )


def _rule_row(gi: rx.Var, row: rx.Var, ri: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _in(
                "k6",
                value=row.field,
                on_change=lambda v: S.set_row(gi, ri, "field", v),
                placeholder="Field, e.g. trigger.total",
                width="100%",
                aria_label="Field",
                class_name="rule-field",
            ),
            rx.icon_button(
                rx.icon("x", size=14),
                size="1",
                variant="ghost",
                color_scheme="gray",
                on_click=S.remove_row(gi, ri),
                aria_label="Remove this row",
            ),
            width="100%",
            align="center",
        ),
        picker(
            lambda v: S.set_row(gi, ri, "field", v), "Pick a field…", class_name="rule-field-picker"
        ),
        rx.hstack(
            rx.el.select(
                *[rx.el.option(label, value=op) for op, label in OPERATORS],
                value=row.op,
                on_change=lambda v: S.set_row(gi, ri, "op", v),
                aria_label="Comparison",
                class_name="rule-op",
                style={**_SELECT, "width": "45%"},
            ),
            rx.cond(
                (row.op != "empty") & (row.op != "not_empty"),
                _in(
                    "k7",
                    value=row.value,
                    on_change=lambda v: S.set_row(gi, ri, "value", v),
                    placeholder="Value",
                    width="55%",
                    aria_label="Value",
                    class_name="rule-value",
                ),
            ),
            width="100%",
        ),
        width="100%",
        spacing="1",
        padding="8px",
        border_radius="6px",
        background="var(--gray-2)",
        class_name="rule-row",
    )


def _rule_group(group: rx.Var, gi: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Group", size="1", weight="medium"),
            rx.text("matches", size="1"),
            _join_select(group.join, lambda v: S.set_group_join(gi, v), "Group matches"),
            align="center",
        ),
        rx.foreach(group.rows, lambda row, ri: _rule_row(gi, row, ri)),
        rx.button(
            rx.icon("plus", size=14),
            "Add a row",
            size="1",
            variant="soft",
            on_click=S.add_row(gi),
            class_name="add-rule-row",
        ),
        width="100%",
        spacing="2",
        padding="8px",
        border="1px solid var(--gray-5)",
        border_radius="8px",
    )


def _cases() -> rx.Component:
    return rx.vstack(
        rx.text("Cases (checked in order; the first match wins)", size="2", weight="medium"),
        rx.hstack(
            rx.foreach(
                S.case_names,
                lambda name, i: rx.button(
                    name,
                    size="1",
                    variant=rx.cond(S.case_index == i, "solid", "soft"),
                    on_click=S.pick_case(i),
                ),
            ),
            rx.button(
                rx.icon("plus", size=14), "Case", size="1", variant="outline", on_click=S.add_case
            ),
            wrap="wrap",
        ),
        _label(
            "Case name (the label on its connection)",
            _in("k8", value=S.case_names[S.case_index], on_change=S.rename_case, width="100%"),
        ),
        rx.button(
            "Remove this case",
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.remove_case,
            disabled=S.case_names.length() < 2,
        ),
        width="100%",
        spacing="2",
    )


def condition_builder() -> rx.Component:
    return rx.vstack(
        rx.cond(S.sel_kind == "switch", _cases()),
        rx.cond(
            S.rule_custom,
            rx.callout(
                "This rule was written by hand, so it is shown as JSON below.",
                icon="info",
                size="1",
                width="100%",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text("Go", size="2"),
                    rx.text(rx.cond(S.sel_kind == "switch", "this way", "the Yes way"), size="2"),
                    rx.text("when", size="2"),
                    _join_select(S.rule_join, S.set_rule_join, "Groups match"),
                    rx.text("these groups match:", size="2"),
                    align="center",
                    wrap="wrap",
                ),
                rx.foreach(S.rule_groups, _rule_group),
                rx.button(
                    rx.icon("plus", size=14),
                    "Add a group",
                    size="1",
                    variant="outline",
                    on_click=S.add_group,
                ),
                width="100%",
                spacing="2",
            ),
        ),
        rx.el.details(
            rx.el.summary(
                rx.text("Rule as JSON (for experts)", as_="span", size="2"),
                style={"cursor": "pointer"},
            ),
            rx.vstack(
                _ta(
                    "k9",
                    value=S.rule_raw,
                    on_change=S.set_rule_raw,
                    rows="8",
                    width="100%",
                    style=_MONO,
                    id="rule-json",
                    aria_label="Rule as JSON",
                ),
                rx.cond(
                    S.rule_raw_error != "",
                    rx.text(S.rule_raw_error, color_scheme="red", size="2", role="alert"),
                ),
                rx.hstack(
                    rx.button("Apply JSON", size="1", on_click=S.apply_rule_raw),
                    rx.cond(
                        S.rule_custom,
                        rx.button(
                            "Start over with the rule builder",
                            size="1",
                            variant="soft",
                            on_click=S.use_rule_builder,
                        ),
                    ),
                ),
                width="100%",
                spacing="2",
            ),
            open=S.rule_custom,
            style={"width": "100%"},
        ),
        width="100%",
        spacing="3",
    )


# --- trigger -------------------------------------------------------------------------------
def trigger_panel() -> rx.Component:
    return rx.vstack(
        rx.heading("Trigger", size="4"),
        rx.text("What starts this workflow.", size="2", color_scheme="gray"),
        _label(
            "Starts",
            rx.el.select(
                rx.el.option("When I run it (Run now, or by API)", value="manual"),
                rx.el.option("On a schedule", value="schedule"),
                rx.el.option("When something happens (an event)", value="event"),
                rx.el.option("When another app calls (webhook)", value="webhook"),
                value=S.trig_kind,
                on_change=lambda v: S.set_trigger("kind", v),
                style=_SELECT,
                id="trigger-kind",
                disabled=~S.can_edit,
            ),
        ),
        rx.match(
            S.trig_kind,
            (
                "schedule",
                rx.vstack(
                    _label(
                        "When (cron)",
                        _in(
                            "k10",
                            value=S.trig_cron,
                            id="trigger-cron",
                            on_change=lambda v: S.set_trigger("cron", v),
                        ),
                        hint="Five fields: minute hour day month weekday. 0 9 * * 1-5 means "
                        "9:00 on weekdays.",
                    ),
                    _label(
                        "Time zone",
                        _in(
                            "k11",
                            value=S.trig_tz,
                            placeholder="The client's time zone",
                            on_change=lambda v: S.set_trigger("timezone", v),
                        ),
                        hint="For example Europe/London. Empty means the client's time zone.",
                    ),
                    _label(
                        "Missed runs (after downtime)",
                        rx.el.select(
                            rx.el.option("Skip them", value="none"),
                            rx.el.option("Run the latest one", value="latest"),
                            rx.el.option("Run all of them", value="all"),
                            value=S.trig_catch_up,
                            style=_SELECT,
                            on_change=lambda v: S.set_trigger("catch_up", v),
                        ),
                    ),
                    width="100%",
                    spacing="3",
                ),
            ),
            (
                "event",
                rx.vstack(
                    _label(
                        "Event",
                        _in(
                            "k12",
                            value=S.trig_event_type,
                            id="trigger-event",
                            on_change=lambda v: S.set_trigger("event_type", v),
                        ),
                        hint="For example execution.failed or shopify.order_created.",
                    ),
                    _label(
                        "Only when (JSONLogic filter, optional)",
                        _ta(
                            "k13",
                            value=S.trig_filter,
                            rows="3",
                            style=_MONO,
                            on_change=lambda v: S.set_trigger("filter", v),
                        ),
                    ),
                    width="100%",
                    spacing="3",
                ),
            ),
            (
                "webhook",
                rx.cond(
                    S.webhook_url != "",
                    _label(
                        "This workflow's address",
                        rx.hstack(
                            rx.code(
                                S.webhook_url,
                                id="webhook-url",
                                style=_MONO,
                                overflow_wrap="anywhere",
                            ),
                            rx.icon_button(
                                rx.icon("copy", size=14),
                                size="1",
                                variant="soft",
                                aria_label="Copy the address",
                                on_click=[
                                    rx.set_clipboard(S.webhook_url),
                                    rx.toast.success("Address copied"),
                                ],
                            ),
                            align="center",
                            width="100%",
                        ),
                        hint="Paste it into the other app. Signature checks, recent requests "
                        "and replay are on the Webhooks page.",
                    ),
                    rx.callout(
                        "Publish this workflow to get its private address, then paste it "
                        "into the other app.",
                        icon="webhook",
                        size="1",
                    ),
                ),
            ),
            rx.fragment(),
        ),
        _label(
            "Sample data",
            rx.text_area(
                value=S.sample_text,
                on_change=S.set_sample,
                rows="8",
                style=_MONO,
                width="100%",
                id="sample-payload",
                aria_label="Sample data",
            ),
            hint="JSON like the data this workflow receives. Its fields are offered in the "
            "value pickers, and Run now starts with it.",
        ),
        rx.cond(S.sample_error != "", rx.text(S.sample_error, color_scheme="amber", size="2")),
        width="100%",
        spacing="3",
    )


# --- a step --------------------------------------------------------------------------------
def step_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(S.sel_kind_label, size="1", color_scheme="gray", weight="medium"),
                rx.heading(S.sel_name, size="4"),
                spacing="0",
            ),
            rx.spacer(),
            rx.cond(
                S.can_edit,
                rx.button(
                    rx.icon("trash_2", size=14),
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    id="delete-step",
                    on_click=S.delete_selected,
                ),
            ),
            width="100%",
            align="start",
        ),
        rx.cond(S.sel_description != "", rx.text(S.sel_description, size="2", color_scheme="gray")),
        rx.foreach(
            S.selected_problems,
            lambda p: rx.callout(
                p,
                color_scheme="red",
                size="1",
                icon="triangle_alert",
                width="100%",
                class_name="step-problem",
            ),
        ),
        _label(
            "Name",
            _in("k14", value=S.sel_name, on_change=S.set_step_name, width="100%", id="step-name"),
        ),
        rx.cond(S.sel_needs_connection, _connection_picker()),
        rx.cond(
            (S.sel_kind == "condition") | (S.sel_kind == "switch"),
            condition_builder(),
            generated_form(),
        ),
        rx.el.details(
            rx.el.summary(
                rx.text("When this step fails", as_="span", size="2"), style={"cursor": "pointer"}
            ),
            rx.vstack(
                _label(
                    "Attempts",
                    _in(
                        "k15",
                        value=S.sel_attempts,
                        type="number",
                        on_change=lambda v: S.set_step_setting("max_attempts", v),
                    ),
                    hint="Tries before giving up (1 = no retry). Waits longer each time.",
                ),
                _label(
                    "Time limit (seconds)",
                    rx.input(
                        value=S.sel_timeout,
                        type="number",
                        on_change=lambda v: S.set_step_setting("timeout_seconds", v),
                    ),
                ),
                rx.hstack(
                    rx.switch(
                        checked=S.sel_continue,
                        on_change=lambda v: S.set_step_setting("continue_on_error", v),
                    ),
                    rx.text("Carry on with the next steps even if this one fails", size="2"),
                    align="center",
                ),
                width="100%",
                spacing="2",
                padding_top="8px",
            ),
            style={"width": "100%"},
        ),
        width="100%",
        spacing="3",
    )


# --- the workflow --------------------------------------------------------------------------
def workflow_panel() -> rx.Component:
    return rx.vstack(
        rx.heading("Workflow settings", size="4"),
        rx.text(
            "Select a step on the canvas to change it, or the trigger to choose what starts "
            "the workflow.",
            size="2",
            color_scheme="gray",
        ),
        rx.foreach(
            S.general_problems,
            lambda p: rx.callout(
                p,
                color_scheme="amber",
                size="1",
                icon="triangle_alert",
                width="100%",
                class_name="workflow-problem",
            ),
        ),
        _label(
            "Summary for the run history",
            rx.input(
                value=S.summary_template,
                id="summary-template",
                width="100%",
                placeholder="Order {{trigger.number}} invoiced",
                on_change=lambda v: S.set_setting("summary_template", v),
            ),
            hint="One line per run. Use {{trigger.x}} or {{steps.id.output.x}}.",
        ),
        _label(
            "Minutes saved per run",
            rx.input(
                value=S.minutes_saved,
                type="number",
                id="minutes-saved",
                width="100%",
                on_change=lambda v: S.set_setting("minutes_saved", v),
            ),
            hint="Your estimate of the time this saves a person each run.",
        ),
        _label(
            "If a run fails, run this workflow",
            rx.el.select(
                rx.el.option("Nothing", value=""),
                rx.foreach(S.other_workflows, lambda w: rx.el.option(w["label"], value=w["value"])),
                value=S.error_workflow,
                style=_SELECT,
                on_change=lambda v: S.set_setting("error_workflow", v),
            ),
        ),
        width="100%",
        spacing="3",
    )


def side_panel() -> rx.Component:
    return rx.box(
        rx.match(S.sel_kind, ("trigger", trigger_panel()), ("", workflow_panel()), step_panel()),
        id="side-panel",
        custom_attrs={"data-selected": S.selected},
        width="100%",
    )


def _connection_picker() -> rx.Component:
    """Which of the client's accounts this step acts on (e.g. which Xero organisation)."""
    return rx.cond(
        S.connection_options.length() > 0,
        _label(
            "Account",
            rx.select.root(
                rx.select.trigger(
                    placeholder="Choose a connection", width="100%", id="step-connection"
                ),
                rx.select.content(
                    rx.foreach(
                        S.connection_options, lambda o: rx.select.item(o["label"], value=o["value"])
                    ),
                ),
                value=S.sel_connection,
                on_change=S.set_step_connection,
            ),
            hint="The connected account this step uses.",
        ),
        rx.callout(
            rx.text(
                "This step needs a ",
                S.sel_connector_name,
                " connection. Connect it on the Integrations page first.",
            ),
            color_scheme="amber",
            size="1",
            icon="plug",
            width="100%",
        ),
    )
