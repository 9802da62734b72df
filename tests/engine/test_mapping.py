"""Step-input mapping: expressions, templates, literals, and the paths they reference."""

from __future__ import annotations

import pytest

from flowyard.engine.mapping import (
    MappingError,
    expression_paths,
    is_expression,
    lookup_path,
    referenced_paths,
    render_template,
    resolve_inputs,
)

CONTEXT = {
    "trigger": {"number": 42, "order": {"number": "A-7", "total": 99.5, "lines": [{"sku": "X"}]}},
    "steps": {"find_contact": {"output": {"email": "ada@example.com", "tags": ["vip"]}}},
    "vars": {"region": "NZ", "flag": True, "nothing": None},
    "item": {"name": "Widget"},
}


def test_plain_values_pass_through() -> None:
    inputs = {"n": 1, "f": 1.5, "b": False, "none": None, "s": "plain", "xs": [1, "two"]}
    assert resolve_inputs(inputs, CONTEXT) == inputs


def test_expression_is_evaluated() -> None:
    inputs = {"to": {"var": "steps.find_contact.output.email"}}
    assert resolve_inputs(inputs, CONTEXT) == {"to": "ada@example.com"}


def test_expression_result_keeps_its_type() -> None:
    inputs = {"total": {"*": [{"var": "trigger.order.total"}, 2]}, "item": {"var": "item"}}
    assert resolve_inputs(inputs, CONTEXT) == {"total": 199.0, "item": {"name": "Widget"}}


def test_template_rendering() -> None:
    assert resolve_inputs("Invoice {{trigger.number}} paid", CONTEXT) == "Invoice 42 paid"
    assert render_template("{{ trigger.order.number }}/{{missing.path}}|", CONTEXT) == "A-7/|"
    assert render_template("{{vars.flag}} {{vars.nothing}}", CONTEXT) == "true "
    assert render_template("{{steps.find_contact.output.tags}}", CONTEXT) == '["vip"]'
    assert render_template("{{trigger.order.lines.0.sku}}", CONTEXT) == "X"
    assert render_template("{{trigger.order.total}}", CONTEXT) == "99.5"
    assert render_template("{{trigger.order.lines}}", CONTEXT) == '[{"sku": "X"}]'


def test_template_is_not_eval_or_format() -> None:
    context = {"a": "{{b}}", "b": "secret", "c": "{0.__class__}"}
    assert render_template("{{a}}", context) == "{{b}}"  # substituted text is not re-scanned
    assert (
        render_template("{c} {{c}} {__import__('os')}", context)
        == "{c} {0.__class__} {__import__('os')}"
    )
    assert render_template("{{__class__}}", context) == ""


def test_nested_literals_resolve_recursively() -> None:
    inputs = {
        "contact": {
            "email": {"var": "steps.find_contact.output.email"},
            "note": "Hi {{item.name}}",
        },
        "lines": [{"sku": {"var": "trigger.order.lines.0.sku"}, "qty": 2}],
    }
    assert resolve_inputs(inputs, CONTEXT) == {
        "contact": {"email": "ada@example.com", "note": "Hi Widget"},
        "lines": [{"sku": "X", "qty": 2}],
    }


def test_only_single_known_operator_dicts_are_expressions() -> None:
    assert is_expression({"var": "a"})
    assert is_expression({"if": [True, 1, 2]})
    assert not is_expression({"var": "a", "other": 1})
    assert not is_expression({"name": "x"})
    assert not is_expression({"exists": "a"})  # not a core operator: literal object
    literal = {"var": {"var": "vars.region"}, "label": "x"}
    assert resolve_inputs(literal, CONTEXT) == {"var": "NZ", "label": "x"}


def test_strings_inside_expressions_are_literals() -> None:
    assert resolve_inputs({"cat": ["{{vars.region}}", "-"]}, CONTEXT) == "{{vars.region}}-"


def test_expression_error_is_located() -> None:
    with pytest.raises(MappingError) as info:
        resolve_inputs({"a": [{"b": {"+": [1, {"*": ["x", 2]}]}}]}, CONTEXT)
    assert info.value.field == "a[0].b"
    assert info.value.message.startswith('The value for "a[0].b" couldn\'t be worked out.')


def test_too_deep_inputs() -> None:
    deep: object = 1
    for _ in range(100):
        deep = [deep]
    with pytest.raises(MappingError):
        resolve_inputs(deep, CONTEXT)
    with pytest.raises(MappingError):
        referenced_paths(deep)


def test_lookup_path() -> None:
    assert lookup_path(CONTEXT, "trigger.order.lines.0.sku") == "X"
    assert lookup_path(CONTEXT, "trigger.order.lines.5.sku", "dflt") == "dflt"
    assert lookup_path(CONTEXT, "") is CONTEXT


def test_referenced_paths() -> None:
    inputs = {
        "to": {"var": "steps.find_contact.output.email"},
        "subject": "Order {{trigger.order.number}} for {{ item.name }}",
        "nested": [
            {"x": {"if": [{"var": ["vars.flag", False]}, {"val": ["steps", "a", "output"]}, 1]}}
        ],
        "count": {"reduce": [{"var": "steps.b.output.rows"}, {"+": [{"var": "current"}, 1]}, 0]},
        "names": {"map": [{"var": "trigger.items"}, {"var": "name"}]},
        "gaps": {"missing": ["vars.x", "vars.y"]},
        "plain": "no templates here",
    }
    assert referenced_paths(inputs) == {
        "steps.find_contact.output.email",
        "trigger.order.number",
        "item.name",
        "vars.flag",
        "steps.a.output",
        "steps.b.output.rows",
        "trigger.items",
        "vars.x",
        "vars.y",
    }


def test_expression_paths_ignore_scoped_and_computed() -> None:
    rule = {
        "and": [
            {"var": {"cat": ["vars.", "x"]}},
            {"val": [[1], "xs"]},
            {"some": [{"var": "trigger.tags"}, {"==": [{"var": ""}, "vip"]}]},
            {"missing_some": [1, ["trigger.a", "trigger.b"]]},
        ]
    }
    assert expression_paths(rule) == {"trigger.tags", "trigger.a", "trigger.b"}
