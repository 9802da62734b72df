"""``/t/[slug]/workflows/[id]``: the builder — canvas, side panel, autosave, publish, runs.

The draft lives on the server (``_doc``); the page only holds what it draws: canvas nodes
and edges, the form of the selected step, problems. Every edit updates ``_doc`` and asks for
an autosave ~0.8 s later (only the last of a burst of edits saves). Autosave never refuses:
``save_draft`` stores the draft and returns its problems, shown on the offending steps.
Publishing, restoring and Run now re-check the user's rights on the server.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from typing import Any

import reflex as rx
from sqlmodel import col, select

from flowyard.db import tenant_session
from flowyard.engine import executions, payloads, versions
from flowyard.engine.catalog import action_library
from flowyard.engine.models import Execution, Workflow
from flowyard.security.guard import page_load, protected, self_checked
from flowyard.security.permissions import Forbidden
from flowyard.web.state import builder_doc as docs
from flowyard.web.state import builder_form as forms
from flowyard.web.state import builder_rules as rules
from flowyard.web.state.builder_kinds import KIND_SCHEMAS, form_values, store_values
from flowyard.web.state.session import SessionState
from flowyard.web.state.workflows_access import TenantArea
from flowyard.web.state.workflows_data import workflow_status
from flowyard.web.state.workflows_format import when
from marketplace import registry

AUTOSAVE_DELAY = 0.8
log = logging.getLogger(__name__)


def _library() -> list[dict[str, str]]:
    kinds = [{"key": k, "name": n, "group": "Logic", "description": d}
             for k, (n, d) in docs.STEP_KINDS.items()]  # fmt: skip
    actions = [{"key": a["key"], "name": a["name"], "group": a["connector"],
                "description": a["description"]} for a in action_library()]  # fmt: skip
    return kinds + actions


class BuilderState(TenantArea, SessionState):
    # --- header ---------------------------------------------------------------------------
    missing: bool = False
    wf_id: str = ""
    wf_name: str = ""
    status_word: str = ""
    status_tone: str = "gray"
    published: bool = False
    save_state: str = "Saved"
    publishing: bool = False
    # --- canvas and library ---------------------------------------------------------------
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    library: list[dict[str, str]] = []
    library_query: str = ""
    # --- problems -------------------------------------------------------------------------
    problem_count: int = 0
    general_problems: list[str] = []
    selected_problems: list[str] = []
    # --- side panel -----------------------------------------------------------------------
    selected: str = ""
    sel_kind: str = ""
    sel_kind_label: str = ""
    sel_name: str = ""
    sel_description: str = ""
    sel_attempts: str = "1"
    sel_timeout: str = "300"
    sel_continue: bool = False
    webhook_url: str = ""
    sel_needs_connection: bool = False
    sel_connection: str = ""
    sel_connector_name: str = ""
    connection_options: list[dict[str, str]] = []
    _connections: dict[str, list[dict[str, str]]] = {}
    fields: list[forms.FormField] = []
    refs: list[dict[str, str]] = []
    rule_join: str = "and"
    rule_groups: list[rules.RuleGroup] = []
    rule_raw: str = ""
    rule_raw_error: str = ""
    rule_custom: bool = False
    case_names: list[str] = []
    case_index: int = 0
    # --- trigger and workflow settings ----------------------------------------------------
    trig_kind: str = "manual"
    trig_cron: str = ""
    trig_tz: str = ""
    trig_catch_up: str = "none"
    trig_event_type: str = ""
    trig_filter: str = ""
    sample_text: str = "{}"
    sample_error: str = ""
    summary_template: str = ""
    minutes_saved: str = "0"
    error_workflow: str = ""
    other_workflows: list[dict[str, str]] = []
    # --- history and runs -----------------------------------------------------------------
    history: list[dict[str, str]] = []
    history_open: bool = False
    viewing_number: str = ""
    viewing_json: str = ""
    run_open: bool = False
    run_error: str = ""
    running: bool = False

    _doc: dict[str, Any] = {}
    _problems: list[dict[str, Any]] = []
    _workflow_id: str = ""
    _edit_seq: int = 0

    # ================================================================ loading
    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.loaded, self.no_access, self.missing = False, False, False
        self.selected, self.history_open, self.run_open = "", False, False
        self.nodes, self.edges = [], []
        yield
        grant = self._open_tenant("workflow.view")
        if grant is False:
            yield self._login_redirect()
            return
        if grant is None:
            self.loaded = True
            return
        self._workflow_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.wf_id = self._workflow_id
        if not self._read_workflow():
            self.missing = True
            self.loaded = True
            return
        self.library = _library() if self.can_edit else []
        self.library_query = ""
        self._problems = [_problem_dict(p) for p in _validate(self._doc)]
        self._sync()
        self.loaded = True

    def _read_workflow(self) -> bool:
        try:
            workflow_id = uuid.UUID(self._workflow_id)
        except ValueError:
            return False
        tenant_id = uuid.UUID(self._tenant_id)
        with tenant_session(tenant_id) as db:
            workflow = db.get(Workflow, workflow_id)
            if workflow is None:
                return False
            self._doc = copy.deepcopy(workflow.draft or {})
            self._apply_header(workflow)
            self._connections = _connections_by_connector(db)
            last = db.exec(
                select(Execution.trigger_payload)
                .where(Execution.workflow_id == workflow_id)
                .order_by(col(Execution.created_at).desc())
                .limit(1)
            ).first()
            others = db.exec(
                select(Workflow.id, Workflow.name)
                .where(Workflow.tenant_id == tenant_id, Workflow.id != workflow_id)
                .order_by(Workflow.name)
                .limit(200)
            ).all()
        self.sample_text = json.dumps(payloads.unpack(last), indent=2) if last else "{}"
        self.other_workflows = [{"value": str(i), "label": n} for i, n in others]
        return True

    def _apply_header(self, workflow: Workflow) -> None:
        self.wf_name = workflow.name
        self.status_word, self.status_tone = workflow_status(workflow)
        self.published = workflow.published_version_id is not None
        self.webhook_url = _webhook_url(workflow)

    # ================================================================ view sync
    def _sync(self) -> None:
        """Recompute what the page draws from the draft, problems and selection."""
        by_step: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in self._problems:
            step_id = problem.get("step_id")
            if step_id:
                by_step.setdefault(step_id, []).append(problem["message"])
            elif (problem.get("field") or "").startswith("trigger"):
                by_step.setdefault(docs.TRIGGER_NODE, []).append(problem["message"])
            else:
                general.append(problem["message"])
        names = {a["key"]: a["name"] for a in self.library} or _action_names()
        nodes = docs.canvas_nodes(self._doc, by_step, names)
        if nodes != self.nodes:
            self.nodes = nodes
        edges = docs.canvas_edges(self._doc)
        if edges != self.edges:
            self.edges = edges
        self.problem_count = len(self._problems)
        self.general_problems = general
        self.selected_problems = by_step.get(self.selected, []) if self.selected else []
        self._sync_settings()
        self._sync_panel()

    def _sync_settings(self) -> None:
        doc = self._doc
        trigger = doc.get("trigger") or {"kind": "manual"}
        self.trig_kind = trigger.get("kind", "manual")
        self.trig_cron = trigger.get("cron", "")
        self.trig_tz = trigger.get("timezone") or ""
        self.trig_catch_up = (trigger.get("catch_up") or {}).get("policy", "none")
        self.trig_event_type = trigger.get("event_type", "")
        flt = trigger.get("filter")
        self.trig_filter = json.dumps(flt) if flt is not None else self.trig_filter
        self.summary_template = doc.get("summary_template", "")
        self.minutes_saved = _num_text(doc.get("minutes_saved_per_run", 0))
        self.error_workflow = doc.get("error_workflow_id") or ""

    def _sync_panel(self) -> None:
        step = docs.step_of(self._doc, self.selected) if self.selected else None
        if step is None:
            self.sel_kind = "trigger" if self.selected == docs.TRIGGER_NODE else ""
            self.fields = []
            self.refs = self._refs_for(None) if self.selected == docs.TRIGGER_NODE else []
            return
        kind = step.get("kind", "action")
        self.sel_kind = kind
        self.sel_name = step.get("name", "")
        retry = step.get("retry") or {}
        self.sel_attempts = str(retry.get("max_attempts", 1))
        self.sel_timeout = str(step.get("timeout_seconds", 300))
        self.sel_continue = bool(step.get("continue_on_error", False))
        if kind == "action":
            found = registry.find_action(step.get("action", ""))
            schema = found[1].input_schema() if found else None
            self.sel_kind_label = found[1].name if found else step.get("action", "")
            self._sync_connection(step, found[0] if found else None)
            self.sel_description = found[1].description if found else (
                "This action is not installed any more. Replace the step.")  # fmt: skip
        else:
            schema = KIND_SCHEMAS.get(kind)
            self.sel_kind_label = docs.KIND_LABELS.get(kind, kind)
            self.sel_description = docs.STEP_KINDS.get(kind, ("", ""))[1]
        fields = forms.build_fields(schema, form_values(step)) if schema else []
        if fields != self.fields:
            self.fields = fields
        self.refs = self._refs_for(step.get("id"))
        if kind in ("condition", "switch"):
            self._sync_rule(step)

    def _sync_connection(self, step: dict[str, Any], connector: Any) -> None:
        """Actions of apps that need an account ask which of the client's connections to use."""
        needs = connector is not None and connector.auth.kind != "none"
        self.sel_needs_connection = needs
        self.sel_connector_name = connector.name if needs else ""
        self.sel_connection = str(step.get("connection_id") or "") if needs else ""
        self.connection_options = self._connections.get(connector.key, []) if needs else []

    def _sync_rule(self, step: dict[str, Any]) -> None:
        if step.get("kind") == "switch":
            cases = step.get("cases") or []
            self.case_names = [c.get("name", "") for c in cases]
            self.case_index = min(self.case_index, max(len(cases) - 1, 0))
            rule = cases[self.case_index].get("rule") if cases else None
        else:
            self.case_names = []
            rule = step.get("rule")
        self.rule_raw = json.dumps(rule, indent=2)
        parsed = rules.parse_rule(rule)
        self.rule_custom = parsed is None
        if parsed is not None:
            self.rule_join, self.rule_groups = parsed[0], parsed[1]

    def _refs_for(self, step_id: str | None) -> list[dict[str, str]]:
        """Values a field may use: trigger data (from the sample) and earlier steps' outputs."""
        try:
            sample = json.loads(self.sample_text or "{}")
        except ValueError:
            sample = {}
        found = [{"path": p, "label": "Trigger: " + p.removeprefix("trigger.")}
                 for p in forms.flatten_sample(sample, "trigger")]  # fmt: skip
        if step_id is None:
            return found
        if docs.loop_of(self._doc, step_id):
            found.append({"path": "item", "label": "The current item of the loop"})
        for earlier in docs.earlier_steps(self._doc, step_id):
            step = docs.step_of(self._doc, earlier)
            if step is None:
                continue
            name = step.get("name") or earlier
            base = f"steps.{earlier}.output"
            outputs: list[str] = []
            if step.get("kind") == "action":
                found_action = registry.find_action(step.get("action", ""))
                if found_action:
                    outputs = forms.output_fields(found_action[1].output_schema())
                if not outputs and step.get("action") == "core.set_fields":
                    outputs = list((step.get("inputs") or {}).get("fields") or {})
            found.append({"path": base, "label": f"{name}: everything it produced"})
            found.extend({"path": f"{base}.{o}", "label": f"{name}: {o}"} for o in outputs)
        return found

    # ================================================================ edits and autosave
    def _editable(self) -> bool:
        try:
            self._recheck("workflow.edit")
        except Forbidden:
            return False
        return True

    def _changed(self):  # type: ignore[no-untyped-def]
        """Redraw now; save a moment later (only the last edit of a burst saves)."""
        self._edit_seq += 1
        self.save_state = "Unsaved changes"
        self._sync()
        return BuilderState.autosave(self._edit_seq)

    @rx.event(background=True)
    @self_checked("workflow.edit")
    async def autosave(self, seq: int):  # type: ignore[no-untyped-def]
        await asyncio.sleep(AUTOSAVE_DELAY)
        async with self:
            if seq != self._edit_seq:
                return
            self._save_now()

    def _save_now(self) -> bool:
        try:
            tenant_id = self._recheck("workflow.edit")
        except Forbidden:
            self.save_state = "Not saved: you can't edit this workflow"
            return False
        with tenant_session(tenant_id) as db:
            workflow = db.get(Workflow, uuid.UUID(self._workflow_id))
            if workflow is None:
                return False
            found = versions.save_draft(db, workflow, copy.deepcopy(self._doc))
        self._problems = [_problem_dict(p) for p in found]
        self.save_state = "Saved"
        self._sync()
        return True

    def _edit_step(self, step_id: str):  # type: ignore[no-untyped-def]
        return docs.step_of(self._doc, step_id)

    # --- canvas events --------------------------------------------------------------------
    @rx.event
    @protected("workflow.view")
    def select_step(self, step_id: str) -> None:
        self.selected = step_id if (step_id == docs.TRIGGER_NODE or docs.step_of(
            self._doc, step_id)) else ""  # fmt: skip
        self.case_index = 0
        self.rule_raw_error = ""
        self._sync()

    def _add(self, key: str, x: float, y: float):  # type: ignore[no-untyped-def]
        if not self._editable():
            return None
        name = next((i["name"] for i in self.library if i["key"] == key), "")
        if not name:
            return None
        self._doc, step_id = docs.add_step(self._doc, key, name, x, y)
        self.selected = step_id
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def drop_step(self, drop: dict):  # type: ignore[no-untyped-def]
        """A library item dropped on the canvas at (x, y) in canvas coordinates."""
        return self._add(str(drop.get("key", "")), float(drop.get("x", 0)),
                         float(drop.get("y", 0)))  # fmt: skip

    @rx.event
    @protected("workflow.edit")
    def add_from_library(self, key: str):  # type: ignore[no-untyped-def]
        """Keyboard/click alternative to dragging: place below the lowest step."""
        lowest = max(((s.get("position") or {}).get("y", 0) for s in self._doc.get("steps", [])),
                     default=0.0)  # fmt: skip
        return self._add(key, 120.0, float(lowest) + 130.0)

    @rx.event
    @protected("workflow.edit")
    def connect_steps(self, connection: dict):  # type: ignore[no-untyped-def]
        if not self._editable():
            return
        self._doc = docs.connect(
            self._doc,
            str(connection.get("source", "")),
            str(connection.get("target", "")),
            str(connection.get("handle", "")),
        )
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def move_steps(self, moves: list):  # type: ignore[no-untyped-def]
        if not self._editable():
            return
        self._doc = docs.move(self._doc, [m for m in moves if isinstance(m, dict)])
        return self._changed()

    def _delete(self, step_ids: list[str]):  # type: ignore[no-untyped-def]
        if not self._editable():
            return None
        self._doc = docs.delete_steps(self._doc, step_ids)
        if self.selected in step_ids:
            self.selected = ""
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def delete_steps(self, step_ids: list):  # type: ignore[no-untyped-def]
        return self._delete([str(s) for s in step_ids])

    @rx.event
    @protected("workflow.edit")
    def delete_selected(self):  # type: ignore[no-untyped-def]
        return self._delete([self.selected])

    @rx.event
    @protected("workflow.edit")
    def delete_edges(self, edge_ids: list):  # type: ignore[no-untyped-def]
        if not self._editable():
            return
        self._doc = docs.delete_edges(self._doc, [str(e) for e in edge_ids])
        return self._changed()

    @rx.event
    @protected("workflow.view")
    def set_library_query(self, value: str) -> None:
        self.library_query = value[:100]

    @rx.var
    def library_view(self) -> list[dict[str, str]]:
        words = self.library_query.lower().split()
        return [i for i in self.library if all(w in (i["name"] + " " + i["group"] + " " +
                i["description"] + " " + i["key"]).lower() for w in words)]  # fmt: skip

    # --- the selected step's settings -----------------------------------------------------
    @rx.event
    @protected("workflow.edit")
    def set_step_name(self, value: str):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or not self._editable():
            return
        step["name"] = value[:120]
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def set_step_setting(self, setting: str, value: str | bool):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or not self._editable():
            return
        if setting == "continue_on_error":
            step["continue_on_error"] = bool(value)
        elif setting == "timeout_seconds":
            step["timeout_seconds"] = forms.parse_text("number", str(value)) or 300
        elif setting == "max_attempts":
            retry = dict(step.get("retry") or {})
            retry["max_attempts"] = forms.parse_text("number", str(value)) or 1
            step["retry"] = retry
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def set_step_connection(self, connection_id: str):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        allowed_ids = {o["value"] for o in self.connection_options}
        if step is None or not self._editable() or connection_id not in allowed_ids:
            return None
        step["connection_id"] = connection_id
        return self._changed()

    def _write_field(self, path: str, value: Any):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or not self._editable():
            return None
        values = forms.set_path(form_values(step), path, value)
        store_values(step, values)
        return self._changed()

    def _field(self, path: str) -> forms.FormField | None:
        return next((f for f in self.fields if f.path == path), None)

    @rx.event
    @protected("workflow.edit")
    def set_field(self, path: str, text: str | bool):  # type: ignore[no-untyped-def]
        field = self._field(path)
        if field is None:
            return None
        raw = ("true" if text else "false") if isinstance(text, bool) else str(text)
        return self._write_field(path, forms.parse_text(field.kind, raw))

    @rx.event
    @protected("workflow.edit")
    def pick_ref(self, path: str, ref: str):  # type: ignore[no-untyped-def]
        """Use a value from earlier: a template in text, a reference everywhere else."""
        field = self._field(path)
        if field is None or not ref:
            return None
        if field.kind == "text" and not field.ref:
            return self._write_field(path, forms.with_template(field.text, ref))
        return self._write_field(path, {"var": ref})

    @rx.event
    @protected("workflow.edit")
    def clear_ref(self, path: str):  # type: ignore[no-untyped-def]
        return self._write_field(path, None)

    def _write_pairs(self, path: str, pairs: list[forms.Pair]):  # type: ignore[no-untyped-def]
        return self._write_field(path, forms.pairs_value(pairs))

    def _pairs(self, path: str) -> list[forms.Pair]:
        field = self._field(path)
        return [forms.Pair(p.key, p.text, p.ref) for p in field.pairs] if field else []

    @rx.event
    @protected("workflow.edit")
    def add_pair(self, path: str):  # type: ignore[no-untyped-def]
        field = self._field(path)
        if field is None:
            return None
        pairs = self._pairs(path)
        taken = {p.key for p in pairs}
        key = next(f"field_{n}" for n in range(1, 999) if f"field_{n}" not in taken)
        pairs.append(forms.Pair(key=key))
        return self._write_pairs(path, pairs)

    @rx.event
    @protected("workflow.edit")
    def set_pair(self, path: str, index: int, part: str, text: str):  # type: ignore[no-untyped-def]
        pairs = self._pairs(path)
        if not 0 <= index < len(pairs):
            return None
        if part == "key":
            pairs[index].key = text[:100]
        else:
            pairs[index].text, pairs[index].ref = text, ""
        return self._write_pairs(path, pairs)

    @rx.event
    @protected("workflow.edit")
    def pick_pair_ref(self, path: str, index: int, ref: str):  # type: ignore[no-untyped-def]
        pairs = self._pairs(path)
        if not 0 <= index < len(pairs) or not ref:
            return None
        if pairs[index].text:
            pairs[index].text = forms.with_template(pairs[index].text, ref)
        else:
            pairs[index].ref = ref
        return self._write_pairs(path, pairs)

    @rx.event
    @protected("workflow.edit")
    def remove_pair(self, path: str, index: int):  # type: ignore[no-untyped-def]
        pairs = self._pairs(path)
        if 0 <= index < len(pairs):
            pairs.pop(index)
        return self._write_pairs(path, pairs)

    # --- condition builder ----------------------------------------------------------------
    def _store_rule(self, rule: Any):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or not self._editable():
            return None
        if step.get("kind") == "switch":
            cases = step.get("cases") or []
            if 0 <= self.case_index < len(cases):
                cases[self.case_index]["rule"] = rule
        elif step.get("kind") == "condition":
            step["rule"] = rule
        self.rule_raw_error = ""
        return self._changed()

    def _rows_changed(self):  # type: ignore[no-untyped-def]
        return self._store_rule(rules.groups_rule(self.rule_join, self.rule_groups))

    @rx.event
    @protected("workflow.edit")
    def set_rule_join(self, join: str):  # type: ignore[no-untyped-def]
        self.rule_join = "or" if join == "or" else "and"
        return self._rows_changed()

    def _groups(self) -> list[rules.RuleGroup]:
        """An editable copy of the rows (written back as a whole, then re-read from the rule)."""
        return [rules.RuleGroup(g.join, [rules.RuleRow(r.field, r.op, r.value) for r in g.rows])
                for g in self.rule_groups]  # fmt: skip

    @rx.event
    @protected("workflow.edit")
    def set_group_join(self, group: int, join: str):  # type: ignore[no-untyped-def]
        groups = self._groups()
        if 0 <= group < len(groups):
            groups[group].join = "or" if join == "or" else "and"
        self.rule_groups = groups
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def set_row(self, group: int, row: int, part: str, value: str):  # type: ignore[no-untyped-def]
        groups = self._groups()
        if not (0 <= group < len(groups) and 0 <= row < len(groups[group].rows)):
            return None
        target = groups[group].rows[row]
        if part == "field":
            target.field = value.strip()[:200]
        elif part == "op":
            target.op = value if value in dict(rules.OPERATORS) else "=="
        else:
            target.value = value[:1000]
        self.rule_groups = groups
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def add_row(self, group: int):  # type: ignore[no-untyped-def]
        groups = self._groups()
        if 0 <= group < len(groups):
            groups[group].rows.append(rules.RuleRow())
        self.rule_groups = groups
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def remove_row(self, group: int, row: int):  # type: ignore[no-untyped-def]
        groups = self._groups()
        if 0 <= group < len(groups) and len(groups[group].rows) > 1:
            groups[group].rows.pop(row)
        elif 0 <= group < len(groups) and len(groups) > 1:
            groups.pop(group)
        self.rule_groups = groups
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def add_group(self):  # type: ignore[no-untyped-def]
        self.rule_groups = [*self._groups(), rules.RuleGroup()]
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def use_rule_builder(self):  # type: ignore[no-untyped-def]
        """Replace a hand-written rule with one empty row (the JSON box keeps the old one)."""
        self.rule_join, self.rule_groups = "and", [rules.RuleGroup()]
        return self._rows_changed()

    @rx.event
    @protected("workflow.edit")
    def set_rule_raw(self, text: str) -> None:
        self.rule_raw = text[:20_000]

    @rx.event
    @protected("workflow.edit")
    def apply_rule_raw(self):  # type: ignore[no-untyped-def]
        try:
            rule = json.loads(self.rule_raw)
        except ValueError as error:
            self.rule_raw_error = f"That isn't valid JSON ({error.msg} on line {error.lineno})."
            return None
        return self._store_rule(rule)

    # --- switch cases ---------------------------------------------------------------------
    @rx.event
    @protected("workflow.view")
    def pick_case(self, index: int) -> None:
        self.case_index = index
        self._sync()

    @rx.event
    @protected("workflow.edit")
    def add_case(self):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or step.get("kind") != "switch" or not self._editable():
            return None
        cases = step.setdefault("cases", [])
        taken = {c.get("name") for c in cases}
        name = next(f"case_{n}" for n in range(1, 99) if f"case_{n}" not in taken)
        cases.append({"name": name, "rule": {"==": [{"var": ""}, ""]}})
        self.case_index = len(cases) - 1
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def rename_case(self, text: str):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or step.get("kind") != "switch" or not self._editable():
            return None
        cases = step.get("cases") or []
        if 0 <= self.case_index < len(cases):
            old = cases[self.case_index].get("name", "")
            new = text.strip()[:64]
            cases[self.case_index]["name"] = new
            docs.rename_branch(self._doc, step["id"], old, new)
        return self._changed()

    @rx.event
    @protected("workflow.edit")
    def remove_case(self):  # type: ignore[no-untyped-def]
        step = self._edit_step(self.selected)
        if step is None or step.get("kind") != "switch" or not self._editable():
            return None
        cases = step.get("cases") or []
        if len(cases) > 1 and 0 <= self.case_index < len(cases):
            gone = cases.pop(self.case_index).get("name")
            self._doc["edges"] = [e for e in self._doc.get("edges", []) if not (
                e.get("source") == step["id"] and e.get("branch") == gone)]  # fmt: skip
            self.case_index = 0
        return self._changed()

    # --- trigger and workflow settings ----------------------------------------------------
    @rx.event
    @protected("workflow.edit")
    def set_trigger(self, setting: str, value: str):  # type: ignore[no-untyped-def]
        if not self._editable():
            return None
        trigger = dict(self._doc.get("trigger") or {"kind": "manual"})
        if setting == "kind":
            trigger = _trigger_of_kind(value, trigger)
        elif setting == "cron":
            trigger["cron"] = value[:200]
        elif setting == "timezone":
            trigger["timezone"] = value.strip()[:64] or None
        elif setting == "catch_up":
            trigger["catch_up"] = {**(trigger.get("catch_up") or {}), "policy": value}
        elif setting == "event_type":
            trigger["event_type"] = value[:200]
        elif setting == "filter":
            self.trig_filter = value
            try:
                trigger["filter"] = json.loads(value) if value.strip() else None
            except ValueError:
                return None
        self._doc["trigger"] = trigger
        return self._changed()

    @rx.event
    @protected("execution.run")
    def set_sample(self, text: str) -> None:
        self.sample_text = text[:100_000]
        try:
            json.loads(text or "{}")
            self.sample_error = ""
        except ValueError:
            self.sample_error = "This isn't valid JSON yet, so its fields can't be offered."
        self._sync_panel()

    @rx.event
    @protected("workflow.edit")
    def set_setting(self, setting: str, value: str):  # type: ignore[no-untyped-def]
        if not self._editable():
            return None
        if setting == "summary_template":
            self._doc["summary_template"] = value[:2000]
        elif setting == "minutes_saved":
            number = forms.parse_text("number", value)
            self._doc["minutes_saved_per_run"] = number if number is not None else 0
        elif setting == "error_workflow":
            self._doc["error_workflow_id"] = value or None
        elif setting == "name":
            self._doc["name"] = value[:200]
        return self._changed()

    # ================================================================ publish, history, run
    @rx.event
    @protected("workflow.publish")
    def publish(self):  # type: ignore[no-untyped-def]
        try:
            tenant_id = self._recheck("workflow.publish")
        except Forbidden as refused:
            yield rx.toast.error(str(refused))
            return
        self.publishing = True
        yield
        self._edit_seq += 1  # a pending autosave is superseded by this save
        self._save_now()
        problems: list[Any] = []
        try:
            with tenant_session(tenant_id) as db:
                workflow = db.get(Workflow, uuid.UUID(self._workflow_id))
                try:
                    version = versions.publish(db, workflow, user_id=self._user_uuid())
                except versions.PublishRefused as refused:
                    problems = refused.problems
                else:
                    db.refresh(workflow)
                    self._apply_header(workflow)
        except Exception:  # our side failed: say so plainly; the draft is already saved
            log.exception("publishing workflow %s failed", self._workflow_id)
            self.publishing = False
            yield rx.toast.error(
                "Publishing failed because of a problem on our side. Your "
                "draft is saved; try again in a minute."
            )
            return
        self.publishing = False
        self._problems = [_problem_dict(p) for p in problems]
        self._sync()
        if problems:
            count = len(problems)
            yield rx.toast.error(
                f"Not published: {count} thing{'s' if count != 1 else ''} to "
                "fix first. They are marked on the steps."
            )
            return
        yield rx.toast.success(f"Published version {version.number}. New runs use it.")

    @rx.event
    @protected("workflow.view")
    def open_history(self) -> None:
        try:
            tenant_id = self._recheck("workflow.view")
        except Forbidden:
            return
        with tenant_session(tenant_id) as db:
            found = versions.history(db, uuid.UUID(self._workflow_id))
            live = db.get(Workflow, uuid.UUID(self._workflow_id))
            live_id = live.published_version_id if live else None
        self.history = [{"id": str(v.id), "number": str(v.number),
                         "when": when(v.created_at, self._timezone),
                         "live": "yes" if v.id == live_id else ""} for v in found[:50]]  # fmt: skip
        self.viewing_number, self.viewing_json = "", ""
        self.history_open = True

    @rx.event
    @protected("workflow.view")
    def close_history(self) -> None:
        self.history_open = False

    @rx.event
    @protected("workflow.view")
    def set_history_open(self, value: bool) -> None:
        self.history_open = value

    @rx.event
    @protected("workflow.view")
    def view_version(self, version_id: str) -> None:
        try:
            tenant_id = self._recheck("workflow.view")
        except Forbidden:
            return
        with tenant_session(tenant_id) as db:
            version = next((v for v in versions.history(db, uuid.UUID(self._workflow_id))
                            if str(v.id) == version_id), None)  # fmt: skip
        if version is not None:
            self.viewing_number = str(version.number)
            self.viewing_json = json.dumps(version.document, indent=2)[:50_000]

    @rx.event
    @protected("workflow.edit")
    def restore_version(self, version_id: str):  # type: ignore[no-untyped-def]
        try:
            tenant_id = self._recheck("workflow.edit")
        except Forbidden as refused:
            yield rx.toast.error(str(refused))
            return
        with tenant_session(tenant_id) as db:
            workflow = db.get(Workflow, uuid.UUID(self._workflow_id))
            restored = versions.restore(db, workflow, uuid.UUID(version_id))
            self._doc = copy.deepcopy(restored.draft)
        self._edit_seq += 1
        self.selected, self.history_open = "", False
        self._problems = [_problem_dict(p) for p in _validate(self._doc)]
        self.save_state = "Saved"
        self._sync()
        yield rx.toast.success("Restored into the draft. Publish to make it live.")

    @rx.event
    @protected("execution.run")
    def set_run_open(self, value: bool) -> None:
        self.run_open, self.run_error = value, ""

    @rx.event
    @protected("execution.run")
    def start_run(self):  # type: ignore[no-untyped-def]
        """Run now: the published version with the sample data, on the interactive queue."""
        try:
            tenant_id = self._recheck("execution.run")
        except Forbidden as refused:
            self.run_error = str(refused)
            return
        try:
            payload = json.loads(self.sample_text or "{}")
        except ValueError:
            self.run_error = "The sample data isn't valid JSON. Fix it, then start the run."
            return
        self.running = True
        yield
        with tenant_session(tenant_id) as db:
            workflow = db.get(Workflow, uuid.UUID(self._workflow_id))
            try:
                execution = executions.start_execution(db, workflow, payload, interactive=True)
            except executions.CannotStart as refused:
                self.running, self.run_error = False, f"{refused} Publish it first."
                return
        self.running, self.run_open = False, False
        yield rx.redirect(f"/t/{self.slug}/runs/{execution.id}")


