"""``/t/[slug]/workflows/[id]``: the builder. Library on the left, canvas in the middle, the
selected step's settings on the right; publish, history and Run now along the top.

On phones the canvas is not offered (it needs room); the page says so politely and links to
the runs, which work at any width.
"""

from __future__ import annotations

import reflex as rx

from flowyard.web.components.flow_canvas import flow_canvas
from flowyard.web.components.layout import shell
from flowyard.web.components.widgets import brand_button, loading, notice
from flowyard.web.pages.builder_panel import side_panel
from flowyard.web.state.builder import BuilderState as S

_MONO = {"font_family": "monospace", "font_size": "12px"}


def _library_item(item: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(item["name"], size="2", weight="medium"),
        rx.text(item["group"], size="1", color_scheme="gray"),
        draggable=True,
        custom_attrs={"data-step-key": item["key"], "role": "button", "tabindex": "0"},
        on_click=S.add_from_library(item["key"]),
        title=item["description"],
        padding="6px 8px", border="1px solid var(--gray-5)", border_radius="6px",
        cursor="grab", width="100%", class_name="library-item",
        _hover={"background": "var(--gray-3)"},
    )  # fmt: skip


def _library() -> rx.Component:
    return rx.vstack(
        rx.text("Add a step", size="2", weight="bold"),
        rx.input(value=S.library_query, on_change=S.set_library_query, placeholder="Search "
                 "actions…", id="library-search", width="100%", aria_label="Search actions"),
        rx.text("Drag onto the canvas, or click to add.", size="1", color_scheme="gray"),
        rx.vstack(rx.foreach(S.library_view, _library_item), spacing="1", width="100%",
                  overflow_y="auto", max_height="560px", id="library"),
        width="200px", min_width="200px", spacing="2",
    )  # fmt: skip


def _history_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Version history"),
            rx.dialog.description("Every published version. Restoring copies it into the draft; "
                                  "publish again to make it live.", size="2"),
            rx.cond(S.history.length() > 0, rx.vstack(
                rx.foreach(S.history, lambda v: rx.hstack(
                    rx.text("Version ", v["number"], weight="medium", size="2"),
                    rx.cond(v["live"] != "", rx.badge("Live", color_scheme="green")),
                    rx.text(v["when"], size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.button("View", size="1", variant="soft",
                              on_click=S.view_version(v["id"])),
                    rx.cond(S.can_edit, rx.button("Restore", size="1",
                                                  on_click=S.restore_version(v["id"]),
                                                  class_name="restore-version")),
                    width="100%", align="center", class_name="version-row")),
                width="100%", spacing="2", margin_y="12px"),
                rx.text("Nothing published yet.", color_scheme="gray", margin_y="12px")),
            rx.cond(S.viewing_number != "", rx.vstack(
                rx.text("Version ", S.viewing_number, weight="medium", size="2"),
                rx.el.pre(S.viewing_json, style={**_MONO, "max_height": "300px",
                                                 "overflow": "auto", "width": "100%",
                                                 "background": "var(--gray-2)",
                                                 "padding": "8px"}),
                width="100%")),
            rx.dialog.close(rx.button("Close", variant="soft", margin_top="8px")),
            max_width="640px",
        ),
        open=S.history_open, on_open_change=S.set_history_open,
    )  # fmt: skip


def _run_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Run now"),
            rx.dialog.description("Runs the published version once, with this data as what "
                                  "started it.", size="2"),
            rx.text_area(default_value=S.sample_text, on_blur=S.set_sample, rows="10",
                         width="100%", key="run|" + S.sample_text,
                         style=_MONO, id="run-payload", aria_label="Data to start with",
                         margin_y="12px"),
            rx.cond(S.run_error != "", rx.text(S.run_error, color_scheme="red", size="2",
                                               role="alert", id="run-error")),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                brand_button("Start run", on_click=S.start_run, loading=S.running,
                             disabled=S.running, id="start-run"),
                justify="end", width="100%", margin_top="8px",
            ),
            max_width="560px",
        ),
        open=S.run_open, on_open_change=S.set_run_open,
    )  # fmt: skip


def _header() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.link("← Workflows", href=f"/t/{S.slug}/workflows", size="2"),
            rx.hstack(
                rx.heading(S.wf_name, size="6", id="builder-title"),
                rx.badge(S.status_word, color_scheme=S.status_tone, variant="soft",
                         id="builder-status"),
                rx.text(S.save_state, size="1", color_scheme="gray", id="save-state",
                        aria_live="polite"),
                _problems_badge(),
                align="center", wrap="wrap",
            ),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(
            rx.link("Runs", href=f"/t/{S.slug}/runs?workflow={S.wf_id}", size="2"),
            rx.button(rx.icon("history", size=16), "History", variant="soft",
                      on_click=S.open_history, id="open-history"),
            rx.cond(S.can_run, rx.button(rx.icon("play", size=16), "Run now", variant="soft",
                                         on_click=S.set_run_open(True), id="run-now",
                                         disabled=~S.published)),
            rx.cond(S.can_edit, brand_button("Publish", on_click=S.publish, id="publish",
                                             loading=S.publishing, disabled=S.publishing)),
            align="center", wrap="wrap",
        ),
        width="100%", align="end", wrap="wrap", gap="2",
    )  # fmt: skip


def _problems_badge() -> rx.Component:
    """How many things block publishing (the steps concerned are outlined in red)."""
    return rx.cond(
        S.problem_count > 0,
        rx.badge(rx.icon("triangle_alert", size=14), S.problem_count.to(str), " to fix before "
                 "publishing", color_scheme="amber", variant="soft", id="problem-count",
                 title="Steps with a problem are outlined in red; select one to see why."),
    )  # fmt: skip


def _workspace() -> rx.Component:
    return rx.hstack(
        rx.cond(S.can_edit, _library()),
        rx.box(
            flow_canvas(
                nodes=S.nodes, edges=S.edges, height="640px",
                on_connect_step=S.connect_steps, on_move_steps=S.move_steps,
                on_delete_steps=S.delete_steps, on_delete_edges=S.delete_edges,
                on_select_step=S.select_step, on_drop_step=S.drop_step,
                id="canvas",
            ),
            flex="1", min_width="0", border="1px solid var(--gray-5)", border_radius="8px",
            overflow="hidden",
        ),
        rx.box(side_panel(), width="320px", min_width="320px", max_height="680px",
               overflow_y="auto", padding_right="4px"),
        width="100%", align="start", spacing="3",
    )  # fmt: skip


def _content() -> rx.Component:
    return rx.cond(~S.loaded, loading(), rx.cond(
        S.no_access,
        notice("You don't have access to this workflow. Ask an administrator at your agency."),
        rx.cond(S.missing, notice("We couldn't find that workflow. It may have been deleted."),
                rx.vstack(
                    _header(),
                    rx.box(notice("The builder needs a wider screen (a tablet or computer). "
                                  "You can still follow this workflow's runs here.", "blue"),
                           display=["block", "block", "none"], width="100%"),
                    rx.box(_workspace(), display=["none", "none", "block"], width="100%"),
                    _history_dialog(),
                    _run_dialog(),
                    spacing="3", width="100%",
                )),
    ))  # fmt: skip


def builder_page() -> rx.Component:
    return shell(_content(), active="workflows", wide=True)


def add_to(app: rx.App) -> None:
    app.add_page(builder_page, route="/t/[slug]/workflows/[id]", title="Workflow builder",
                 on_load=S.load)  # fmt: skip
