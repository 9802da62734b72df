"""Unit tests for the JSONLogic wrapper: limits, string handling, truthiness, caching."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from flowyard.engine import conditions
from flowyard.engine.conditions import ConditionError

QUADRATIC = {"map": [{"var": "xs"}, {"map": [{"val": [[1], "xs"]}, 1]}]}


def nested_not(depth: int) -> object:
    rule: object = True
    for _ in range(depth):
        rule = {"!": [rule]}
    return rule


def test_budget_exhaustion_is_a_condition_error() -> None:
    with pytest.raises(ConditionError) as info:
        conditions.evaluate(QUADRATIC, {"xs": list(range(5000))})
    assert info.value.code == "too_complex"
    assert info.value.message.startswith("This condition is too complex")


def test_custom_budget_is_respected() -> None:
    assert conditions.evaluate(QUADRATIC, {"xs": [1, 2]}) == [[1, 1], [1, 1]]
    with pytest.raises(ConditionError):
        conditions.evaluate(QUADRATIC, {"xs": list(range(20))}, budget=50)


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deep_rule_is_refused_before_native_code(depth: int) -> None:
    """Refused by our shape check (the native parser would overflow its stack on this)."""
    with pytest.raises(ConditionError) as info:
        conditions.compile_rule(nested_not(depth))
    assert info.value.code == "too_complex"


def test_moderately_nested_rule_is_fine() -> None:
    assert conditions.evaluate(nested_not(20)) is True


def test_huge_rule_is_refused() -> None:
    with pytest.raises(ConditionError, match="too complex"):
        conditions.compile_rule({"in": [{"var": "x"}, list(range(conditions.MAX_RULE_NODES))]})


def test_self_referencing_rule_is_refused() -> None:
    rule: dict[str, list[object]] = {"and": []}
    rule["and"].append(rule)
    with pytest.raises(ConditionError):
        conditions.compile_rule(rule)


def test_deep_data_is_a_condition_error() -> None:
    data: object = 1
    for _ in range(5000):
        data = [data]
    with pytest.raises(ConditionError) as info:
        conditions.evaluate({"var": "0"}, data)
    assert info.value.code == "invalid_data"


def test_str_rule_is_a_json_string_not_json_text() -> None:
    assert conditions.evaluate("apple", {}) == "apple"
    assert conditions.evaluate('{"var": "a"}', {"a": 1}) == '{"var": "a"}'
    assert conditions.evaluate("[1, 2]") == "[1, 2]"


def test_str_data_is_a_json_string() -> None:
    assert conditions.evaluate({"var": ""}, "abc") == "abc"
    assert conditions.evaluate({"cat": [{"var": ""}, "!"]}, '{"a": 1}') == '{"a": 1}!'


def test_boolean_coercion() -> None:
    assert conditions.test({"and": []}, {}) is False
    assert conditions.evaluate({"and": []}) is None
    assert conditions.test({"var": "n"}, {"n": 3}) is True
    assert conditions.test({"var": "n"}, {"n": 0}) is False
    assert conditions.test({"var": "s"}, {"s": "0"}) is True
    assert conditions.test({"var": "s"}, {"s": ""}) is False
    assert conditions.test({"var": "xs"}, {"xs": []}) is False
    assert conditions.test({"var": "xs"}, {"xs": [0]}) is True
    assert conditions.test({"var": "missing"}, {}) is False
    assert conditions.is_truthy("false") is True  # a non-empty string, not JSON text
    assert conditions.is_truthy(None) is False


def test_only_core_operators_are_enabled() -> None:
    for rule in ({"exists": "a"}, {"??": [None, 1]}, {"throw": "x"}, {"upper": "a"}, {"now": []}):
        with pytest.raises(ConditionError) as info:
            conditions.compile_rule(rule)
        assert info.value.code == "invalid_rule"
        assert "doesn't exist" in info.value.message


def test_unknown_operator_message_is_plain_english() -> None:
    with pytest.raises(ConditionError) as info:
        conditions.compile_rule({"frobnicate": [1]})
    assert (
        info.value.message == 'This condition uses an operation that doesn\'t exist: "frobnicate".'
    )


def test_runtime_failure_is_a_condition_error() -> None:
    with pytest.raises(ConditionError) as info:
        conditions.evaluate({"+": [1, {"*": ["x", 2]}]})
    assert info.value.code == "evaluation_failed"


def test_compiled_rules_are_cached_by_canonical_json() -> None:
    first = conditions.compile_rule({"==": [{"var": "a"}, {"var": "b"}]})
    second = conditions.compile_rule({"==": [{"var": "a"}, {"var": "b"}]})
    assert first is second
    assert conditions.compile_rule(first) is first
    before = conditions._compile_canonical.cache_info().hits
    conditions.compile_rule({"==": [{"var": "a"}, {"var": "b"}]})
    assert conditions._compile_canonical.cache_info().hits == before + 1


def test_common_python_values_in_data() -> None:
    data = {"when": dt.date(2024, 5, 1), "amount": Decimal("12.50"), "n": Decimal("3")}
    assert conditions.evaluate({"var": "when"}, data) == "2024-05-01"
    assert conditions.evaluate({"+": [{"var": "amount"}, {"var": "n"}]}, data) == 15.5
    with pytest.raises(ConditionError):
        conditions.evaluate({"var": "x"}, {"x": object()})


def test_prepared_data_is_reusable() -> None:
    prepared = conditions.prepare_data({"a": 2, "b": 3})
    assert conditions.evaluate({"*": [{"var": "a"}, {"var": "b"}]}, prepared) == 6
    assert conditions.test({">": [{"var": "b"}, {"var": "a"}]}, prepared) is True


def test_report_evaluations_per_second() -> None:
    """Prints throughput of a compiled typical rule; informative only, never asserted."""
    rule = conditions.compile_rule(
        {
            "and": [
                {">=": [{"var": "trigger.order.total"}, 100]},
                {"in": [{"var": "trigger.order.country"}, ["NZ", "AU", "GB"]]},
                {"!": {"var": "steps.lookup.output.blocked"}},
            ]
        }
    )
    data = {
        "trigger": {"order": {"total": 250, "country": "NZ", "number": 1001}},
        "steps": {"lookup": {"output": {"blocked": False, "email": "a@example.com"}}},
    }
    prepared = conditions.prepare_data(data)
    assert conditions.test(rule, data) is True
    rounds = 20_000
    for label, payload in (("dict data", data), ("prepared data", prepared)):
        started = time.perf_counter()
        for _ in range(rounds):
            conditions.test(rule, payload)
        rate = rounds / (time.perf_counter() - started)
        print(f"\nconditions.test on a compiled rule ({label}): {rate:,.0f} evaluations/s")
