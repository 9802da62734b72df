"""validate_document: plain-English problems for schema, graph, references, inputs, rules, cron."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowyard.engine.document import WorkflowDocument
from flowyard.engine.validation import DictCatalog, Problem, validate_document

CATALOG = DictCatalog(
    {
        "shop.find_order": {"type": "object", "properties": {"id": {"type": "string"}}},
        "xero.create_invoice": {
            "type": "object",
            "properties": {
                "contact": {"type": "string"},
                "amount": {"type": "number", "minimum": 0},
                "currency": {"enum": ["NZD", "AUD"]},
                "lines": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"qty": {"type": "integer"}},
                        "required": ["qty"],
                    },
                },
            },
            "required": ["contact", "amount"],
            "additionalProperties": False,
        },
        "mail.send": {"type": "object", "properties": {"to": {"type": "string"}}},
    }
)


def action(sid: str, name: str, key: str = "mail.send", **inputs: Any) -> dict[str, Any]:
    return {"kind": "action", "id": sid, "name": name, "action": key, "inputs": inputs}


def doc(steps: list[dict[str, Any]], edges: list[tuple[Any, ...]], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Test",
        "trigger": extra.pop("trigger", {"kind": "manual"}),
        "steps": steps,
        "edges": [
            {"source": e[0], "target": e[1], **({"branch": e[2]} if len(e) > 2 else {})}
            for e in edges
        ],
        **extra,
    }


GOOD = doc(
    [
        action("find", "Find order", "shop.find_order", id="{{trigger.order_id}}"),
        {
            "kind": "condition",
            "id": "paid",
            "name": "Paid?",
            "rule": {"==": [{"var": "steps.find.output.status"}, "paid"]},
        },
        action(
            "invoice",
            "Create invoice",
            "xero.create_invoice",
            contact={"var": "steps.find.output.email"},
            amount=12.5,
            currency="NZD",
        ),
        {"kind": "for_each", "id": "each", "name": "Each line", "items": {"var": "trigger.lines"}},
        action("line_mail", "Mail line", to="{{item.email}} {{steps.invoice.output.number}}"),
        {"kind": "stop", "id": "unpaid", "name": "Not paid", "message": "{{steps.find.output.id}}"},
        action("after", "After loop", to={"var": "steps.each.output.count"}),
    ],
    [
        ("find", "paid"),
        ("paid", "invoice", "true"),
        ("paid", "unpaid", "false"),
        ("invoice", "each"),
        ("each", "line_mail", "body"),
        ("each", "after", "done"),
    ],
    summary_template="Order {{trigger.order_id}} → {{steps.invoice.output.number}}",
)


def problems(document: dict[str, Any] | WorkflowDocument) -> list[Problem]:
    return validate_document(document, CATALOG)


def messages(document: dict[str, Any]) -> list[str]:
    return [p.message for p in problems(document)]


def test_good_document_has_no_problems() -> None:
    assert problems(GOOD) == []
    assert problems(WorkflowDocument.model_validate(GOOD)) == []


def test_schema_errors_in_plain_english() -> None:
    bad = copy.deepcopy(GOOD)
    bad["steps"][0]["retry"] = {"max_attempts": 20}
    bad["steps"][1]["colour"] = "red"
    bad["steps"][2]["id"] = "Bad ID"
    bad["steps"].append({"kind": "teleport", "id": "t", "name": "Teleport"})
    found = problems(bad)
    text = [p.message for p in found]
    assert 'Step "Find order": "retry.max_attempts" is 20, but it can be at most 10.' in text
    assert 'Step "Paid?" has a setting we don\'t recognise: "colour".' in text
    assert any(m.startswith('Step "Create invoice" has an invalid step ID "Bad ID"') for m in text)
    assert 'Step "Teleport" is of an unknown kind "teleport".' in text
    assert found[0].step_id == "find" and found[0].field == "retry.max_attempts"


def test_schema_error_on_trigger_and_document() -> None:
    text = messages(doc([], [], trigger={"kind": "schedule"}, minutes_saved_per_run=-2))
    assert 'The trigger is missing the setting "cron".' in text
    assert 'The workflow: "minutes_saved_per_run" is -2, but it must be at least 0.' in text


def test_no_steps() -> None:
    assert messages(doc([], [])) == [
        "This workflow has no steps yet. Add at least one step after the trigger."
    ]


def test_duplicate_ids() -> None:
    found = problems(doc([action("a", "One"), action("a", "Two")], []))
    assert found[0].message.startswith('Two steps share the ID "a"')
    assert found[0].step_id == "a"


def test_unknown_action() -> None:
    found = problems(doc([action("send", "Send invoice", "xero.send_invoce")], []))
    assert found == [
        Problem(
            'Step "Send invoice" uses an action that doesn\'t exist: "xero.send_invoce".',
            step_id="send",
            field="action",
        )
    ]


def test_dangling_edge() -> None:
    found = problems(doc([action("a", "A")], [("a", "ghost")]))
    assert found == [
        Problem(
            'A connection points to a step that doesn\'t exist: "ghost".',
            step_id="a",
            field="edges.0",
        )
    ]


def test_two_entries_and_unreachable_cycle() -> None:
    text = messages(
        doc(
            [action("a", "A"), action("b", "B"), action("c", "C"), action("d", "D")],
            [("c", "d"), ("d", "c")],
        )
    )
    assert any("more than one first step" in m for m in text)
    assert any(m.startswith('These steps form a loop: "C" → "D" → "C"') for m in text)
    assert (
        'Step "C" is never reached: nothing connects to it from the start of the workflow.' in text
    )


def test_cycle_from_entry() -> None:
    text = messages(doc([action("a", "A"), action("b", "B")], [("a", "b"), ("b", "b")]))
    assert any("form a loop" in m for m in text)


def test_condition_branch_labels() -> None:
    steps = [
        {"kind": "condition", "id": "c", "name": "Check", "rule": True},
        action("x", "X"),
        action("y", "Y"),
    ]
    text = messages(doc(steps, [("c", "x", "yes"), ("c", "y")]))
    must = 'it must be labelled "true" or "false".'
    assert f'A connection from a condition "Check" is labelled "yes"; {must}' in text
    assert f'A connection from a condition "Check" is not labelled; {must}' in text


def test_switch_and_loop_and_plain_labels() -> None:
    steps = [
        {
            "kind": "switch",
            "id": "s",
            "name": "Region",
            "cases": [{"name": "nz", "rule": True}, {"name": "nz", "rule": False}],
        },
        {"kind": "for_each", "id": "l", "name": "Loop", "items": [1, 2]},
        action("x", "X"),
        action("y", "Y"),
        {"kind": "stop", "id": "z", "name": "End"},
    ]
    text = messages(
        doc(
            steps,
            [("s", "l", "nz"), ("s", "y", "au"), ("l", "x", "done"), ("x", "y", "ok"), ("z", "x")],
        )
    )
    assert any('Switch "Region" has a case named "nz" more than once' in m for m in text)
    assert any('from a switch "Region" is labelled "au"' in m for m in text)
    assert 'Loop "Loop" needs exactly one step connected as its body (found 0).' in text
    assert any('from "X" is labelled "ok", but only conditions' in m for m in text)
    assert 'Step "End" stops the workflow, so nothing can come after it.' in text


def test_loop_body_must_not_leak() -> None:
    steps = [
        {"kind": "for_each", "id": "l", "name": "Loop", "items": {"var": "trigger.xs"}},
        action("inner", "Inner"),
        action("after", "After"),
    ]
    text = messages(
        doc(steps, [("l", "inner", "body"), ("l", "after", "done"), ("inner", "after")])
    )
    assert any('Step "After" is inside the loop "Loop" and also after it' in m for m in text)


def test_references_to_later_or_other_branch_steps() -> None:
    steps = [
        {"kind": "condition", "id": "c", "name": "Check", "rule": True},
        action("yes", "Yes"),
        action("no", "No"),
        action("join", "Join", to="{{steps.yes.output.id}}"),
        action("early", "Early", to={"var": "steps.join.output.id"}),
    ]
    edges = [
        ("early", "c"),
        ("c", "yes", "true"),
        ("c", "no", "false"),
        ("yes", "join"),
        ("no", "join"),
    ]
    text = messages(doc(steps, edges))
    assert (
        'Step "Join" uses data from "Yes", which might not have run by then '
        "(it is on a different branch)." in text
    )
    assert 'Step "Early" uses data from "Join", which doesn\'t run before it.' in text


def test_reference_problems_unknown_self_item_root() -> None:
    steps = [
        action("a", "A", to="{{steps.ghost.output}} {{steps.a.output}} {{item.x}} {{env.SECRET}}"),
    ]
    text = messages(doc(steps, []))
    assert 'Step "A" uses data from a step that doesn\'t exist: "ghost".' in text
    assert 'Step "A" uses its own result, which isn\'t ready yet.' in text
    assert 'Step "A" uses "item.x", but "item" only exists inside a for-each loop.' in text
    assert any(
        m.startswith('Step "A" uses "env.SECRET", which isn\'t data a workflow has') for m in text
    )


def test_summary_template_references() -> None:
    text = messages(doc([action("a", "A")], [], summary_template="{{steps.nope.output}} {{item}}"))
    assert 'The summary uses data from a step that doesn\'t exist: "nope".' in text
    assert any(m.startswith('The summary uses "{{item}}"') for m in text)


def test_input_schema_checks_only_literal_values() -> None:
    steps = [
        action(
            "inv",
            "Create invoice",
            "xero.create_invoice",
            contact={"var": "trigger.contact"},  # expression: type unknown until run time
            amount="{{trigger.amount}}",  # template: skipped
            currency="EUR",
            lines=[{"qty": 1.5}, {"qty": {"var": "trigger.qty"}}, {}],
            colour="red",
        )
    ]
    found = problems(doc(steps, []))
    text = [p.message for p in found]
    assert 'Step "Create invoice": the "currency" input must be one of "NZD", "AUD".' in text
    assert 'Step "Create invoice": the "lines.0.qty" input must be a whole number.' in text
    assert 'Step "Create invoice" is missing the required input "qty".' in text
    assert 'Step "Create invoice" has inputs this action doesn\'t accept: "colour".' in text
    assert len(found) == 4
    assert {p.field for p in found} == {
        "inputs",
        "inputs.currency",
        "inputs.lines.0.qty",
        "inputs.lines.2",
    }
    missing = problems(doc([action("inv", "Create invoice", "xero.create_invoice")], []))
    assert {p.message for p in missing} == {
        'Step "Create invoice" is missing the required input "contact".',
        'Step "Create invoice" is missing the required input "amount".',
    }


def test_invalid_rules_are_reported() -> None:
    steps = [
        {"kind": "condition", "id": "c", "name": "Check", "rule": {"exists": "x"}},
        {
            "kind": "switch",
            "id": "s",
            "name": "Route",
            "cases": [{"name": "big", "rule": {"frobnicate": [1]}}],
        },
        action("a", "A", to={"if": [{"==": [1, 1]}, {"upper": "x"}, "y"]}),
    ]
    found = problems(doc(steps, [("c", "s", "true"), ("s", "a", "big")]))
    assert (
        Problem(
            'Step "Check": This condition uses an operation that doesn\'t exist: "exists".',
            step_id="c",
            field="rule",
        )
        in found
    )
    assert any(p.field == "cases.0.rule" and "frobnicate" in p.message for p in found)
    assert any(p.field == "inputs.to" and '"upper"' in p.message for p in found)


def test_too_complex_rule_is_reported() -> None:
    rule: object = True
    for _ in range(40):
        rule = {"!": [rule]}
    text = messages(doc([{"kind": "condition", "id": "c", "name": "Check", "rule": rule}], []))
    assert text == [
        'Step "Check": This condition is too complex to run safely. '
        "Try splitting it into smaller conditions."
    ]
    for _ in range(300):
        rule = {"!": [rule]}
    found = problems(doc([{"kind": "condition", "id": "c", "name": "Check", "rule": rule}], []))
    assert found == [
        Problem('Step "Check": "rule" is nested too deeply. Simplify it.', "c", "rule")
    ]


@pytest.mark.parametrize(
    ("cron", "ok"),
    [
        ("0 9 * * 1-5", True),
        ("*/15 * * * *", True),
        ("61 * * * *", False),
        ("* * * *", False),
        ("0 0 * * * *", False),
        ("every day", False),
    ],
)
def test_cron_expressions(cron: str, ok: bool) -> None:
    text = messages(doc([action("a", "A")], [], trigger={"kind": "schedule", "cron": cron}))
    assert (text == []) is ok
    if not ok:
        assert text[0].startswith(f'The schedule "{cron}" isn\'t a valid cron expression.')


def test_timezone() -> None:
    trigger = {"kind": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}
    assert messages(doc([action("a", "A")], [], trigger=trigger)) == [
        "The schedule's time zone \"Mars/Olympus\" isn't one we know. "
        'Use a name like "Pacific/Auckland" or "Europe/London".'
    ]


def test_event_filter() -> None:
    trigger = {"kind": "event", "event_type": "shop.order", "filter": {"var": "steps.a.output"}}
    text = messages(doc([action("a", "A")], [], trigger=trigger))
    assert text == [
        'The trigger\'s filter can only use the event\'s data ("trigger..."), not "steps.a.output".'
    ]


def test_for_each_items_and_delay_until() -> None:
    steps = [
        {"kind": "for_each", "id": "l", "name": "Loop", "items": "{{trigger.xs}}"},
        action("body", "Body"),
        {"kind": "delay", "id": "d1", "name": "Wait", "until": "next tuesday"},
        {"kind": "delay", "id": "d2", "name": "Wait more", "until": "2025-01-31T09:00:00+13:00"},
        {"kind": "delay", "id": "d3", "name": "Wait calc", "until": {"var": "trigger.when"}},
    ]
    text = messages(
        doc(steps, [("l", "body", "body"), ("l", "d1", "done"), ("d1", "d2"), ("d2", "d3")])
    )
    assert text == [
        'Step "Loop" needs a list to go through, such as {"var": "trigger.lines"}.',
        'Step "Wait" waits until "next tuesday", which isn\'t a date and time we can read. '
        'Use a form like "2025-01-31T09:00:00+13:00".',
    ]


def test_broken_action_schema_is_reported_once() -> None:
    catalog = DictCatalog({"x.y": {"type": "not-a-type"}})
    found = validate_document(doc([action("a", "A", "x.y")], []), catalog)
    assert [p.field for p in found] == ["inputs"]
    assert "broken input definition" in found[0].message