# ---------------------------------------------------------------- helpers


def _validate(doc: dict[str, Any]) -> list[Any]:
    from flowyard.engine.catalog import RegistryCatalog
    from flowyard.engine.validation import validate_document

    return validate_document(doc, RegistryCatalog())


def _problem_dict(problem: Any) -> dict[str, Any]:
    return {"message": problem.message, "step_id": problem.step_id, "field": problem.field}


def _action_names() -> dict[str, str]:
    return {a["key"]: a["name"] for a in action_library()}


def _num_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trigger_of_kind(kind: str, current: dict[str, Any]) -> dict[str, Any]:
    if kind == current.get("kind"):
        return current
    if kind == "schedule":
        return {"kind": "schedule", "cron": "0 9 * * 1-5", "timezone": None,
                "catch_up": {"policy": "none"}}  # fmt: skip
    if kind == "event":
        return {"kind": "event", "event_type": "execution.failed"}
    if kind == "webhook":
        return {"kind": "webhook", "settings": {}}
    return {"kind": "manual"}


def _connections_by_connector(db: Any) -> dict[str, list[dict[str, str]]]:
    """The client's usable connections, grouped by app, for the step's connection picker."""
    from flowyard.integrations.models import Connection, ConnectionStatus

    grouped: dict[str, list[dict[str, str]]] = {}
    rows = db.exec(
        select(Connection).where(Connection.status != ConnectionStatus.DISCONNECTED)
    ).all()
    for row in rows:
        label = row.account_label or row.display_name
        if row.status == ConnectionStatus.NEEDS_RECONNECT:
            label += " (needs reconnecting)"
        grouped.setdefault(row.connector_key, []).append({"value": str(row.id), "label": label})
    return grouped


def _webhook_url(workflow: Workflow) -> str:
    """The live address of a published webhook-triggered workflow (empty otherwise)."""
    if workflow.trigger_kind != "webhook" or workflow.published_version_id is None:
        return ""
    from flowyard.webhooks.endpoints import hook_url
    from flowyard.webhooks.models import InboundEndpoint

    with tenant_session(workflow.tenant_id) as db:
        endpoint = db.exec(
            select(InboundEndpoint).where(InboundEndpoint.workflow_id == workflow.id)
        ).first()
        return hook_url(endpoint) if endpoint is not None else ""
